"""Parsing of e-mails: ``.eml`` (MIME), ``.mbox`` (several messages) and Outlook ``.msg``.

This module reads MIME messages and mboxes; Outlook files are read by :mod:`pipeline.ingest.email_msg`,
header values decoded by :mod:`pipeline.ingest.email_headers`; ``parse_msg`` and the result types are
re-exported here.

The parser returns what it can read and lists what went wrong in ``problems``: a
truncated message still yields its headers, the text read so far and the
attachments whose bytes arrived. Only input that is not an e-mail at all raises.
"""
from __future__ import annotations

import base64
import re
from email import errors, policy
from email.message import Message
from email.parser import BytesParser

from pipeline.ingest.email_cleaning import html_to_text
from pipeline.ingest.email_headers import attachment_filename, header_text, iso_date, parse_sender
from pipeline.ingest.email_message import Attachment, ParsedEmail, assemble_email
from pipeline.ingest.email_msg import parse_msg

__all__ = ["Attachment", "ParsedEmail", "parse_eml", "parse_msg", "split_mbox"]

try:  # shared charset guesser, written by the formats module
    from pipeline.ingest.formats import decode_text as _shared_decode
except ImportError:  # pragma: no cover - depends on the other module being present
    _shared_decode = None

# Headers of which at least one must appear in the header block of a real e-mail.
_EMAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "received", "mime-version",
                  "return-path", "delivered-to", "cc", "reply-to", "sender"}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?")
_MBOX_SEPARATOR = re.compile(rb"^From \S+.*$")
_MBOX_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


def _decode(data: bytes, charset: str | None) -> str:
    """Bytes to text: the shared guesser when present, else declared charset, UTF-8, cp1252."""
    if _shared_decode is not None:
        return _shared_decode(data, charset)[0]
    candidates = []
    if charset:
        declared = charset.strip().strip('"').lower()
        # Mail clients label cp1252 text (curly quotes, euro sign) as latin-1.
        candidates.append("cp1252" if declared in {"iso-8859-1", "latin-1", "latin1", "us-ascii"} else declared)
    candidates += ["utf-8", "cp1252"]
    for name in candidates:
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _looks_like_email(data: bytes) -> tuple[bool, str]:
    """Cheap structural check: a header block naming at least one e-mail header."""
    if not data.strip():
        return False, "empty file"
    if b"\x00" in data[:2048]:
        return False, "binary content, not a MIME message"
    names = set()
    head = data[:65536].lstrip(b"\r\n")
    lines = head.splitlines()[:200]
    if lines and not head.endswith((b"\n", b"\r")):
        lines = lines[:-1] or lines  # a message cut inside its headers: the last line is partial
    for raw_line in lines:
        if not raw_line.strip():
            break
        if raw_line.startswith((b" ", b"\t")) or raw_line.startswith(b"From "):
            continue
        if not _HEADER_LINE.match(raw_line):
            return False, f"line {raw_line[:40]!r} of the header block is not a header"
        names.add(raw_line.split(b":", 1)[0].decode("ascii", "replace").lower())
    if not names & _EMAIL_HEADERS:
        return False, "no e-mail header (From, To, Subject, Date...) in the header block"
    return True, ""


def _parse(data: bytes) -> Message:
    """Parse with the modern policy; on failure fall back to the lenient compat32 one."""
    try:
        return BytesParser(policy=policy.default).parsebytes(data)
    except Exception:  # the modern policy raises on some malformed headers
        return BytesParser(policy=policy.compat32).parsebytes(data)



def _base64_bytes(part: Message, text: str) -> bytes:
    """Lenient base64: decode every complete group, so a cut attachment keeps its first bytes."""
    clean = re.sub(r"[^A-Za-z0-9+/]", "", text.split("=", 1)[0])  # "=" is only ever final padding
    if len(clean) % 4 == 1 or (len(clean) % 4 and "=" not in text):
        part.defects.append(errors.InvalidBase64LengthDefect())
    clean = clean[: len(clean) - (len(clean) % 4 == 1)]
    return base64.b64decode(clean + "=" * (-len(clean) % 4))


def _payload_bytes(part: Message) -> bytes:
    """Decoded payload (base64, quoted-printable) of a non-multipart part."""
    raw = part.get_payload()
    if isinstance(raw, str) and part.get("Content-Transfer-Encoding", "").strip().lower() == "base64":
        return _base64_bytes(part, raw)
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _message_bytes(part: Message) -> bytes:
    """Raw bytes of a message/rfc822 part's inner message."""
    inner = part.get_payload()
    if isinstance(inner, list) and inner:
        try:
            return inner[0].as_bytes(policy=inner[0].policy.clone(linesep="\r\n"))
        except Exception:
            return inner[0].as_string(policy=policy.compat32).encode("utf-8", "surrogateescape")
    return _payload_bytes(part)


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment" or attachment_filename(part):
        return True
    return part.get_content_maintype() != "text" or part.get_content_type() not in {"text/plain", "text/html"}


