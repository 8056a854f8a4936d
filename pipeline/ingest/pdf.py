"""Text extraction of PDF documents (pypdf): encryption, damaged files, pages without a text layer."""
from __future__ import annotations

import io

from pipeline.config import IngestConfig
from pipeline.ingest.cleaning import clean_pdf_pages
from pipeline.ingest.formats import ExtractionError


def extract_pdf(data: bytes, config: IngestConfig) -> tuple[str, dict]:
    """Text of a PDF (cleaned page by page) and its metadata: page count, title, pages without text,
    page errors. Raises :class:`ExtractionError` for encrypted, damaged or scanned (text-less) PDFs."""
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
