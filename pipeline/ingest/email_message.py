"""What the e-mail readers (``.eml``/``.mbox`` and Outlook ``.msg``) return, and how they build it."""
from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.ingest.email_cleaning import clean_email_body, signature_organisation


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


def assemble_email(subject: str | None, sender: tuple[str | None, str | None], date: str | None,
                   texts: list[str], attachments: list[Attachment], problems: list[str]) -> ParsedEmail:
    """Clean the body text and build the result shared by .eml and .msg parsing."""
    raw_body = "\n\n".join(t.strip() for t in texts if t and t.strip())
    cleaned = clean_email_body(raw_body)
    if not cleaned.text.strip():
        problems.append("no text body" if not raw_body.strip() else "body empty after removing quotes and signature")
    name, address = sender
    # a display name such as "Mairie de Haut-Verger" signs the message when the body does not
    organisation = cleaned.signature_org or (signature_organisation([name]) if name else None)
    return ParsedEmail(subject, name, address, date, cleaned.text, organisation, attachments, problems)