def _collect(part: Message, texts: list[str], attachments: list[Attachment], problems: list[str]) -> None:
    """Walk the MIME tree without entering forwarded messages (they become attachments)."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        name = attachment_filename(part) or (
            inner and isinstance(inner, list) and header_text(inner[0], "Subject")) or "message"
        name = re.sub(r"[^\w .,()-]+", "_", name).strip(" ._")[:80] or "message"
        attachments.append(Attachment(name if name.lower().endswith(".eml") else f"{name}.eml", ctype,
                                      _message_bytes(part)))
        return
    if part.is_multipart():
        children = part.get_payload()
        if ctype == "multipart/alternative":
            plain = [c for c in children if c.get_content_type() == "text/plain" and not _is_attachment(c)]
            html = [c for c in children if c.get_content_type() == "text/html" and not _is_attachment(c)]
            chosen = next((c for c in plain if _text_of(c).strip()), None) or (html[0] if html else None)
            rest = [c for c in children if c not in plain and c not in html]
            children = ([chosen] if chosen is not None else []) + rest
        for child in children:
            _collect(child, texts, attachments, problems)
        return
    if part.get_content_maintype() == "multipart":  # declared multipart, boundary never found
        problems.append("malformed multipart: boundary not found, body read as plain text")
        texts.append(_decode(_payload_bytes(part), part.get_content_charset()))
        return
    if _is_attachment(part):
        attachments.append(Attachment(attachment_filename(part), ctype, _payload_bytes(part)))
        return
    texts.append(_text_of(part))


def _text_of(part: Message) -> str:
    """Text of a text/plain or text/html part, decoded with its declared or guessed charset."""
    text = _decode(_payload_bytes(part), part.get_content_charset())
    return html_to_text(text) if part.get_content_type() == "text/html" else text


def _defect_problems(msg: Message) -> list[str]:
    """Human-readable problems from the parser's defects on every part."""
    found: list[str] = []
    parts = [msg]
    while parts:
        part = parts.pop()
        for defect in getattr(part, "defects", []):
            kind = type(defect).__name__
            if kind == "CloseBoundaryNotFoundDefect":
                found.append("truncated message: multipart boundary never closed")
            elif kind in {"InvalidBase64PaddingDefect", "InvalidBase64LengthDefect"}:
                found.append("damaged base64 payload (truncated attachment?)")
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            parts.extend(p for p in payload if isinstance(p, Message))
    return list(dict.fromkeys(found))


def parse_eml(data: bytes) -> ParsedEmail:
    """Parse one MIME message; raise ``ValueError`` only when the bytes are not an e-mail."""
    ok, reason = _looks_like_email(data)
    if not ok:
        raise ValueError(f"not an e-mail: {reason}")
    if data.startswith(b"From "):  # an mbox separator line left in front
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    msg = _parse(data)
    texts: list[str] = []
    attachments: list[Attachment] = []
    problems: list[str] = []
    _collect(msg, texts, attachments, problems)
    problems[:0] = _defect_problems(msg)  # after _collect: payload decoding records base64 defects
    sender, date = parse_sender(header_text(msg, "From")), iso_date(header_text(msg, "Date"))
    return assemble_email(header_text(msg, "Subject"), sender, date, texts, attachments, problems)


def split_mbox(data: bytes) -> list[bytes]:
    """Split an mbox into raw messages on "From " separator lines, unescaping ">From " lines.

    A separator is a line starting with "From " at the start of the file or after a
    blank line. Without any separator the whole input is returned as one message.
    """
    lines = data.splitlines(keepends=True)
    messages: list[list[bytes]] = []
    current: list[bytes] | None = None
    previous_blank = True
    for line in lines:
        if previous_blank and _MBOX_SEPARATOR.match(line.rstrip(b"\r\n")):
            current = []
            messages.append(current)
        elif current is None:
            current = []
            messages.append(current)
            current.append(line)
        else:
            current.append(line)
        previous_blank = not line.strip()
    result = []
    for message_lines in messages:
        raw = b"".join(message_lines)
        if raw.endswith(b"\r\n\r\n"):
            raw = raw[:-2]
        elif raw.endswith(b"\n\n"):
            raw = raw[:-1]
        if raw.strip():
            result.append(_MBOX_ESCAPED_FROM.sub(rb"\1", raw))
    return result
