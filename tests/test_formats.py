"""Format sniffing and single-document extraction on files generated in the tests."""
from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from pipeline.config import IngestConfig
from pipeline.ingest.formats import ExtractionError, decode_text, extract_document, sniff_format

CONFIG = IngestConfig()
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
SENTENCE = "Les données de l’intercommunalité sont au cœur de l’action publique locale."
FRENCH = "L’équipe a dépensé 10 € pour l’œuvre commune, « à côté » de la mairie."


def _latin1_safe(text: str) -> str:
    return text.replace("’", "'").replace("œ", "oe").replace("€", "EUR").replace("—", "-")


def make_pdf(pages: list[list[str]], *, header: str | None = None, lines: bool = False,
             image_only: bool = False, tmp_path: Path | None = None) -> bytes:
    """A PDF with one entry of ``pages`` per page: paragraphs (wrapped) or, with lines=True, exact lines."""
    from fpdf import FPDF

    pdf = FPDF()
    if FONT.exists():
        pdf.add_font("body", fname=str(FONT))
        font, fix = "body", (lambda s: s)
    else:  # core font: Latin-1 only
        font, fix = "Helvetica", _latin1_safe
    for number, page in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font(font, size=11)
        if image_only:
            from PIL import Image

            path = tmp_path / f"scan{number}.png"
            Image.new("L", (200, 280), color=200).save(path)
            pdf.image(str(path), x=10, y=10, w=150)
            continue
        if header:
            pdf.cell(0, 8, fix(header), new_x="LMARGIN", new_y="NEXT")
        for item in page:
            if lines:
                pdf.cell(0, 6, fix(item), new_x="LMARGIN", new_y="NEXT")
            else:
                pdf.multi_cell(0, 6, fix(item), new_x="LMARGIN", new_y="NEXT")
                pdf.ln(3)
        pdf.set_auto_page_break(False)
        pdf.set_y(-15)
        pdf.cell(0, 8, f"Page {number} / {len(pages)}", align="C")
        pdf.set_auto_page_break(True, margin=20)
    return bytes(pdf.output())


def make_docx(build) -> bytes:
    import docx

    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


ODT_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)


def make_odt(body_xml: str) -> bytes:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NS} office:version="1.3">'
               f"<office:body><office:text>{body_xml}</office:text></office:body></office:document-content>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", "<manifest/>")
    return buffer.getvalue()


def ole_blob(*stream_names: str) -> bytes:
    """Hand-made bytes with the OLE magic and UTF-16 directory names (olefile cannot write OLE)."""
    body = b"".join(name.encode("utf-16-le") + b"\x00\x00" + b"\x00" * 40 for name in stream_names)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + body + b"\x00" * 512


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return make_pdf([[_long_paragraph(n), _short_paragraph(n)] for n in range(3)],
                    header="Ville de Testville — contribution à la consultation")


COMMUNES = ["Arles", "Brest", "Cahors", "Dax", "Épinal", "Foix", "Gap", "Hyères", "Istres", "Joigny"]


def _long_paragraph(n: int) -> str:
    return " ".join(f"{SENTENCE[:-1]} de {COMMUNES[(n * 3 + k) % 10]}." for k in range(5))


def _short_paragraph(n: int) -> str:
    return f"Un second paragraphe, plus court, sur le coût à {COMMUNES[9 - n]}."


# --------------------------------------------------------------------------- sniffing
@pytest.mark.parametrize("name,data,expected", [
    ("a.txt", "Bonjour, voici notre contribution.\n".encode(), "txt"),
    ("a.md", b"# Titre\n\nTexte.\n", "md"),
    ("a.html", b"<!DOCTYPE html><html><body><p>Texte</p></body></html>", "html"),
    ("a.htm", b"<p>Un fragment</p>", "html"),
    ("a.eml", b"From: a@b.fr\nTo: c@d.fr\nSubject: Contribution\nMIME-Version: 1.0\n\nCorps", "eml"),
    ("a.mbox", b"From a@b.fr Mon Jan  1 00:00:00 2024\nFrom: a@b.fr\nSubject: x\n\nCorps\n", "mbox"),
    ("a.zip", None, "zip"),
    ("a.msg", ole_blob("__substg1.0_0037001F", "__properties_version1.0"), "msg"),
])
def test_sniff_formats(name, data, expected):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("note.txt", "texte")
        data = buffer.getvalue()
    assert sniff_format(name, data) == (expected, None)


