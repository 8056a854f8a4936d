"""Parsing of e-mails: ``.eml`` (MIME), ``.mbox`` (several messages) and Outlook ``.msg``.

The parser returns what it can read and lists what went wrong in ``problems``: a
truncated message still yields its headers, the text read so far and the
attachments whose bytes arrived. Only input that is not an e-mail at all raises.
"""
from __future__ import annotations

import base64
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from email import errors, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

from pipeline.ingest.email_cleaning import clean_email_body, html_to_text, signature_organisation

try:  # shared charset guesser, written by the formats module
    from pipeline.ingest.formats import decode_text as _shared_decode
except ImportError:  # pragma: no cover - depends on the other module being present
    _shared_decode = None

# Headers of which at least one must appear in the header block of a real e-mail.
_EMAIL_HEADERS = {"from", "to", "subject", "date", "message-id", "received", "mime-version",
                  "return-path", "delivered-to", "cc", "reply-to", "sender"}
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]?")
_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\[\]]+\.[^@\s<>\[\]]+$")
_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
_MBOX_SEPARATOR = re.compile(rb"^From \S+.*$")
_MBOX_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


@dataclass
class Attachment:
    """One attachment: decoded filename ("" when absent), MIME type and decoded bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    """What the ingestion keeps of one e-mail; ``problems`` lists what could not be read."""

    subject: str | None
    sender_name: str | None
    sender_email: str | None
    date: str | None
    body: str
    signature_org: str | None  # organisation in the signature block, else in the sender's display name
    attachments: list[Attachment] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


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


def _header(msg: Message, name: str) -> str | None:
    """Decoded header value (RFC 2047), falling back to decoding the raw value."""
    try:
        value = msg.get(name)
        if value is None:
            return None
        text = str(value) if msg.policy is not policy.compat32 else str(make_header(decode_header(value)))
    except Exception:
        raw = next((v for k, v in msg.raw_items() if k.lower() == name.lower()), None)
        if raw is None:
            return None
        try:
            text = str(make_header(decode_header(str(raw))))
        except Exception:
            text = str(raw)
    text = re.sub(r"\s+", " ", text).strip()
    return text or None


def _iso_date(value: str | None) -> str | None:
    """ISO 8601 from an RFC 5322 date, None when absent or unparseable."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _sender(value: str | None) -> tuple[str | None, str | None]:
    """Display name and address of a From value (already RFC 2047 decoded); junk gives None."""
    if not value:
        return None, None
    name, address = email.utils.parseaddr(value)
    if not _ADDRESS.match(address):
        leftover = value.replace(address, "") if address else value
        return (name or leftover).strip(' "<>') or None, None
    return (name.strip() or None), address.strip().lower()


def _filename(part: Message) -> str:
    """Attachment filename decoded from RFC 2231 parameters or RFC 2047 words."""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # compat32 returns RFC 2231 values undecoded in some cases
        name = email.utils.collapse_rfc2231_value(name)
    name = str(name)
    if "=?" in name:
        try:
            name = str(make_header(decode_header(name)))
        except Exception:
            pass
    return name.strip().replace("/", "_").replace("\\", "_")


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
    if disposition == "attachment" or _filename(part):
        return True
    return part.get_content_maintype() != "text" or part.get_content_type() not in {"text/plain", "text/html"}


def _collect(part: Message, texts: list[str], attachments: list[Attachment], problems: list[str]) -> None:
    """Walk the MIME tree without entering forwarded messages (they become attachments)."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        name = _filename(part) or (inner and isinstance(inner, list) and _header(inner[0], "Subject")) or "message"
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
        attachments.append(Attachment(_filename(part), ctype, _payload_bytes(part)))
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


def _assemble(subject, sender, date, texts, attachments, problems) -> ParsedEmail:
    """Clean the body text and build the result shared by .eml and .msg parsing."""
    raw_body = "\n\n".join(t.strip() for t in texts if t and t.strip())
    cleaned = clean_email_body(raw_body)
    if not cleaned.text.strip():
        problems.append("no text body" if not raw_body.strip() else "body empty after removing quotes and signature")
    name, address = sender
    # a display name such as "Mairie de Haut-Verger" signs the message when the body does not
    organisation = cleaned.signature_org or (signature_organisation([name]) if name else None)
    return ParsedEmail(subject, name, address, date, cleaned.text, organisation, attachments, problems)


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
    return _assemble(_header(msg, "Subject"), _sender(_header(msg, "From")), _iso_date(_header(msg, "Date")),
                     texts, attachments, problems)


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


def _msg_attachment(att) -> Attachment:
    """One extract_msg attachment; an embedded Outlook message is rewritten as a .msg file."""
    name = att.longFilename or att.shortFilename or getattr(att, "displayName", None) or ""
    data = att.data
    if data is not None and not isinstance(data, bytes):  # embedded MSGFile
        from pipeline.synth.msg_writer import write_msg

        inner = data
        name_, address = _sender(inner.sender)
        inner_attachments = [(a.filename, a.data) for a in (_msg_attachment(x) for x in inner.attachments)]
        data = write_msg(None, subject=inner.subject or "", sender_name=name_ or "", sender_email=address or "",
                         to=inner.to or "", date_iso=(inner.date.isoformat() if inner.date else "1970-01-01T00:00:00"),
                         body=inner.body or "", attachments=inner_attachments)
        name = (name or inner.subject or "message").removesuffix(".msg") + ".msg"
        return Attachment(name.replace("/", "_"), "application/vnd.ms-outlook", data)
    content_type = getattr(att, "mimetype", None) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Attachment(name.replace("/", "_"), content_type, data or b"")


def parse_msg(data: bytes) -> ParsedEmail:
    """Parse an Outlook ``.msg`` (OLE2) file with extract_msg, attachments included."""
    import extract_msg  # imported here: slow to import and only needed for .msg files

    if not data.startswith(_OLE_MAGIC) or len(data) < 1536:
        # also keeps olefile from reading short byte strings as a file path
        raise ValueError("not an Outlook .msg: no OLE2 compound-file signature")
    try:
        msg = extract_msg.openMsg(data, strict=False)
    except Exception as exc:
        raise ValueError(f"not an Outlook .msg: {type(exc).__name__}: {exc}") from exc
    problems: list[str] = []
    try:
        texts = [msg.body or ""]
        if not texts[0].strip() and getattr(msg, "htmlBody", None):
            html = msg.htmlBody
            texts = [html_to_text(html.decode("utf-8", "replace") if isinstance(html, bytes) else html)]
        attachments = []
        for att in msg.attachments:
            try:
                attachments.append(_msg_attachment(att))
            except Exception as exc:
                problems.append(f"unreadable attachment: {type(exc).__name__}: {exc}")
        date = msg.date.isoformat() if getattr(msg, "date", None) else None
        sender = _sender(msg.sender)
        return _assemble(msg.subject or None, sender, date, texts, attachments, problems)
    finally:
        msg.close()
