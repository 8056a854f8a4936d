"""Writers of realistic test files: PDF, DOCX, ODT, e-mail, mbox and zip.

This module holds the DOCX, ODT, zip and protected-Office writers and re-exports the others, so
``pipeline.synth.writers`` stays the one import for every writer: PDF in
:mod:`pipeline.synth.pdf_writers`, e-mail and mbox in :mod:`pipeline.synth.mail_writers`.
Determinism and the paragraph convention (``"# "`` headings) are described in
:mod:`pipeline.synth.common`.
"""
from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

from pipeline.synth.common import FIXED_DATE, heading_level, strip_heading, write_file
from pipeline.synth.mail_writers import Attachment, build_eml, render_mbox, write_mbox
from pipeline.synth.pdf_writers import encrypt_pdf, render_pdf, render_scanned_pdf, write_pdf

__all__ = [
    "FIXED_DATE", "ZIP_DATE", "Attachment", "build_eml", "encrypt_pdf", "normalise_zip", "render_docx",
    "render_encrypted_office", "render_mbox", "render_odt", "render_pdf", "render_scanned_pdf", "render_zip",
    "write_docx", "write_mbox", "write_odt", "write_pdf", "write_zip",
]

ZIP_DATE = (2023, 6, 30, 12, 0, 0)


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
        level = heading_level(paragraph)
        if level and headings:
            document.add_heading(strip_heading(paragraph), level=level)
        elif level:
            document.add_paragraph().add_run(strip_heading(paragraph)).bold = True
        else:
            document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def write_docx(path: str | Path, paragraphs: Sequence[str], *, headings: bool = True,
               title: str | None = None, author: str = "") -> None:
    """Write a DOCX; see :func:`render_docx`."""
    write_file(path, render_docx(paragraphs, headings=headings, title=title, author=author))


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
        level = heading_level(paragraph)
        if level:
            body.append(f'<text:h text:outline-level="{level + 1 if title else level}">'
                        f"{escape(strip_heading(paragraph))}</text:h>")
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
    write_file(path, render_odt(paragraphs, title=title))


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
    write_file(path, render_zip(members))


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed member timestamps, keeping member order and compression."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(_zip_info(info.filename, info.compress_type), source.read(info))
    return out.getvalue()


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
