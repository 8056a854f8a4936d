"""Rendering of the sample corpus' texts to file bytes (pdf, docx, odt, md, html, txt), including
text that imitates a copy out of a PDF viewer (hard line breaks, hyphenated words)."""
from __future__ import annotations

from datetime import datetime
from html import escape

from pipeline.synth import writers


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of a text: blocks separated by blank lines (inner line breaks kept)."""
    return [block.strip("\n") for block in text.strip().split("\n\n") if block.strip()]


def _hyphen_cut(word: str, room: int) -> int:
    """Where to cut ``word`` at a line end: before a consonant-vowel syllable start, 0 if nowhere."""
    vowels = set("aeiouyéèêëàâîïôûùœ")
    for cut in range(min(room, len(word) - 3), 2, -1):
        before, at, after = word[cut - 1].lower(), word[cut].lower(), word[cut + 1].lower()
        if before in vowels and at.isalpha() and at not in vowels and after in vowels:
            return cut
    return 0


def _wrap(paragraph: str, width: int, hyphenate: bool) -> list[str]:
    words, lines, line = paragraph.replace("\n", " ").split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            cut = _hyphen_cut(word, width - len(line) - 2) if hyphenate and len(word) >= 8 else 0
            if cut:
                lines.append(f"{line} {word[:cut]}-")
                line = word[cut:]
                continue
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return lines + [line]


def pdf_extraction_style(text: str, width: int = 92) -> str:
    """Imitate text copied out of a PDF viewer: body lines each followed by a blank line and a
    trailing space, long words cut with a hyphen at line ends, and paragraphs starting with
    "> " rendered as a narrow side box (no blank lines inside). The marker line is never cut."""
    out: list[str] = []
    for paragraph in split_paragraphs(text):
        if paragraph.startswith("["):
            out.append(paragraph + " \n")
        elif paragraph.startswith("> "):
            out.append("".join(line + " \n" for line in _wrap(paragraph[2:], 38, hyphenate=False)))
        else:
            out.extend(line + " \n" for line in _wrap(paragraph, width, hyphenate=True))
    return "\n".join(out)


def render_text(text: str, fmt: str, *, title: str | None, date: datetime, spec: dict) -> bytes:
    """Render a contribution text to the bytes of a file of format ``fmt``."""
    paragraphs = split_paragraphs(text)
    if fmt == "pdf":
        return writers.render_pdf(paragraphs, title=title, header=spec.get("header"),
                                  footer_with_page_numbers=spec.get("page_numbers", True), created=date)
    if fmt == "docx":
        return writers.render_docx(paragraphs, headings=spec.get("headings", True), title=title,
                                   author=spec.get("author", ""), created=date)
    if fmt == "odt":
        return writers.render_odt([p.replace("\n", " ") for p in paragraphs], title=title, created=date)
    if fmt == "md":
        head = f"# {title}\n\n" if title else ""
        return (head + "\n\n".join(paragraphs) + "\n").encode("utf-8")
    if fmt == "html":
        return _render_html(paragraphs, title or "", spec.get("language", "fr"))
    if fmt == "txt":
        body = (f"{title}\n\n" if title else "") + "\n\n".join(p.lstrip("# ") for p in paragraphs) + "\n"
        if spec.get("style") == "pdf_extraction":
            body = pdf_extraction_style(body)
        encoding = spec.get("encoding", "utf-8")
        newline = "\r\n" if encoding == "cp1252" else "\n"
        return body.replace("\n", newline).encode(encoding)
    raise ValueError(f"unsupported document format: {fmt}")


def _render_html(paragraphs: list[str], title: str, language: str) -> bytes:
    parts = []
    for p in paragraphs:
        if p.startswith("#"):
            level = 2 if p.startswith("## ") else 1
            parts.append(f"<h{level + 1}>{escape(p.lstrip('# '))}</h{level + 1}>")
        else:
            parts.append("<p>" + escape(p).replace("\n", "<br>\n") + "</p>")
    page = (f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)}</title>\n<style>body{{font-family:sans-serif}}</style>\n</head>\n"
            f'<body>\n<nav><a href="/">Accueil</a> | <a href="/contact">Contact</a></nav>\n'
            f"<main>\n<h1>{escape(title)}</h1>\n" + "\n".join(parts) +
            "\n</main>\n<footer>Formulaire de contribution en ligne — mentions légales</footer>\n</body>\n</html>\n")
    return page.encode("utf-8")
