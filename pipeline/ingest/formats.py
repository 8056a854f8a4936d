"""Format sniffing and text extraction of single documents: txt, md, html, pdf, docx, odt.

The real format comes from the content (magic bytes, container members, headers), never from the
extension alone; a disagreement is reported as a warning. Extraction failures raise
:class:`ExtractionError` with a status ("skipped" or "failed") and a sentence for the manifest.
"""
from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import PurePosixPath
from xml.etree import ElementTree

import charset_normalizer

from pipeline.config import IngestConfig
from pipeline.ingest.cleaning import (
    clean_pdf_pages, looks_line_broken, normalise_unicode, rebuild_paragraphs, tidy_paragraphs,
)

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


def _ole_stream_names(data: bytes) -> set[str]:
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
    names = _ole_stream_names(data)
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
    handlers = {"txt": _extract_txt, "md": _extract_md, "html": _extract_html, "pdf": _extract_pdf,
                "docx": _extract_docx, "odt": _extract_odt}
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


_MD_INLINE = (
    (re.compile(r"<!--.*?-->", re.S), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<(https?://[^>]+)>"), r"\1"),
    (re.compile(r"</?[a-zA-Z][^>]*>"), ""),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?!\w)"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
)
_MD_DROP = re.compile(r"^\s*(?:(?:[-*_]\s*){3,}|=+|-+|```.*|~~~.*|\[[^\]]+\]:\s+\S+.*|\|?[\s:|-]*-{3,}[\s:|-]*\|?)\s*$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)[\s#]*$")
_MD_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")


def _extract_md(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    text, encoding = decode_text(data)
    text = re.sub(r"\A---\n.*?\n---\n", "", text.replace("\r\n", "\n"), flags=re.S)  # front matter
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for line in text.split("\n"):
        if not line.strip() or _MD_DROP.match(line):
            flush()
            continue
        heading = _MD_HEADING.match(line)
        line = re.sub(r"^\s*(?:>\s?)+", "", heading.group(1) if heading else line)
        if line.strip().startswith("|"):
            line = " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        for pattern, repl in _MD_INLINE:
            line = pattern.sub(repl, line)
        if heading or _MD_ITEM.match(line) or line.startswith(("|",)) or " | " in line:
            flush()
        current.append(line.strip())
        if heading:
            flush()
    flush()
    return "\n\n".join(paragraphs), {"encoding": encoding}


class _HtmlText(HTMLParser):
    SKIP = {"script", "style", "nav", "noscript", "template", "svg", "head", "iframe", "object"}
    BLOCK = {"p", "div", "section", "article", "header", "footer", "aside", "main", "h1", "h2", "h3", "h4",
             "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "thead", "tbody", "blockquote",
             "pre", "figure", "figcaption", "address", "hr", "form", "fieldset", "details", "summary",
             "center", "caption", "body", "html"}

    VOID = {"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_tag: str | None = None  # element being skipped, with its nesting depth
        self.skip_depth = 0
        self.in_title = False
        self.title = ""
        self.cells_in_row = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "title":
            self.in_title = True
        if self.skip_tag:
            self.skip_depth += tag == self.skip_tag
            return
        hidden = any(k == "hidden" or (k == "aria-hidden" and v == "true") for k, v in attrs)
        if (tag in self.SKIP or hidden) and tag not in self.VOID:
            self.skip_tag, self.skip_depth = tag, 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | " if self.cells_in_row else "")
            self.cells_in_row += 1
        elif tag in self.BLOCK:
            self.parts.append("\n\n")
            if tag == "tr":
                self.cells_in_row = 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if not self.skip_depth:
                    self.skip_tag = None
        elif tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data
        elif not self.skip_tag:
            self.parts.append(re.sub(r"\s+", " ", data))


def _extract_html(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    declared = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_:.-]+)", data[:4096], re.I)
    text, encoding = decode_text(data, declared.group(1).decode("ascii") if declared else None)
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    body = "".join(parser.parts)
    paragraphs = [re.sub(r" *\n *", "\n", p).strip() for p in re.split(r"\n\s*\n", body)]
    meta = {"encoding": encoding, "title": " ".join(parser.title.split()) or None}
    return "\n\n".join(p for p in paragraphs if p), meta


def _extract_pdf(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    from pypdf import PdfReader
    from pypdf import PasswordType

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
        if encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ExtractionError("failed", "encrypted PDF: a password is required to open it")
        pages = list(reader.pages)
    except ExtractionError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
        raise ExtractionError("failed", f"corrupt or truncated PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise ExtractionError("failed", "PDF has no pages")
    texts, errors = [], []
    for number, page in enumerate(pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:  # noqa: BLE001
            texts.append("")
            errors.append(f"page {number}: {type(exc).__name__}: {exc}")
    if len(errors) == len(pages):
        raise ExtractionError("failed", f"no page of the PDF could be read ({errors[0]})")
    chars = [len("".join(t.split())) for t in texts]
    if all(n < config.min_chars_per_pdf_page for n in chars):
        raise ExtractionError("skipped", "no text layer (scanned PDF?); OCR is out of scope")
    title = None
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # noqa: BLE001 - broken info dictionary: no title
        pass
    meta = {
        "n_pages": len(pages), "title": title if isinstance(title, str) and title.strip() else None,
        "encrypted_empty_password": encrypted,
        "pages_without_text": sum(n < config.min_chars_per_pdf_page for n in chars),
        "page_errors": errors,
    }
    return clean_pdf_pages(texts), meta


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _extract_docx(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    import docx

    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage" in _ole_stream_names(data):
            raise ExtractionError("failed", "password-protected DOCX (encrypted); ask for an unprotected copy")
        raise ExtractionError("failed", "not a DOCX file: old OLE Office format (.doc?) not supported")
    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs: list[str] = []
        _docx_blocks(document.element.body, paragraphs)
        title = document.core_properties.title or None
    except Exception as exc:  # noqa: BLE001 - zip, XML or package errors alike
        raise ExtractionError("failed", f"corrupt DOCX ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(paragraphs), {"title": title}


def _docx_blocks(container, paragraphs: list[str]) -> None:
    """Paragraphs and table rows in document order. The XML is read directly (not Paragraph.text)
    so that tracked insertions, content controls (forms) and text boxes are not lost."""
    for child in container:
        if child.tag == f"{_W}p":
            paragraphs.append(_docx_text(child))
        elif child.tag == f"{_W}tbl":
            for row in (r for r in child if r.tag == f"{_W}tr"):
                cells = [" ".join(_docx_text(cell).split()) for cell in row if cell.tag == f"{_W}tc"]
                paragraphs.append(" | ".join(cell for cell in cells if cell))
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            _docx_blocks(child, paragraphs)


def _docx_text(element) -> str:
    parts = []
    for child in element:
        if child.tag == _MC_FALLBACK or child.tag == f"{_W}del":
            continue  # duplicate of mc:Choice; deleted text
        if child.tag == f"{_W}t":
            parts.append(child.text or "")
        elif child.tag == f"{_W}tab":
            parts.append(" ")
        elif child.tag in (f"{_W}br", f"{_W}cr"):
            parts.append("\n")
        else:
            parts.append(_docx_text(child))
            if child.tag == f"{_W}p":
                parts.append("\n")
    return "".join(parts)


_ODF = {
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}
_ODF_SKIP = {f"{{{_ODF['text']}}}{t}" for t in ("tracked-changes", "table-of-content", "alphabetical-index",
                                                 "note-citation", "bookmark-ref", "sequence-decls")}
_ODF_SKIP.add(f"{{{_ODF['office']}}}annotation")


def _odf_inline(element, notes: list[str]) -> str:
    parts = [element.text or ""]
    for child in element:
        local = child.tag.rsplit("}", 1)[-1]
        if child.tag in _ODF_SKIP:
            pass
        elif local == "s":
            parts.append(" " * int(child.get(f"{{{_ODF['text']}}}c", "1")))
        elif local == "tab":
            parts.append(" ")
        elif local == "line-break":
            parts.append("\n")
        elif local == "note":
            notes.extend(_odf_inline(p, notes) for p in child.iter(f"{{{_ODF['text']}}}p"))
        else:
            parts.append(_odf_inline(child, notes))
        parts.append(child.tail or "")
    return "".join(parts)


def _odf_blocks(element, paragraphs: list[str], notes: list[str]) -> None:
    for child in element:
        local = child.tag.rsplit("}", 1)[-1]
        if child.tag in _ODF_SKIP:
            continue
        if child.tag in (f"{{{_ODF['text']}}}p", f"{{{_ODF['text']}}}h"):
            paragraphs.append(_odf_inline(child, notes))
        elif local == "table-row":
            cells = []
            for cell in child:
                cell_paragraphs: list[str] = []
                _odf_blocks(cell, cell_paragraphs, notes)
                text = " ".join(" ".join(cell_paragraphs).split())
                if text:
                    cells.append(text)
            paragraphs.append(" | ".join(cells))
        else:
            _odf_blocks(child, paragraphs, notes)


def _extract_odt(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if archive.getinfo("content.xml").file_size > config.max_file_bytes:
                raise ExtractionError("failed", "ODT content.xml is larger than the file size limit")
            root = ElementTree.fromstring(archive.read("content.xml"))
    except ExtractionError:
        raise
    except KeyError as exc:
        raise ExtractionError("failed", "corrupt ODT: no content.xml in the package") from exc
    except Exception as exc:  # noqa: BLE001 - zip or XML errors
        raise ExtractionError("failed", f"corrupt ODT ({type(exc).__name__}: {exc})") from exc
    body = root.find(f"{{{_ODF['office']}}}body")
    paragraphs: list[str] = []
    notes: list[str] = []
    _odf_blocks(body if body is not None else root, paragraphs, notes)
    return "\n\n".join(paragraphs + notes), {}
