"""Writers of realistic test files: PDF, DOCX, ODT, e-mail, mbox and zip.

Every writer is deterministic: dates inside documents, zip timestamps, MIME
boundaries and Message-IDs are fixed or derived from the content, so writing the
same input twice gives the same bytes (where the underlying library allows it).

Paragraph convention shared by the document writers: a paragraph starting with
``"# "`` (or ``"## "``) is a heading, every other string is a body paragraph.
"""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from datetime import datetime, timezone
from email import policy
from email.charset import BASE64, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

FIXED_DATE = datetime(2023, 6, 30, 12, 0, 0, tzinfo=timezone.utc)
ZIP_DATE = (2023, 6, 30, 12, 0, 0)
_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)

Attachment = tuple[str, bytes, str]  # (filename, data, mime type)


def _heading_level(paragraph: str) -> int:
    """Return 1 or 2 for '# ' / '## ' headings, 0 for body text."""
    if paragraph.startswith("## "):
        return 2
    if paragraph.startswith("# "):
        return 1
    return 0


def _strip_heading(paragraph: str) -> str:
    return paragraph.lstrip("#").strip()


def _unicode_font() -> Path | None:
    """The first DejaVuSans TTF found on the system (None: fall back to latin-1 core fonts)."""
    return next((p for p in _FONT_CANDIDATES if p.is_file()), None)


