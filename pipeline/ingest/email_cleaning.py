"""Cleaning of e-mail bodies: keep what the contributor wrote, drop the rest.

Removed: quoted replies ("> " lines, "Le ... a écrit :" and what follows, Outlook
"De : / Envoyé : / À : / Objet :" blocks), header lines of forwarded messages (the
forwarded text is kept), signatures (with the organisation they name kept apart) and
confidentiality disclaimers. Patterns live in ``email_patterns.yaml``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

import yaml

PATTERNS_FILE = Path(__file__).with_name("email_patterns.yaml")
_PHONE = re.compile(r"(?:\+33\s?(?:\(0\)\s?)?[1-9]|\b0[1-9])(?:[\s.-]?\d{2}){4}\b")
_PHONE_OR_CONTACT = re.compile(_PHONE.pattern + r"|@|https?://|www\.|\b\d{5}\b")
_SEGMENT_SPLIT = re.compile(r"\s+[–—|-]\s+|\s*[|,]\s+")


@dataclass
class CleanedBody:
    """Cleaned text, the signature block found (if any), its organisation, kinds of blocks removed."""

    text: str
    signature: str | None
    signature_org: str | None
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Patterns:
    reply_headers: tuple[re.Pattern, ...]
    forward_markers: tuple[re.Pattern, ...]
    header_field: re.Pattern
    outlook_start: re.Pattern
    outlook_subject: re.Pattern
    forward_subject: re.Pattern
    separator_rule: re.Pattern
    signature_delimiter: re.Pattern
    closings: tuple[re.Pattern, ...]
    device_footers: tuple[re.Pattern, ...]
    trailing_notes: tuple[re.Pattern, ...]
    disclaimers: tuple[re.Pattern, ...]
    organisation_lines: tuple[re.Pattern, ...]
    signature_max_lines: int
    signature_max_line_chars: int


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    raw = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))

    def many(key: str) -> tuple[re.Pattern, ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in raw[key])

    def one(key: str) -> re.Pattern:
        return re.compile(raw[key], re.IGNORECASE)

    return _Patterns(many("reply_headers"), many("forward_markers"), one("header_fields"),
                     one("outlook_block_start"), one("outlook_subject"), one("forward_subject_prefixes"),
                     one("separator_rule"), one("signature_delimiter"), many("closings"), many("device_footers"),
                     many("trailing_notes"),
                     many("disclaimers"), many("organisation_lines"), int(raw["signature_max_lines"]),
                     int(raw["signature_max_line_chars"]))


def _any(patterns: tuple[re.Pattern, ...], line: str) -> bool:
    return any(p.search(line) for p in patterns)


def _header_run(lines: list[str], start: int, p: _Patterns) -> int:
    """Index after the header lines (and their wrapped continuations) starting at ``start``."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    seen_field = False
    while i < len(lines):
        stripped = lines[i].strip()
        if p.header_field.match(stripped):
            seen_field = True
        elif not stripped or not seen_field or len(stripped) > 80 or stripped.endswith((".", "!", "?")):
            break
        i += 1  # a wrapped recipient list continues the previous field
    return i


def _outlook_block(lines: list[str], i: int, p: _Patterns) -> tuple[int, bool] | None:
    """If an Outlook header block starts at ``i``: (index after it, is it a forward?)."""
    if not p.outlook_start.match(lines[i].strip()):
        return None
    end = _header_run(lines, i, p)
    fields = [line.strip() for line in lines[i:end]]
    if len(fields) < 3 or not any(p.outlook_subject.match(f) for f in fields):
        return None
    subject = next(p.outlook_subject.match(f).group(1) for f in fields if p.outlook_subject.match(f))
    return end, bool(p.forward_subject.match(subject.strip()))