def test_sniff_office_documents(report_pdf):
    docx_bytes = make_docx(lambda d: d.add_paragraph("Texte"))
    odt_bytes = make_odt("<text:p>Texte</text:p>")
    assert sniff_format("r.pdf", report_pdf) == ("pdf", None)
    assert sniff_format("r.docx", docx_bytes) == ("docx", None)
    assert sniff_format("r.odt", odt_bytes) == ("odt", None)
    fmt, warning = sniff_format("rapport.pdf", docx_bytes)
    assert fmt == "docx" and warning == "extension .pdf but content is DOCX"
    fmt, warning = sniff_format("note.txt", report_pdf)
    assert fmt == "pdf" and "extension .txt" in warning
    assert sniff_format("sans_extension", odt_bytes) == ("odt", None)


def test_sniff_empty_binary_and_unsupported():
    assert sniff_format("vide.txt", b"")[0] == "empty"
    assert sniff_format("blanc.txt", b"  \n\n ")[0] == "empty"
    junk = random.Random(7).randbytes(4096)
    fmt, warning = sniff_format("contribution.docx", junk)
    assert fmt == "binary" and warning.startswith("extension .docx but content is unrecognised binary")
    assert sniff_format("scan.png", b"\x89PNG\r\n\x1a\n" + junk)[0] == "unknown"
    fmt, warning = sniff_format("equipements.csv", "commune;nombre\nArles;3\n".encode())
    assert fmt == "unknown" and "data file (.csv)" in warning
    fmt, warning = sniff_format("vieux.doc", ole_blob("WordDocument", "1Table"))
    assert fmt == "binary" and ".doc" in warning


def test_sniff_encrypted_docx_and_corrupt_container():
    fmt, warning = sniff_format("protege.docx", ole_blob("EncryptionInfo", "EncryptedPackage"))
    assert fmt == "docx" and "password-protected" in warning
    fmt, warning = sniff_format("casse.docx", b"PK\x03\x04" + b"\x00" * 100)
    assert fmt == "docx" and "corrupt" in warning


# --------------------------------------------------------------------------- decoding
@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", None),
])
def test_decode_text_encodings(encoding, expected):
    text = FRENCH + "\nLes collectivités territoriales et leurs données."
    decoded, used = decode_text(text.encode(encoding))
    assert decoded == text
    if expected:
        assert used == expected


def test_decode_text_latin1_and_declared():
    text = "Données publiques : l'été à Besançon, coût élevé."
    assert decode_text(text.encode("iso-8859-1")) == (text, "iso-8859-1")
    # a declared charset wins; "iso-8859-1" is read as cp1252 like browsers do (’ is 0x92)
    assert decode_text(FRENCH.encode("cp1252"), "iso-8859-1") == (FRENCH, "cp1252")
    assert decode_text("Ünïcödé".encode("utf-8"), "no-such-charset")[1] == "utf-8"


# --------------------------------------------------------------------------- text formats
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "iso-8859-15", "iso-8859-1"])
def test_extract_txt_each_encoding(encoding):
    body = FRENCH.replace("’", "'") if encoding.startswith("iso") else FRENCH
    if encoding == "iso-8859-1":
        body = body.replace("œ", "oe").replace("€", "euros")
    data = f"{body}\n\nSecond paragraphe.\n".encode(encoding)
    extracted = extract_document("c.txt", data, "txt", CONFIG)
    assert extracted.text == f"{body}\n\nSecond paragraphe."
    assert extracted.format == "txt" and extracted.meta["rebuilt_paragraphs"] is False
    assert extracted.meta["encoding"] == encoding


def test_extract_txt_rebuilds_pdf_like_lines():
    data = ("Les collectivités territoriales ont un rôle central à jouer dans \n\n"
            "la conception et la fabrication des services publics de demain. \n\n"
            "C’est parce qu’elles délivrent les services publics de proximité \n\n"
            "que la transformation de l’action publique doit puiser sa \n\n"
            "dynamique dans les démarches qu’elles engagent.  \n\n \n\n"
            "Un autre paragraphe commence ici et il se poursuit sur la \n\n"
            "ligne suivante avant de finir.\n").encode("utf-8")
    extracted = extract_document("c.txt", data, "txt", CONFIG)
    paragraphs = extracted.text.split("\n\n")
    assert extracted.meta["rebuilt_paragraphs"] is True
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("Les collectivités") and paragraphs[0].endswith("qu’elles engagent.")
    assert "dans la conception" in paragraphs[0]