def _write(path: str | Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --------------------------------------------------------------------------- PDF


def render_pdf(
    paragraphs: Sequence[str],
    *,
    title: str | None = None,
    header: str | None = None,
    footer_with_page_numbers: bool = True,
    created: datetime = FIXED_DATE,
) -> bytes:
    """Render paragraphs as a text PDF (A4, Unicode font when available) and return its bytes."""
    from fpdf import FPDF

    font_path = _unicode_font()

    class _Pdf(FPDF):
        def header(self) -> None:  # noqa: D102 - fpdf2 hook
            if header:
                self.set_font(family, size=8)
                self.cell(0, 6, _text(header), align="C", new_x="LMARGIN", new_y="NEXT")
                self.ln(4)

        def footer(self) -> None:  # noqa: D102 - fpdf2 hook
            if footer_with_page_numbers:
                self.set_y(-15)
                self.set_font(family, size=8)
                self.cell(0, 10, f"Page {self.page_no()}/{{nb}}", align="C")

    pdf = _Pdf(format="A4")
    if font_path is not None:
        pdf.add_font("DejaVu", "", str(font_path))
        family = "DejaVu"

        def _text(s: str) -> str:
            return s
    else:  # core fonts only know latin-1
        family = "Helvetica"

        def _text(s: str) -> str:
            s = s.replace("’", "'").replace("—", "-").replace("–", "-").replace("…", "...")
            s = s.replace("œ", "oe").replace("Œ", "OE").replace("€", "EUR")
            return s.encode("latin-1", "replace").decode("latin-1")

    pdf.set_creation_date(created)
    pdf.set_producer("pipeline.synth")
    if title:
        pdf.set_title(title)
    pdf.alias_nb_pages()
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    if title:
        pdf.set_font(family, size=15)
        pdf.multi_cell(0, 8, _text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    for paragraph in paragraphs:
        level = _heading_level(paragraph)
        if level:
            pdf.ln(2)
            pdf.set_font(family, size=13 if level == 1 else 12)
            pdf.multi_cell(0, 7, _text(_strip_heading(paragraph)), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        else:
            pdf.set_font(family, size=11)
            pdf.multi_cell(0, 5.5, _text(paragraph), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    return bytes(pdf.output())


def write_pdf(
    path: str | Path,
    paragraphs: Sequence[str],
    *,
    title: str | None = None,
    header: str | None = None,
    footer_with_page_numbers: bool = True,
) -> None:
    """Write a text PDF; see :func:`render_pdf`."""
    _write(path, render_pdf(paragraphs, title=title, header=header,
                            footer_with_page_numbers=footer_with_page_numbers))


def render_scanned_pdf(pages: int = 1, created: datetime = FIXED_DATE) -> bytes:
    """A PDF that looks like a scan: grey shapes imitating lines of text, no text layer at all."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_creation_date(created)
    pdf.set_producer("pipeline.synth")
    for page in range(pages):
        pdf.add_page()
        pdf.set_fill_color(245, 243, 236)
        pdf.rect(0, 0, 210, 297, style="F")
        pdf.set_fill_color(60, 60, 60)
        pdf.rect(20, 20, 60, 18, style="F")  # letterhead logo
        for line in range(34):
            width = 170 - ((line * 37 + page * 11) % 45)
            pdf.rect(20, 50 + line * 6.5, width, 2.2, style="F")
    return bytes(pdf.output())


def encrypt_pdf(data: bytes, password: str) -> bytes:
    """Return ``data`` encrypted with a user password (pypdf, RC4-128).

    RC4 and a file identifier derived from the content keep the output deterministic
    (AES would draw a random initialisation vector per string).
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    file_id = ByteStringObject(hashlib.md5(data).digest())
    writer._ID = ArrayObject((file_id, file_id))  # pypdf has no public setter
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    writer._ID = ArrayObject((file_id, file_id))  # encrypt() draws a random second id
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -------------------------------------------------------------------------- DOCX


def render_docx(
    paragraphs: Sequence[str],
    *,
    headings: bool = True,
    title: str | None = None,
    author: str = "",
    created: datetime = FIXED_DATE,
) -> bytes:
    """Render paragraphs as a DOCX (python-docx); ``# `` paragraphs become Word headings when
    ``headings`` is true, plain bold paragraphs otherwise."""
    import docx

    document = docx.Document()
    props = document.core_properties
    props.author = author
    props.last_modified_by = author
    props.title = title or ""
    props.created = created.replace(tzinfo=None)
    props.modified = created.replace(tzinfo=None)
    props.revision = 1
    if title:
        document.add_heading(title, level=0)
    for paragraph in paragraphs:
        level = _heading_level(paragraph)
        if level and headings:
            document.add_heading(_strip_heading(paragraph), level=level)
        elif level:
            document.add_paragraph().add_run(_strip_heading(paragraph)).bold = True
        else:
            document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def write_docx(path: str | Path, paragraphs: Sequence[str], *, headings: bool = True,
               title: str | None = None, author: str = "") -> None:
    """Write a DOCX; see :func:`render_docx`."""
    _write(path, render_docx(paragraphs, headings=headings, title=title, author=author))


# --------------------------------------------------------------------------- ODT

_ODT_MIME = "application/vnd.oasis.opendocument.text"
_ODF_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)


def render_odt(paragraphs: Sequence[str], *, title: str | None = None,
               created: datetime = FIXED_DATE) -> bytes:
    """Render paragraphs as a minimal OpenDocument text (mimetype stored first, uncompressed)."""
    body = []
    if title:
        body.append(f'<text:h text:outline-level="1">{escape(title)}</text:h>')
    for paragraph in paragraphs:
        level = _heading_level(paragraph)
        if level:
            body.append(f'<text:h text:outline-level="{level + 1 if title else level}">'
                        f"{escape(_strip_heading(paragraph))}</text:h>")
        else:
            body.append(f"<text:p>{escape(paragraph)}</text:p>")
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content {_ODF_NS} office:version="1.3">'
        f"<office:body><office:text>{''.join(body)}</office:text></office:body></office:document-content>"
    )
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<office:document-meta {_ODF_NS} office:version="1.3">'
        f"<office:meta><meta:generator>pipeline.synth</meta:generator>"
        f"<dc:title>{escape(title or '')}</dc:title><meta:creation-date>{stamp}</meta:creation-date>"
        f"</office:meta></office:document-meta>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.3">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{_ODT_MIME}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(_zip_info("mimetype", zipfile.ZIP_STORED), _ODT_MIME)
        archive.writestr(_zip_info("content.xml"), content)
        archive.writestr(_zip_info("meta.xml"), meta)
        archive.writestr(_zip_info("META-INF/manifest.xml"), manifest)
    return buffer.getvalue()


def write_odt(path: str | Path, paragraphs: Sequence[str], *, title: str | None = None) -> None:
    """Write a minimal ODT; see :func:`render_odt`."""
    _write(path, render_odt(paragraphs, title=title))


# --------------------------------------------------------------------------- ZIP


def _zip_info(name: str, compression: int = zipfile.ZIP_DEFLATED) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = compression
    info.external_attr = 0o644 << 16
    return info


def render_zip(members: dict[str, bytes]) -> bytes:
    """Zip ``members`` (name -> bytes, in the given order) with fixed timestamps."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(_zip_info(name), data)
    return buffer.getvalue()


def write_zip(path: str | Path, members: dict[str, bytes]) -> None:
    """Write a zip archive; see :func:`render_zip`."""
    _write(path, render_zip(members))


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member timestamps, keeping member order and compression."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(_zip_info(info.filename, info.compress_type), source.read(info))
    return out.getvalue()


# ------------------------------------------------------------------------- EMAIL


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
    _write(path, render_mbox(messages))


# ------------------------------------------------------------- PROTECTED OFFICE

_AGILE_DESCRIPTOR = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
    '<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" '
    'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
    '<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" '
    'cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="{salt}"/>'
    '<keyEncryptors><keyEncryptor uri="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
    '<p:encryptedKey spinCount="100000" saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
    'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" saltValue="{salt}"/>'
    "</keyEncryptor></keyEncryptors></encryption>"
)


def render_encrypted_office(plain: bytes) -> bytes:
    """An OLE compound file shaped like a password-protected DOCX (agile encryption).

    It carries the ``EncryptionInfo`` and ``EncryptedPackage`` streams readers look for; the
    package holds pseudo-random bytes of the plain document's size (not a real AES ciphertext:
    nothing in the project decrypts it, detection is what matters).
    """
    import base64
    import random
    import struct

    from pipeline.synth.msg_writer import build_compound_file

    seed = int.from_bytes(hashlib.sha256(plain).digest()[:8], "big")
    rng = random.Random(seed)
    salt = base64.b64encode(rng.randbytes(16)).decode("ascii")
    info = b"\x04\x00\x04\x00" + struct.pack("<I", 0x40) + _AGILE_DESCRIPTOR.format(salt=salt).encode("utf-8")
    padded = len(plain) + (-len(plain) % 16)
    package = struct.pack("<Q", len(plain)) + rng.randbytes(padded)
    return build_compound_file({
        "EncryptionInfo": info,
        "EncryptedPackage": package,
        "\x06DataSpaces": {"Version": b"\x3c\x00\x00\x00" + "Microsoft.Container.DataSpaces".encode("utf-16-le")
                           + b"\x01\x00\x00\x00" * 3},
    })
