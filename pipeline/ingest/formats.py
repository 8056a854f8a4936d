"""Format sniffing and text extraction of single documents: txt, md, html, pdf, docx, odt.

The real format comes from the content (magic bytes, container members, headers), never from the
extension alone; a disagreement is reported as a warning. Extraction failures raise
:class:`ExtractionError` with a status ("skipped" or "failed") and a sentence for the manifest.

This module sniffs, decodes and reads plain text; the other readers live next to it:
``markup`` (Markdown, HTML), ``office`` (DOCX, ODT) and ``pdf``.
"""
from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import charset_normalizer

from pipeline.config import IngestConfig
from pipeline.ingest.cleaning import looks_line_broken, normalise_unicode, rebuild_paragraphs, tidy_paragraphs

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXTENSIONS = {
    ".pdf": "pdf", ".docx": "docx", ".odt": "odt", ".txt": "txt", ".text": "txt", ".md": "md",
    ".markdown": "md", ".html": "html", ".htm": "html", ".xhtml": "html", ".eml": "eml",
    ".mbox": "mbox", ".mbx": "mbox", ".msg": "msg", ".zip": "zip",
}
# Text files that hold data, not prose: recorded, never read as a contribution.
DATA_EXTENSIONS = {".csv", ".tsv", ".json", ".geojson", ".xml", ".kml", ".gpx", ".sql", ".ics", ".vcf"}
LABELS = {
    "txt": "plain text", "md": "Markdown", "html": "HTML", "pdf": "PDF", "docx": "DOCX", "odt": "ODT",
    "eml": "an e-mail (RFC 822)", "mbox": "an mbox mailbox", "msg": "an Outlook .msg", "zip": "a zip archive",
    "unknown": "an unsupported file type", "binary": "unrecognised binary data", "empty": "empty",
}
_UNSUPPORTED_MAGIC = (
    (b"\x89PNG", "PNG image"), (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"),
    (b"II*\x00", "TIFF image"), (b"MM\x00*", "TIFF image"), (b"{\\rtf", "RTF document"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"), (b"Rar!", "RAR archive"), (b"\x1f\x8b", "gzip archive"),
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_MAIL_HEADERS = {"from", "subject", "received", "mime-version", "message-id", "return-path", "date",
                 "to", "cc", "delivered-to", "content-type", "x-mailer", "reply-to"}
_MAIL_STRONG = {"from", "received", "mime-version", "message-id", "return-path", "delivered-to"}
_BINARY_NOTE = "unrecognised binary content"
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):")
_LATIN9_SIGNS = re.compile(rb"[\xbc\xbd][a-z]|\xa4")


class ExtractionError(Exception):
    """A document that yields no text: status "skipped" (nothing to read) or "failed" (unreadable)."""

    def __init__(self, status: str, reason: str):
        if status not in ("skipped", "failed"):
            raise ValueError(f"unknown extraction status {status!r}")
        super().__init__(f"{status}: {reason}")
        self.status = status
        self.reason = reason


@dataclass
class Extracted:
    """Cleaned text (NFC, paragraphs separated by a blank line), its real format and metadata."""

    text: str
    format: str
    meta: dict = field(default_factory=dict)


# --------------------------------------------------------------------------- sniffing
def sniff_format(name: str, data: bytes) -> tuple[str, str | None]:
    """Real format of a file from its content, and a warning when the extension disagrees
    or the content is a type the pipeline cannot read.

    Formats: txt, md, html, pdf, docx, odt, eml, mbox, msg, zip; "empty" (no bytes or only
    whitespace); "unknown" (a recognised type that is not read: images, spreadsheets, RTF, data
    files); "binary" (unrecognised binary content, or an old OLE Office file). An encrypted
    Office package is reported as "docx" with a warning: extracting it raises a clear failure."""
    ext = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    real, note = _sniff_content(ext, data)
    expected = EXTENSIONS.get(ext)
    if expected and real != expected and real != "empty" and {expected, real} != {"txt", "md"}:
        mismatch = f"extension {ext} but content is {LABELS[real]}"
        note = f"{mismatch}; {note}" if note and note != _BINARY_NOTE else mismatch
    return real, note


def _sniff_content(ext: str, data: bytes) -> tuple[str, str | None]:
    if not data or (not data[:4096].strip() and not data.strip()):
        return "empty", "file is empty" if not data else "file contains only whitespace"
    if b"%PDF-" in data[:1024]:
        return "pdf", None
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(ext, data)
    if data.startswith(OLE_MAGIC):
        return _sniff_ole(data)
    for magic, label in _UNSUPPORTED_MAGIC:
        if data.startswith(magic):
            return "unknown", f"{label} not supported"
    if _looks_binary(data[:8192]):
        return "binary", _BINARY_NOTE
    head = data[:65536].decode(_bom_encoding(data) or "latin-1", errors="replace").lstrip("\ufeff")
    lines = head.split("\n", 200)[:200]
    if lines[0].startswith("From ") and len(lines) > 1 and _HEADER_LINE.match(lines[1]):
        return "mbox", None
    if _looks_like_email(lines):
        return "eml", None
    lowered = head[:4096].lower()
    if re.search(r"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]", lowered):
        return "html", None
    if ext in (".html", ".htm", ".xhtml") and re.search(r"<[a-z][a-z0-9]*[\s>/]", lowered):
        return "html", None
    if ext in DATA_EXTENSIONS:
        return "unknown", f"data file ({ext}) is not read as a contribution text"
    return ("md" if ext in (".md", ".markdown") else "txt"), None


def _sniff_zip(ext: str, data: bytes) -> tuple[str, str | None]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = b""
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 200:
                mimetype = archive.read("mimetype").strip()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        fmt = EXTENSIONS.get(ext) if ext in (".docx", ".odt") else "zip"
        return fmt, f"corrupt zip container ({exc})"
    if "word/document.xml" in names:
        return "docx", None
    if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
        return "odt", None
    if mimetype.startswith(b"application/vnd.oasis.opendocument."):
        return "unknown", f"OpenDocument type {mimetype.decode('ascii', 'replace')} not supported"
    if "xl/workbook.xml" in names:
        return "unknown", "Excel workbook (xlsx) not supported"
    if "ppt/presentation.xml" in names:
        return "unknown", "PowerPoint presentation (pptx) not supported"
    if mimetype == b"application/epub+zip":
        return "unknown", "EPUB book not supported"
    return "zip", None


def ole_stream_names(data: bytes) -> set[str]:
    """Stream names of an OLE compound file; a raw search of known names when olefile cannot parse it."""
    try:
        import olefile

        with olefile.OleFileIO(data) as ole:
            return {entry[-1] for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # noqa: BLE001 - damaged or hand-made OLE: fall back to a byte search
        known = ("EncryptedPackage", "EncryptionInfo", "WordDocument", "Workbook", "Book", "PowerPoint Document")
        found = {name for name in known if name.encode("utf-16-le") in data}
        if "__substg1.0_".encode("utf-16-le") in data:
            found.add("__substg1.0_")
        return found


def _sniff_ole(data: bytes) -> tuple[str, str | None]:
    names = ole_stream_names(data)
    if "EncryptedPackage" in names:
        return "docx", "password-protected (encrypted) Office document"
    if any(name.startswith("__substg1.0_") for name in names):
        return "msg", None
    if "WordDocument" in names:
        return "binary", "old Word .doc format not supported (convert it to DOCX or PDF)"
    if names & {"Workbook", "Book"}:
        return "binary", "old Excel .xls format not supported"
    return "binary", "OLE compound file (old Office format) not supported"


def _bom_encoding(data: bytes) -> str | None:
    return next((enc for bom, enc in _BOMS if data.startswith(bom)), None)


def _looks_binary(head: bytes) -> bool:
    if _bom_encoding(head):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > 0.02 * max(len(head), 1)


def _looks_like_email(lines: list[str]) -> bool:
    names: set[str] = set()
    for line in lines:
        if not line.strip():
            break
        match = _HEADER_LINE.match(line)
        if match:
            names.add(match.group(1).lower())
        elif not line[:1].isspace():
            return False
    return len(names & _MAIL_HEADERS) >= 2 and bool(names & _MAIL_STRONG)


# --------------------------------------------------------------------------- decoding
def decode_text(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes to text; returns (text, encoding used). Order: byte-order mark, declared
    charset, UTF-8, then a single-byte guess (cp1252 / ISO-8859-1 / Mac Roman)."""
    bom = _bom_encoding(data)
    if bom:
        return data.decode(bom, errors="replace").lstrip("\ufeff"), bom
    if declared:
        try:
            name = codecs.lookup(declared.strip().strip("\"'")).name
            if name in ("latin-1", "iso8859-1", "ascii"):  # as browsers do: these labels mean cp1252
                name = "cp1252"
            return data.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if not any(0x80 <= b <= 0x9F for b in data):
        if _LATIN9_SIGNS.search(data):  # "½uvre", "10 ¤": ISO-8859-15 œ and €
            return data.decode("iso8859-15"), "iso-8859-15"
        return data.decode("latin-1"), "iso-8859-1"  # identical to cp1252 on these bytes
    guess = charset_normalizer.from_bytes(data[:200_000], cp_isolation=["cp1252", "mac_roman", "cp850"]).best()
    encoding = guess.encoding if guess is not None else "cp1252"
    try:
        return data.decode(encoding), encoding
    except UnicodeDecodeError:
        return data.decode("latin-1"), "iso-8859-1"


# --------------------------------------------------------------------------- extraction
def extract_document(name: str, data: bytes, fmt: str, config: IngestConfig) -> Extracted:
    """Extract the cleaned text of one document of format ``fmt`` (txt, md, html, pdf, docx, odt).
    Raises :class:`ExtractionError` when there is no text or the file cannot be read."""
    # Imported here, not at the top: these readers import decode_text, ExtractionError and the OLE
    # helpers from this module.
    from pipeline.ingest import markup, office, pdf

    handlers = {"txt": _extract_txt, "md": markup.extract_md, "html": markup.extract_html,
                "pdf": pdf.extract_pdf, "docx": office.extract_docx, "odt": office.extract_odt}
    if fmt not in handlers:
        raise ExtractionError("skipped", f"format {fmt!r} is not a document this extractor reads")
    text, meta = handlers[fmt](data, config)
    text = tidy_paragraphs(re.split(r"\n[ \t]*\n", normalise_unicode(text)))
    if not text:
        raise ExtractionError("skipped", f"no text found in the {LABELS[fmt]} document")
    return Extracted(text=text, format=fmt, meta=meta)


def _extract_txt(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    text, encoding = decode_text(data)
    meta = {"encoding": encoding, "rebuilt_paragraphs": looks_line_broken(text)}
    return (rebuild_paragraphs(text) if meta["rebuilt_paragraphs"] else text), meta