def test_extract_md_strips_markup():
    data = ("---\ntitle: x\n---\n# Notre **contribution**\n\nNous proposons un [portail](https://x.fr) "
            "de données\nouvertes pour `tous`.\n\n- premier point\n- second point\n\n"
            "| Frein | Effet |\n|---|---|\n| coût | fort |\n").encode()
    text = extract_document("c.md", data, "md", CONFIG).text
    assert text.split("\n\n") == [
        "Notre contribution", "Nous proposons un portail de données ouvertes pour tous.",
        "- premier point", "- second point", "Frein | Effet", "coût | fort",
    ]


def test_extract_html():
    page = ("<html><head><meta charset='windows-1252'><title>Contribution de Testville</title>"
            "<style>p {color: red}</style></head><body><nav><a href='/'>Accueil</a> <div>Menu</div></nav>"
            "<h1>Nos propositions</h1><p>Ouvrir les donn&eacute;es &amp; les partager&nbsp;: l’enjeu.</p>"
            "<script>var x = '<p>caché</p>';</script><div>Premier bloc<br>suite du bloc</div>"
            "<table><tr><th>Frein</th><th>Effet</th></tr><tr><td>coût</td><td>fort</td></tr></table>"
            "<p hidden>invisible</p></body></html>").encode("cp1252")
    extracted = extract_document("p.html", page, "html", CONFIG)
    assert extracted.text.split("\n\n") == [
        "Nos propositions", "Ouvrir les données & les partager : l’enjeu.", "Premier bloc\nsuite du bloc",
        "Frein | Effet", "coût | fort",
    ]
    assert extracted.meta == {"encoding": "cp1252", "title": "Contribution de Testville"}


def test_extract_rejects_empty_text_and_other_formats():
    with pytest.raises(ExtractionError) as error:
        extract_document("v.html", b"<html><script>x</script></html>", "html", CONFIG)
    assert error.value.status == "skipped" and "no text" in error.value.reason
    with pytest.raises(ExtractionError) as error:
        extract_document("m.eml", b"From: a", "eml", CONFIG)
    assert error.value.status == "skipped"


# --------------------------------------------------------------------------- PDF
def test_extract_pdf_drops_furniture_and_rebuilds(report_pdf):
    extracted = extract_document("r.pdf", report_pdf, "pdf", CONFIG)
    paragraphs = extracted.text.split("\n\n")
    assert extracted.meta["n_pages"] == 3 and extracted.meta["pages_without_text"] == 0
    assert "Page 1" not in extracted.text and "Testville" not in extracted.text
    assert len(paragraphs) == 6
    if FONT.exists():
        assert paragraphs[::2] == [_long_paragraph(n) for n in range(3)]
    assert paragraphs[1::2] == [_short_paragraph(n) for n in range(3)]


def test_extract_pdf_mends_hyphenation_across_lines():
    lines = ["Nos services travaillent avec l’inter-", "communalité et les acteurs de l’État-",
             "collectivités pour que chacun puisse peut-", "être réutiliser les données."]
    text = extract_document("h.pdf", make_pdf([lines], lines=True), "pdf", CONFIG).text
    assert "intercommunalité" in text and "État-collectivités" in text and "peut-être" in text
    assert "-\n" not in text and "\n" not in text


def test_extract_pdf_encrypted():
    from pypdf import PdfReader, PdfWriter

    def encrypt(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([[SENTENCE]]))))
        writer.encrypt(user_password=user_password, owner_password="proprietaire", algorithm="AES-256")
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()

    with pytest.raises(ExtractionError) as error:
        extract_document("p.pdf", encrypt("secret"), "pdf", CONFIG)
    assert error.value.status == "failed" and "encrypted PDF" in error.value.reason
    opened = extract_document("p.pdf", encrypt(""), "pdf", CONFIG)
    assert "intercommunalité" in opened.text and opened.meta["encrypted_empty_password"] is True


@pytest.mark.parametrize("data", [b"%PDF-1.7\n1 0 obj << /Type /Catalog", b"%PDF-1.4\n" + bytes(300)])
def test_extract_pdf_corrupt(data):
    with pytest.raises(ExtractionError) as error:
        extract_document("c.pdf", data, "pdf", CONFIG)
    assert error.value.status == "failed" and "PDF" in error.value.reason