def _strip_quotes_and_forwards(lines: list[str], p: _Patterns, removed: list[str]) -> list[str]:
    """Drop quoted replies (and all that follows them) and forwarded-message header lines."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if _any(p.forward_markers, stripped):
            removed.append("forward_header")
            i = _header_run(lines, i + 1, p)
            continue
        if p.separator_rule.match(stripped) and i + 1 < len(lines) and _outlook_block(lines, i + 1, p):
            i += 1
            continue
        block = _outlook_block(lines, i, p)
        if block is not None:
            end, is_forward = block
            if is_forward or not "".join(kept).strip():
                removed.append("forward_header")
                i = end
                continue
            removed.append("quoted_reply")
            break
        if any(r.match(stripped) for r in p.reply_headers) or (
                stripped.lower().startswith(("le ", "on ")) and any(r.match(joined) for r in p.reply_headers)):
            removed.append("quoted_reply")
            break
        if stripped.startswith(">"):
            removed.append("quoted_reply")
        else:
            kept.append(lines[i])
        i += 1
    return kept


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [par for par in paragraphs if par]


def _looks_like_signature(lines: list[str], p: _Patterns) -> bool:
    """A trailing block of short lines that names a contact or an organisation."""
    if not 1 <= len(lines) <= p.signature_max_lines or any(len(l) > p.signature_max_line_chars for l in lines):
        return False
    if len(lines) == 1:  # "Laurent Bonnefoy, premier adjoint, 03 53 01 90 12"
        return bool(_PHONE.search(lines[0])) and not lines[0].rstrip().endswith((".", "?", "!", ":"))
    if any(line.rstrip().endswith((".", "?", "!", ";")) and len(line) > 40 for line in lines):
        return False
    return any(_PHONE_OR_CONTACT.search(l) or _any(p.organisation_lines, l) for l in lines)


def _split_signature(lines: list[str], p: _Patterns) -> tuple[list[str], list[str]]:
    """Separate the signature block (delimiter, closing formula or trailing contact block)."""
    for i, line in enumerate(lines):
        if p.signature_delimiter.match(line.rstrip()):
            return lines[:i], lines[i + 1:]
    for i in range(len(lines) - 1, -1, -1):
        if _any(p.closings, lines[i].strip()):
            block, j = [], i + 1
            while j < len(lines) and len([b for b in block if b.strip()]) < p.signature_max_lines:
                if len(lines[j].strip()) > p.signature_max_line_chars or _any(p.trailing_notes, lines[j].strip()):
                    break
                block.append(lines[j])
                j += 1
            return lines[:i] + lines[j:], [lines[i]] + block
    paragraphs = _paragraphs(lines)
    notes = 0  # editorial notes after the signature stay in the text
    while notes < len(paragraphs) and _any(p.trailing_notes, " ".join(paragraphs[-1 - notes]).strip()):
        notes += 1
    if len(paragraphs) - notes >= 2 and _looks_like_signature(paragraphs[-1 - notes], p):
        body = [line for par in paragraphs[:-1 - notes] + paragraphs[len(paragraphs) - notes:] for line in par + [""]]
        return body, paragraphs[-1 - notes]
    return lines, []


def signature_organisation(signature_lines: list[str]) -> str | None:
    """The organisation named in a signature block (the matching segment of the first matching line)."""
    p = _patterns()
    for line in signature_lines:
        stripped = line.strip().strip("*_")
        if not stripped or "@" in stripped or _PHONE_OR_CONTACT.search(stripped) and not _any(p.organisation_lines, stripped):
            continue
        for segment in _SEGMENT_SPLIT.split(stripped):
            if _any(p.organisation_lines, segment) and len(segment) <= 120:
                segment = re.sub(r"^(?:la|le|les|l’|l')\s*(?=\w)", "", segment.strip(" .;"), flags=re.IGNORECASE)
                return segment[:1].upper() + segment[1:]
    return None


def _join_wrapped(paragraph: list[str]) -> str:
    """Join hard-wrapped lines of one paragraph; keep list items and short lines apart."""
    out = [paragraph[0].strip()]
    for line in paragraph[1:]:
        line = line.strip()
        previous = out[-1]
        if len(previous) >= 55 and not previous.endswith((".", ":", ";", "!", "?")) and line[:1].islower():
            out[-1] = f"{previous} {line}"
        else:
            out.append(line)
    return "\n".join(out)


def clean_email_body(text: str) -> CleanedBody:
    """Clean a French (or English) e-mail body; see the module docstring for what goes."""
    p = _patterns()
    removed: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    lines = _strip_quotes_and_forwards(lines, p, removed)
    if any(_any(p.device_footers, l.strip()) for l in lines):
        removed.append("signature")
        lines = [l for l in lines if not _any(p.device_footers, l.strip())]
    kept_lines: list[str] = []
    for paragraph in _paragraphs(lines):
        if _any(p.disclaimers, " ".join(l.strip() for l in paragraph)):
            removed.append("disclaimer")
        else:
            kept_lines += paragraph + [""]
    body_lines, signature_lines = _split_signature(kept_lines, p)
    signature = "\n".join(l.strip() for l in signature_lines if l.strip()) or None
    if signature_lines:
        removed.append("signature")
    body = "\n\n".join(_join_wrapped(par) for par in _paragraphs(body_lines))
    return CleanedBody(body, signature, signature_organisation(signature_lines), list(dict.fromkeys(removed)))


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

