"""E-mail writers: RFC 5322 messages (attachments, forwarded messages, encoded headers) and mbox files.

Deterministic like every writer of :mod:`pipeline.synth`: MIME boundaries and Message-IDs are derived
from the content.
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime
from email import policy
from email.charset import BASE64, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Iterable, Sequence

from pipeline.synth.common import FIXED_DATE, write_file

Attachment = tuple[str, bytes, str]  # (filename, data, mime type)


def _address(value: str | tuple[str, str]) -> Address | str:
    """Accept ``"Name <a@b>"`` or ``(name, a@b)``; return a header-ready address."""
    name, email = value if isinstance(value, tuple) else parseaddr(value)
    if not email:
        return str(value)
    local, _, domain = email.partition("@")
    return Address(display_name=name, username=local, domain=domain)


def _date_header(date: datetime | str) -> str:
    if isinstance(date, str):
        date = datetime.fromisoformat(date)
    return format_datetime(date)


def build_eml(
    *,
    subject: str,
    sender: str | tuple[str, str],
    to: str | Iterable[str],
    date: datetime | str,
    body: str,
    attachments: Sequence[Attachment] = (),
    charset: str = "utf-8",
    transfer_encoding: str = "quoted-printable",
    cc: str | Iterable[str] = (),
    message_id: str | None = None,
    in_reply_to: str | None = None,
    subject_encoding: str = "q",
) -> bytes:
    """Build an RFC 5322 message and return its bytes.

    ``transfer_encoding`` applies to the text body ('quoted-printable', 'base64', '8bit').
    Non-ASCII subjects and names are RFC 2047-encoded. An attachment whose mime type is
    ``message/rfc822`` is embedded as a forwarded message. ``subject_encoding="b"`` writes
    the subject as base64 encoded words (the email package itself always picks "q"). Boundaries and the Message-ID
    are derived from the content, so the output is deterministic.
    """
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = _address(sender)
    recipients = [to] if isinstance(to, str) else list(to)
    msg["To"] = [_address(r) for r in recipients]
    copies = [cc] if isinstance(cc, str) else list(cc)
    if copies:
        msg["Cc"] = [_address(c) for c in copies]
    msg["Subject"] = subject
    msg["Date"] = _date_header(date)
    digest = hashlib.sha1(f"{subject}|{sender}|{date}|{body}".encode("utf-8")).hexdigest()
    domain = parseaddr(sender if isinstance(sender, str) else sender[1])[1].partition("@")[2] or "example.invalid"
    msg["Message-ID"] = message_id or f"<{digest[:20]}@{domain}>"
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body, charset=charset, cte=transfer_encoding)
    for filename, data, mime in attachments:
        if mime == "message/rfc822":
            inner = BytesParser(policy=policy.default).parsebytes(data)
            msg.add_attachment(inner)
        else:
            maintype, _, subtype = mime.partition("/")
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    for index, part in enumerate(msg.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"=_{digest[:12]}_{index}")
    raw = msg.as_bytes(policy=policy.SMTP)
    if subject_encoding == "b" and not subject.isascii():
        raw = _base64_subject(raw, subject)
    return raw


def _base64_subject(raw: bytes, subject: str) -> bytes:
    """Replace the top-level Subject header by base64 (RFC 2047 "B") encoded words."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    charset = Charset("utf-8")
    charset.header_encoding = BASE64
    encoded = Header(subject, charset, header_name="Subject").encode(linesep="\r\n")
    header = re.compile(rb"^Subject:.*?(?=\r\n(?![ \t]))", re.MULTILINE | re.DOTALL)
    head = header.sub(lambda _: b"Subject: " + encoded.encode("ascii"), head, count=1)
    return head + sep + rest


def render_mbox(messages: list[bytes]) -> bytes:
    """Messages as one mbox ("From " separator lines, mboxrd >From quoting, LF line ends)."""
    chunks = []
    for raw in messages:
        parsed = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        sender = parseaddr(parsed.get("From", ""))[1] or "MAILER-DAEMON"
        when = parsed.get("Date")
        stamp = (when.datetime if when is not None else FIXED_DATE).strftime("%a %b %d %H:%M:%S %Y")
        lines = raw.replace(b"\r\n", b"\n").split(b"\n")
        quoted = [b">" + line if line.lstrip(b">").startswith(b"From ") else line for line in lines]
        body = b"\n".join(quoted).rstrip(b"\n")
        chunks.append(f"From {sender} {stamp}\n".encode("ascii") + body + b"\n\n")
    return b"".join(chunks)


def write_mbox(path: str | Path, messages: list[bytes]) -> None:
    """Write messages to an mbox file; see :func:`render_mbox`."""
    write_file(path, render_mbox(messages))
