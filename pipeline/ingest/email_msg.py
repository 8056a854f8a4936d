"""Reading of Outlook ``.msg`` (OLE2) files with extract_msg, attachments and embedded messages included."""
from __future__ import annotations

import mimetypes

from pipeline.ingest.email_cleaning import html_to_text
from pipeline.ingest.email_headers import parse_sender
from pipeline.ingest.email_message import Attachment, ParsedEmail, assemble_email

_OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def _msg_attachment(att) -> Attachment:
    """One extract_msg attachment; an embedded Outlook message is rewritten as a .msg file."""
    name = att.longFilename or att.shortFilename or getattr(att, "displayName", None) or ""
    data = att.data
    if data is not None and not isinstance(data, bytes):  # embedded MSGFile
        from pipeline.synth.msg_writer import write_msg

        inner = data
        name_, address = parse_sender(inner.sender)
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
        sender = parse_sender(msg.sender)
        return assemble_email(msg.subject or None, sender, date, texts, attachments, problems)
    finally:
        msg.close()
