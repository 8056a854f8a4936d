"""Signature blocks, device footers and confidentiality disclaimers of one e-mail segment.

The organisation a signature names is kept apart (``signature_organisation``); the rest of the
segment comes back as text, hard-wrapped lines joined.
"""
from __future__ import annotations

import re

from pipeline.ingest.email_patterns import EmailPatterns, load_patterns, matches_any, split_paragraphs

_PHONE = re.compile(r"(?:\+33\s?(?:\(0\)\s?)?[1-9]|\b0[1-9])(?:[\s.-]?\d{2}){4}\b")
_CONTACT = re.compile(_PHONE.pattern + r"|@|https?://|www\.")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s")
_NAME_LINE = re.compile(r"^(?:[A-ZÉÈ][\w’'.-]+(?:\s+|$)){1,4}$")  # "Sophie Laurent", "J.-P. Martin"
_TITLE_PREFIX = re.compile(r"\b(?:du|de|des|de la|de l’|de l'|d’|d'|à la|au|aux)\s*$", re.IGNORECASE)
_SEGMENT_SPLIT = re.compile(r"\s+[–—|-]\s+|\s*[|,]\s+")


def _looks_like_signature(lines: list[str], p: EmailPatterns) -> bool:
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
    return _NAME_LINE.match(lines[0].strip()) is not None and any(matches_any(p.organisation_lines, l) for l in lines[1:])


def split_signature(lines: list[str], p: EmailPatterns) -> tuple[list[str], list[str]]:
    """Separate the signature block (delimiter, closing formula or trailing contact block)."""
    for i, line in enumerate(lines):
        if p.signature_delimiter.match(line.rstrip()):
            return lines[:i], lines[i + 1:]
    for i in range(len(lines) - 1, -1, -1):
        if matches_any(p.closings, lines[i].strip()):
            block, j = [], i + 1
            while j < len(lines) and len([b for b in block if b.strip()]) < p.signature_max_lines:
                line = lines[j].strip()
                if len(line) > p.signature_max_line_chars or matches_any(p.trailing_notes, line) or _LIST_ITEM.match(line):
                    break
                block.append(lines[j])
                j += 1
            return lines[:i] + lines[j:], [lines[i]] + block
    paragraphs = split_paragraphs(lines)
    notes = 0  # editorial notes after the signature stay in the text
    while notes < len(paragraphs) and matches_any(p.trailing_notes, " ".join(paragraphs[-1 - notes]).strip()):
        notes += 1
    if len(paragraphs) - notes >= 2 and _looks_like_signature(paragraphs[-1 - notes], p):
        body = [line for par in paragraphs[:-1 - notes] + paragraphs[len(paragraphs) - notes:] for line in par + [""]]
        return body, paragraphs[-1 - notes]
    return lines, []


def signature_organisation(signature_lines: list[str]) -> str | None:
    """The organisation named in a signature block (the matching segment of the first matching line)."""
    p = load_patterns()
    for line in signature_lines:
        stripped = line.strip().strip("*_")
        if not stripped or "@" in stripped or _CONTACT.search(stripped) and not matches_any(p.organisation_lines, stripped):
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


def clean_segment(lines: list[str], p: EmailPatterns, removed: list[str]) -> tuple[str, list[str]]:
    """Text and signature lines of one segment, without footers and disclaimers."""
    if any(matches_any(p.device_footers, l.strip()) for l in lines):
        removed.append("signature")
        lines = [l for l in lines if not matches_any(p.device_footers, l.strip())]
    kept_lines: list[str] = []
    for paragraph in split_paragraphs(lines):
        if matches_any(p.disclaimers, " ".join(l.strip() for l in paragraph)):
            removed.append("disclaimer")
        else:
            kept_lines += paragraph + [""]
    body_lines, signature_lines = split_signature(kept_lines, p)
    if signature_lines:
        removed.append("signature")
    return "\n\n".join(_join_wrapped(par) for par in split_paragraphs(body_lines)), signature_lines

