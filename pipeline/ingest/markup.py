"""Text extraction of markup documents: Markdown (syntax stripped, blocks kept as paragraphs) and HTML
(navigation, scripts and hidden elements dropped, block elements as paragraphs, table rows as lines)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from pipeline.config import IngestConfig
from pipeline.ingest.formats import decode_text

_MD_INLINE = (
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"</?[a-zA-Z][^>]*>"), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
)
_MD_DROP = re.compile(r"^\s*(?:(?:[-*_]\s*){3,}|=+|-+|```.*|~~~.*|\[[^\]]+\]:\s+\S+.*|\|?[\s:|-]*-{3,}[\s:|-]*\|?)\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)[\s#]*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


def extract_md(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    """Text of a Markdown file without its markup (front matter, rules, fences and link targets
    dropped; headings, list items and table rows as their own paragraphs) and its encoding."""
    text, encoding = decode_text(data)
    text = re.sub(r"\A---\n.*?\n---\n", "", text.replace("\r\n", "\n"), flags=re.S)  # front matter
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in text.split("\n"):
        if not line.strip() or _MD_DROP.match(line):
            flush()
            continue
        heading = _MD_HEADING.match(line)
        line = re.sub(r"^\s*(?:>\s?)+", "", heading.group(1) if heading else line)
        if line.strip().startswith("|"):
            line = " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        for pattern, repl in _MD_INLINE:
            line = pattern.sub(repl, line)
        if heading or _MD_ITEM.match(line) or line.startswith(("|",)) or " | " in line:
            flush()
        current.append(line.strip())
        if heading:
            flush()
    flush()
    return "\n\n".join(paragraphs), {"encoding": encoding}


class _HtmlText(HTMLParser):
    SKIP = {"script", "style", "nav", "noscript", "template", "svg", "head", "iframe", "object"}
    BLOCK = {"p", "div", "section", "article", "header", "footer", "aside", "main", "h1", "h2", "h3", "h4",
             "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "thead", "tbody", "blockquote",
             "pre", "figure", "figcaption", "address", "hr", "form", "fieldset", "details", "summary",
             "center", "caption", "body", "html"}

    VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag: str | None = None  # element being skipped, with its nesting depth
        self.skip_depth = 0
        self.in_title = False
        self.title = ""
        self.cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "title":
            self.in_title = True
        if self.skip_tag:
            self.skip_depth += tag == self.skip_tag
            return
        hidden = any(k == "hidden" or (k == "aria-hidden" and v == "true") for k, v in attrs)
        if (tag in self.SKIP or hidden) and tag not in self.VOID:
            self.skip_tag, self.skip_depth = tag, 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | " if self.cells_in_row else "")
            self.cells_in_row += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")
            if tag == "tr":
                self.cells_in_row = 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if not self.skip_depth:
                    self.skip_tag = None
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip_tag:
            self.parts.append(re.sub(r"\s+", " ", data))


def extract_html(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    """Visible text of an HTML page (decoded with its declared charset when there is one),
    its encoding and its <title>."""
    declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_:.-]+)", data[:4096], re.I)
    text, encoding = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    body = "".join(parser.parts)
    paragraphs = [re.sub(r" *\n *", "\n", p).strip() for p in re.split(r"\n\s*\n", body)]
    meta = {"encoding": encoding, "title": " ".join(parser.title.split()) or None}
    return "\n\n".join(p for p in paragraphs if p), meta
