"""Writers of realistic test files (pdf, docx, odt, eml, mbox, msg, zip) for tests and the sample corpus."""
from pipeline.synth.msg_writer import write_msg
from pipeline.synth.writers import (
    build_eml,
    encrypt_pdf,
    render_docx,
    render_mbox,
    render_encrypted_office,
    render_odt,
    render_pdf,
    render_scanned_pdf,
    render_zip,
    write_docx,
    write_mbox,
    write_odt,
    write_pdf,
    write_zip,
)

__all__ = [
    "build_eml", "encrypt_pdf", "render_docx", "render_mbox", "render_encrypted_office", "render_odt", "render_pdf",
    "render_scanned_pdf", "render_zip", "write_docx", "write_mbox", "write_msg", "write_odt", "write_pdf",
    "write_zip",
]
