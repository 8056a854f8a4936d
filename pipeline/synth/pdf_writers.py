"""PDF writers: text PDFs (fpdf2), scan-like PDFs without a text layer, and password encryption (pypdf).

Deterministic like every writer of :mod:`pipeline.synth` (see :mod:`pipeline.synth.common`).
"""
from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from typing import Sequence

from pipeline.synth.common import FIXED_DATE, heading_level, strip_heading, write_file

_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/local/share/fonts/DejaVuSans.ttf"),
)


def _unicode_font() -> Path | None:
    """The first DejaVuSans TTF found on the system (None: fall back to latin-1 core fonts)."""
    return next((p for p in _FONT_CANDIDATES if p.is_file()), None)


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
        level = heading_level(paragraph)
        if level:
            pdf.ln(2)
            pdf.set_font(family, size=13 if level == 1 else 12)
            pdf.multi_cell(0, 7, _text(strip_heading(paragraph)), new_x="LMARGIN", new_y="NEXT")
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
    write_file(path, render_pdf(paragraphs, title=title, header=header,
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
