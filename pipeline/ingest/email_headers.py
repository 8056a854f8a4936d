"""Decoding of e-mail header values: subjects and names (RFC 2047), dates, senders, attachment filenames."""
from __future__ import annotations

import email.utils
import re
from email import policy
from email.header import decode_header, make_header
from email.message import Message

_ADDRESS = re.compile(r"^[^@\s<>\"]+@[^@\s<>\[\]]+\.[^@\s<>\[\]]+$")


def header_text(msg: Message, name: str) -> str | None:
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


def iso_date(value: str | None) -> str | None:
    """ISO 8601 from an RFC 5322 date, None when absent or unparseable."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def parse_sender(value: str | None) -> tuple[str | None, str | None]:
    """Display name and address of a From value (already RFC 2047 decoded); junk gives None."""
    if not value:
        return None, None
    name, address = email.utils.parseaddr(value)
    if not _ADDRESS.match(address):
        leftover = value.replace(address, "") if address else value
        return (name or leftover).strip(' "<>') or None, None
    return (name.strip() or None), address.strip().lower()


def attachment_filename(part: Message) -> str:
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
