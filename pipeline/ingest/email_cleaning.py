"""Cleaning of e-mail bodies: keep what the contributor wrote, drop the rest.

Removed: quoted replies ("> " lines, "Le ... a écrit :" and what follows, Outlook
"De : / Envoyé : / À : / Objet :" blocks), header lines of forwarded messages (the
forwarded text is kept), signatures (with the organisation they name kept apart) and
confidentiality disclaimers. Patterns live in ``email_patterns.yaml``.

This module removes quotes and forwarded headers and cuts the body into one segment per message;
:mod:`pipeline.ingest.email_signatures` cleans each segment and :mod:`pipeline.ingest.email_html`
turns HTML bodies into text (both re-exported here).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.ingest.email_html import html_to_text
from pipeline.ingest.email_patterns import EmailPatterns, load_patterns, matches_any
from pipeline.ingest.email_signatures import clean_segment, signature_organisation

__all__ = ["CleanedBody", "clean_email_body", "html_to_text", "signature_organisation"]


@dataclass
class CleanedBody:
    """Cleaned text, the signature block found (if any), its organisation, kinds of blocks removed."""

    text: str
    signature: str | None
    signature_org: str | None
    removed: list[str] = field(default_factory=list)


def _header_run(lines: list[str], start: int, p: EmailPatterns) -> int:
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


def _outlook_block(lines: list[str], i: int, p: EmailPatterns) -> tuple[int, bool] | None:
    """If an Outlook header block starts at ``i``: (index after it, is it a forward?)."""
    if not p.outlook_start.match(lines[i].strip()):
        return None
    end = _header_run(lines, i, p)
    fields = [line.strip() for line in lines[i:end]]
    if len(fields) < 3 or not any(p.outlook_subject.match(f) for f in fields):
        return None
    subject = next(p.outlook_subject.match(f).group(1) for f in fields if p.outlook_subject.match(f))
    return end, bool(p.forward_subject.match(subject.strip()))


def _strip_quotes_and_forwards(lines: list[str], p: EmailPatterns, removed: list[str]) -> list[list[str]]:
    """Drop quoted replies (and all that follows them) and forwarded-message header lines.

    Returns the text cut into segments: the sender's own text, then one segment per
    forwarded message, so each keeps its own signature.
    """
    segments: list[list[str]] = [[]]
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        joined = f"{stripped} {lines[i + 1].strip()}" if i + 1 < len(lines) else stripped
        if matches_any(p.forward_markers, stripped):
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


def clean_email_body(text: str) -> CleanedBody:
    """Clean a French (or English) e-mail body; see the module docstring for what goes.

    With forwarded messages, the signature (and its organisation) reported is the one of
    the innermost message that has one: its author wrote the contribution.
    """
    p = load_patterns()
    removed: list[str] = []
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").split("\n")
    texts, signature_lines, organisation = [], [], None
    for segment in _strip_quotes_and_forwards(lines, p, removed):
        segment_text, segment_signature = clean_segment(segment, p, removed)
        texts.append(segment_text)
        if segment_signature:
            signature_lines = segment_signature
            organisation = signature_organisation(segment_signature) or organisation
    signature = "\n".join(l.strip() for l in signature_lines if l.strip()) or None
    body = "\n\n".join(t for t in texts if t)
    return CleanedBody(body, signature, organisation, list(dict.fromkeys(removed)))

