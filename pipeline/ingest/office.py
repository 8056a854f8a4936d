"""Text extraction of office documents: DOCX (WordprocessingML read directly, so tracked insertions,
form fields and text boxes are kept) and ODT (OpenDocument content.xml, footnotes appended)."""
from __future__ import annotations

import io
import zipfile
from xml.etree import ElementTree

from pipeline.config import IngestConfig
from pipeline.ingest.formats import OLE_MAGIC, ExtractionError, ole_stream_names

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def extract_docx(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    """Paragraphs and table rows of a DOCX in document order, and its title. Raises
    :class:`ExtractionError` for encrypted packages, old OLE Word files and damaged files."""
    import docx

    if data.startswith(OLE_MAGIC):
        if "EncryptedPackage" in ole_stream_names(data):
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


def extract_odt(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    """Paragraphs, headings and table rows of an ODT, then its footnotes. Raises
    :class:`ExtractionError` for a damaged package or an oversized content.xml."""
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
