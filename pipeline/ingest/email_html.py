"""HTML e-mail bodies to plain text, with the standard library parser."""
from __future__ import annotations

import re
from html.parser import HTMLParser


class _HtmlToText(HTMLParser):
    """HTML to plain text: block tags end paragraphs, blockquotes become '>' lines."""

    _BLOCK = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote", "pre"}
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0

    def _flush(self, blank: bool) -> None:
        line = re.sub(r"[ \t\r\n\xa0]+", " ", "".join(self.current)).strip()
        self.current = []
        if line:
            self.lines.append("> " * self.quote_depth + line)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if tag in self._SKIP:
            self.skip_depth += 1
        elif tag == "br":
            self._flush(blank=False)
        elif tag in self._BLOCK:
            self._flush(blank=True)
            self.quote_depth += tag == "blockquote"

    def handle_endtag(self, tag):
        if tag in self._SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in self._BLOCK:
            self._flush(blank=True)
            self.quote_depth = max(0, self.quote_depth - (tag == "blockquote"))

    def handle_data(self, data):
        if not self.skip_depth:
            self.current.append(data)


def html_to_text(html: str) -> str:
    """Convert an HTML body to text with the standard library parser."""
    parser = _HtmlToText()
    parser.feed(html)
    parser.close()
    parser._flush(blank=False)
    return "\n".join(parser.lines).strip()