def test_extract_pdf_truncated(report_pdf):
    with pytest.raises(ExtractionError) as error:
        extract_document("t.pdf", report_pdf[: len(report_pdf) // 3], "pdf", CONFIG)
    assert error.value.status == "failed"


def test_extract_pdf_without_text_layer(tmp_path):
    scanned = make_pdf([[], []], image_only=True, tmp_path=tmp_path)
    with pytest.raises(ExtractionError) as error:
        extract_document("scan.pdf", scanned, "pdf", CONFIG)
    assert error.value.status == "skipped"
    assert error.value.reason == "no text layer (scanned PDF?); OCR is out of scope"


# --------------------------------------------------------------------------- DOCX / ODT
def test_extract_docx_order_headings_tables():
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def build(document):
        document.core_properties.title = "Contribution"
        document.add_heading("Nos freins", level=1)
        document.add_paragraph("Le manque de compétences internes freine l’ouverture des données.")
        table = document.add_table(rows=2, cols=3)
        table.cell(0, 0).merge(table.cell(0, 1)).text = "Frein"
        table.cell(0, 2).text = "Effet"
        for col, value in enumerate(["coût", "moyens", "fort"]):
            table.cell(1, col).text = value
        document.add_paragraph("Première proposition", style="List Bullet")
        body = document.element.body
        body.insert(len(body) - 1, parse_xml(  # a form field (content control) and a tracked change
            f'<w:sdt {nsdecls("w")}><w:sdtContent><w:p><w:r><w:t>Réponse saisie dans le formulaire</w:t></w:r>'
            '<w:ins w:id="1" w:author="x"><w:r><w:t xml:space="preserve"> et complétée</w:t></w:r></w:ins>'
            '<w:del w:id="2" w:author="x"><w:r><w:delText> supprimé</w:delText></w:r></w:del>'
            "</w:p></w:sdtContent></w:sdt>"))
        document.add_paragraph("")
        document.add_paragraph("Conclusion\u00a0: mutualiser.")

    extracted = extract_document("c.docx", make_docx(build), "docx", CONFIG)
    assert extracted.text.split("\n\n") == [
        "Nos freins", "Le manque de compétences internes freine l’ouverture des données.",
        "Frein | Effet", "coût | moyens | fort", "Première proposition",
        "Réponse saisie dans le formulaire et complétée", "Conclusion : mutualiser.",
    ]
    assert extracted.meta["title"] == "Contribution"


def test_extract_docx_password_protected_and_corrupt():
    with pytest.raises(ExtractionError) as error:
        extract_document("p.docx", ole_blob("EncryptionInfo", "EncryptedPackage"), "docx", CONFIG)
    assert error.value.status == "failed" and "password-protected DOCX" in error.value.reason
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not-xml")
    with pytest.raises(ExtractionError) as error:
        extract_document("c.docx", buffer.getvalue(), "docx", CONFIG)
    assert error.value.status == "failed" and "corrupt DOCX" in error.value.reason


def test_extract_odt():
    body = ("<text:h text:outline-level='1'>Nos <text:span>propositions</text:span></text:h>"
            "<text:p>Ouvrir<text:s text:c='2'/>les données<text:note><text:note-citation>1</text:note-citation>"
            "<text:note-body><text:p>Au sens de la loi.</text:p></text:note-body></text:note> du territoire.</text:p>"
            "<text:list><text:list-item><text:p>un catalogue</text:p></text:list-item>"
            "<text:list-item><text:p>un portail</text:p></text:list-item></text:list>"
            "<table:table><table:table-row><table:table-cell><text:p>Frein</text:p></table:table-cell>"
            "<table:table-cell><text:p>coût</text:p></table:table-cell></table:table-row></table:table>")
    extracted = extract_document("c.odt", make_odt(body), "odt", CONFIG)
    assert extracted.text.split("\n\n") == [
        "Nos propositions", "Ouvrir les données du territoire.", "un catalogue", "un portail",
        "Frein | coût", "Au sens de la loi.",
    ]


def test_extract_odt_corrupt():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(ExtractionError) as error:
        extract_document("c.odt", buffer.getvalue(), "odt", CONFIG)
    assert error.value.status == "failed" and "content.xml" in error.value.reason
    with pytest.raises(ExtractionError):
        extract_document("c.odt", make_odt("<text:p>non fermé"), "odt", CONFIG)

