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
_CONTACT = re.compile(_PHONE.pattern + r"|@|https?://|www\.")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s")
_NAME_LINE = re.compile(r"^(?:[A-ZÉÈ][\w’'.-]+(?:\s+|$)){1,4}$")  # "Sophie Laurent", "J.-P. Martin"
_TITLE_PREFIX = re.compile(r"\b(?:du|de|des|de la|de l’|de l'|d’|d'|à la|au|aux)\s*$", re.IGNORECASE)
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

    return _Patterns(
        reply_headers=many("reply_headers"), forward_markers=many("forward_markers"),
        header_field=one("header_fields"), outlook_start=one("outlook_block_start"),
        outlook_subject=one("outlook_subject"), forward_subject=one("forward_subject_prefixes"),
        separator_rule=one("separator_rule"), signature_delimiter=one("signature_delimiter"),
        closings=many("closings"), device_footers=many("device_footers"), trailing_notes=many("trailing_notes"),
        disclaimers=many("disclaimers"), organisation_lines=many("organisation_lines"),
        signature_max_lines=int(raw["signature_max_lines"]),
        signature_max_line_chars=int(raw["signature_max_line_chars"]),
    )


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


def _strip_quotes_and_forwards(lines: list[str], p: _Patterns, removed: list[str]) -> list[list[str]]:
    """Drop quoted replies (and all that follows them) and forwarded-message header lines.

    Returns the text cut into segments: the sender's own text, then one segment per
    forwarded message, so each keeps its own signature.
    """
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if _any(p.forward_markers, stripped):
            removed.append("forward_header")
            segments.append([])
            i = _header_run(lines, i + 1, p)
            continue
        if p.separator_rule.match(stripped) and i + 1 < len(lines) and _outlook_block(lines, i + 1, p):
            i += 1
            continue
        block = _outlook_block(lines, i, p)
        if block is not None:
            end, is_forward = block
            if is_forward or not "".join(segments[-1]).strip():
                removed.append("forward_header")
                segments.append([])
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
            segments[-1].append(lines[i])
        i += 1
    return [segment for segment in segments if "".join(segment).strip()]


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [par for par in paragraphs if par]


def _looks_like_signature(lines: list[str], p: _Patterns) -> bool:
    """A trailing block of short lines: a contact line, or a name line followed by an organisation."""
    if not 1 <= len(lines) <= p.signature_max_lines or any(len(l) > p.signature_max_line_chars for l in lines):
        return False
    sentence_end = (".", "?", "!", ":", ";")
    if any(_LIST_ITEM.match(l) or l.rstrip(" *_").endswith(sentence_end) for l in lines):
        return False  # lists and sentences are text, even when short
    if len(lines) == 1:  # "Laurent Bonnefoy, premier adjoint, 03 53 01 90 12"
        return bool(_PHONE.search(lines[0]))
    if any(_CONTACT.search(l) for l in lines):
        return True
    return _NAME_LINE.match(lines[0].strip()) is not None and any(_any(p.organisation_lines, l) for l in lines[1:])


def _split_signature(lines: list[str], p: _Patterns) -> tuple[list[str], list[str]]:
    """Separate the signature block (delimiter, closing formula or trailing contact block)."""
    for i, line in enumerate(lines):
        if p.signature_delimiter.match(line.rstrip()):
            return lines[:i], lines[i + 1:]
    for i in range(len(lines) - 1, -1, -1):
        if _any(p.closings, lines[i].strip()):
            block, j = [], i + 1
            while j < len(lines) and len([b for b in block if b.strip()]) < p.signature_max_lines:
                line = lines[j].strip()
                if len(line) > p.signature_max_line_chars or _any(p.trailing_notes, line) or _LIST_ITEM.match(line):
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
        if not stripped or "@" in stripped or _CONTACT.search(stripped) and not _any(p.organisation_lines, stripped):
            continue
        for segment in _SEGMENT_SPLIT.split(stripped):
            starts = [m.start() for m in (pattern.search(segment) for pattern in p.organisation_lines) if m]
            if not starts or len(segment) > 120:
                continue
            if _TITLE_PREFIX.search(segment[:min(starts)]):  # "Président du Syndicat ..." -> "Syndicat ..."
                segment = segment[min(starts):]
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


def _clean_segment(lines: list[str], p: _Patterns, removed: list[str]) -> tuple[str, list[str]]:
    """Text and signature lines of one segment, without footers and disclaimers."""
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
    if signature_lines:
        removed.append("signature")
    return "\n\n".join(_join_wrapped(par) for par in _paragraphs(body_lines)), signature_lines


def clean_email_body(text: str) -> CleanedBody:
    """Clean a French (or English) e-mail body; see the module docstring for what goes.

    With forwarded messages, the signature (and its organisation) reported is the one of
    the innermost message that has one: its author wrote the contribution.
    """
    p = _patterns()
    removed: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    texts, signature_lines, organisation = [], [], None
    for segment in _strip_quotes_and_forwards(lines, p, removed):
        segment_text, segment_signature = _clean_segment(segment, p, removed)
        texts.append(segment_text)
        if segment_signature:
            signature_lines = segment_signature
            organisation = signature_organisation(segment_signature) or organisation
    signature = "\n".join(l.strip() for l in signature_lines if l.strip()) or None
    body = "\n\n".join(t for t in texts if t)
    return CleanedBody(body, signature, organisation, list(dict.fromkeys(removed)))


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

