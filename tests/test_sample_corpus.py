"""The fictional sample corpus: files, formats, coverage, markers, and the writers behind it."""
from __future__ import annotations

import email
import io
import mailbox
import random
import re
import zipfile
from email import policy
from pathlib import Path

import olefile
import pytest
import yaml
from pypdf import PdfReader

from pipeline.config import IngestConfig
from pipeline.synth import writers
from pipeline.synth.sample_corpus import (
    MARKERS,
    SPEC_DIR,
    build_item,
    build_sample_corpus,
    dump_expected,
    load_specs,
    pdf_extraction_style,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "raw" / "sample"
EXPECTED = yaml.safe_load((SPEC_DIR / "expected.yaml").read_text(encoding="utf-8"))
BY_PATH = {entry["path"]: entry for entry in EXPECTED}
ORG_TYPES = {"commune", "intercommunalite", "departement", "region", "syndicat", "association",
             "entreprise", "etat_operateur", "particulier", "inconnu"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def magic_format(data: bytes) -> str:
    """Format shown by the bytes, independently of the file name (ingestion's vocabulary:
    a password-protected DOCX is still ``docx``, unrecognised bytes are ``binary``)."""
    if not data:
        return "empty"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(OLE_MAGIC):
        streams = {"/".join(p) for p in olefile.OleFileIO(io.BytesIO(data)).listdir()}
        if "EncryptedPackage" in streams and "EncryptionInfo" in streams:
            return "docx"
        return "msg" if any(s.startswith("__substg1.0_") for s in streams) else "ole"
    if data.startswith(b"PK\x03\x04"):
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        if names[0] == "mimetype" and data[38:38 + 39] == b"application/vnd.oasis.opendocument.text":
            return "odt"
        return "docx" if "word/document.xml" in names else "zip"
    if data.startswith(b"From ") and b"\nFrom: " in data[:400]:
        return "mbox"
    if re.match(rb"(From|To|Subject|Date|Message-ID|MIME-Version):[ \t\r\n]", data):
        return "eml"
    head = data[:200].lstrip(b"\xef\xbb\xbf").lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        return "html"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            return "binary"
    if any(ord(c) < 9 for c in text):
        return "binary"
    return "md" if re.search(r"^#{1,3} ", text, re.MULTILINE) else "txt"


def _has_marker(text: str) -> bool:
    flat = " ".join(text.split())
    return any(" ".join(marker.split()) in flat for marker in MARKERS.values())


def _email_texts(raw: bytes, unreadable: frozenset[str] = frozenset()) -> list[str]:
    """Body and attachment texts of an e-mail, recursing into forwarded messages; attachments
    named in ``unreadable`` (expected to fail) are left out."""
    message = email.message_from_bytes(raw, policy=policy.default)
    texts = [message.get_body(("plain",)).get_content()]
    for part in message.iter_attachments():
        if part.get_content_type() == "message/rfc822":
            texts += _email_texts(part.get_payload()[0].as_bytes())
        elif part.get_filename() not in unreadable:
            texts.append(_document_text(part.get_filename(), part.get_content()))
    return texts


def _document_text(name: str, data: bytes) -> str:
    fmt = magic_format(data)
    if fmt == "pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    if fmt == "docx":
        import docx
        return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
    if fmt == "odt":
        xml = zipfile.ZipFile(io.BytesIO(data)).read("content.xml").decode("utf-8")
        return re.sub(r"<[^>]+>", " ", xml).replace("&apos;", "'")
    if fmt == "msg":
        ole = olefile.OleFileIO(io.BytesIO(data))
        texts = [ole.openstream("__substg1.0_1000001F").read().decode("utf-16-le")]
        for storage in {p[0] for p in ole.listdir() if p[0].startswith("__attach")}:
            texts.append(_document_text("", ole.openstream([storage, "__substg1.0_37010102"]).read()))
        return "\n".join(texts)
    if fmt == "eml":
        return "\n".join(_email_texts(data))
    import html
    try:
        return html.unescape(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _contribution_texts(path: Path) -> list[str]:
    data = path.read_bytes()
    fmt = magic_format(data)
    if fmt == "mbox":
        return [t for m in mailbox.mbox(str(path)) for t in _email_texts(m.as_bytes())]
    if fmt == "zip":
        archive = zipfile.ZipFile(io.BytesIO(data))
        return [_document_text(n, archive.read(n)) for n in archive.namelist()]
    if fmt == "eml":
        parts = BY_PATH[path.relative_to(SAMPLE).as_posix()].get("parts", [])
        return _email_texts(data, frozenset(p["name"] for p in parts if p["status"] != "ok"))
    return [_document_text(path.name, data)]


# ---------------------------------------------------------------- committed corpus


def test_expected_manifest_lists_exactly_the_committed_files():
    on_disk = {p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.is_file()}
    assert on_disk == set(BY_PATH)


@pytest.mark.parametrize("path", sorted(BY_PATH))
def test_content_shows_the_expected_format(path):
    assert magic_format((SAMPLE / path).read_bytes()) == BY_PATH[path]["format"]


READABLE = sorted(p for p, e in BY_PATH.items() if e["status"] in ("ok", "duplicate"))


@pytest.mark.parametrize("path", READABLE)
def test_every_readable_text_carries_the_fictional_marker(path):
    texts = [t for t in _contribution_texts(SAMPLE / path) if t.strip()]
    assert texts
    assert all(_has_marker(t) for t in texts), path


def test_corpus_covers_formats_organisations_languages_statuses_and_dates():
    entries = EXPECTED
    parts = [p for e in entries for p in e.get("parts", [])]
    assert {e["format"] for e in entries} >= {"eml", "mbox", "msg", "pdf", "docx", "odt", "txt", "md", "html", "zip"}
    types = {e["org_type"] for e in entries} | {p.get("org_type") for p in parts}
    assert ORG_TYPES <= types
    assert {e["language"] for e in entries} >= {"fr", "en"}
    assert {e["status"] for e in entries} == {"ok", "duplicate", "skipped", "failed"}
    dates = sorted(e["date"] for e in entries + parts if e.get("date"))
    assert dates[0] >= "2023-04-01" and dates[-1] <= "2023-06-30"
    assert {d[:7] for d in dates} == {"2023-04", "2023-05", "2023-06"}
    contributions = [e for e in entries if e["status"] == "ok" and e["format"] not in ("mbox", "zip")]
    contributions += [p for e in entries if e["format"] in ("mbox", "zip") and e["status"] == "ok" for p in e["parts"]]
    assert len(contributions) >= 38
    emails_with_documents = [e for e in entries if e["format"] == "eml" and any(
        p["format"] in ("pdf", "docx", "odt", "eml") and p["status"] == "ok" for p in e.get("parts", []))]
    assert len(emails_with_documents) >= 10
    assert sum(p["format"] == "eml" for e in entries if e["format"] == "mbox" for p in e["parts"]) == 3
    groups = [e.get("near_duplicate_group") for e in entries if e.get("near_duplicate_group")]
    assert sorted(groups.count(g) for g in set(groups)) == [3, 3]
    assert sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file()) < 2 * 1024 * 1024


def test_duplicate_has_the_same_bytes_as_its_original():
    duplicates = [e for e in EXPECTED if e["status"] == "duplicate"]
    assert duplicates
    for entry in duplicates:
        assert (SAMPLE / entry["path"]).read_bytes() == (SAMPLE / entry["duplicate_of"]).read_bytes()
        assert entry["duplicate_of"] < entry["path"]  # the first copy in path order is kept


def test_encodings_and_mime_variants():
    cp1252 = (SAMPLE / "2023-04-24_chantemerle-les-orgues.txt").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        cp1252.decode("utf-8")
    assert "délibérations" in cp1252.decode("cp1252") and b"\r\n" in cp1252
    assert (SAMPLE / "2023-05-19_sictom-des-ajoncs.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    region = (SAMPLE / "2023-05-22_region-terres-estuaire_contribution.eml").read_bytes()
    assert b'charset="windows-1252"' in region and b"Content-Transfer-Encoding: quoted-printable" in region
    assert "œuvre" in email.message_from_bytes(region, policy=policy.default).get_body(("plain",)).get_content()
    association = (SAMPLE / "2023-06-05_association-orme-numerique-citoyen.eml").read_bytes()
    assert b"Subject: =?utf-8?b?" in association and b"Content-Transfer-Encoding: base64" in association
    subject = email.message_from_bytes(association, policy=policy.default)["Subject"]
    assert subject.startswith("Données citoyennes")
    forward = email.message_from_bytes((SAMPLE / "2023-05-15_siaep-haut-orme_transfert.eml").read_bytes(),
                                       policy=policy.default)
    assert [p.get_content_type() for p in forward.walk()][2:] == [
        "message/rfc822", "multipart/mixed", "text/plain", "application/pdf"]
    reply = (SAMPLE / "2023-05-09_commune-saint-aubin-des-pres_reponse.eml").read_bytes()
    assert b"In-Reply-To:" in reply and b"\n> " in reply
    same = email.message_from_bytes(
        (SAMPLE / "2023-05-02_departement-hautes-collines_observatoire-social.eml").read_bytes(), policy=policy.default)
    body = " ".join(same.get_body(("plain",)).get_content().split())
    attachment = " ".join(_document_text("", next(same.iter_attachments()).get_content()).split())
    assert body == attachment


def test_pdf_variants():
    long_pdf = PdfReader(SAMPLE / "2023-06-26_region-monts-et-rivieres_contribution.pdf")
    pages = [page.extract_text() for page in long_pdf.pages]
    assert len(pages) >= 3
    assert all("Région Monts-et-Rivières – Direction" in p and f"Page {i}/{len(pages)}" in p
               for i, p in enumerate(pages, 1))
    assert PdfReader(SAMPLE / "malformed/2023-06-13_contribution_protegee.pdf").is_encrypted
    scanned = PdfReader(SAMPLE / "malformed/2023-05-04_courrier_scanne.pdf")
    assert len(scanned.pages) == 2 and all(not p.extract_text().strip() for p in scanned.pages)
    truncated = (SAMPLE / "malformed/2023-05-16_contribution_tronquee.pdf").read_bytes()
    assert truncated.startswith(b"%PDF-") and b"%%EOF" not in truncated


def test_malformed_files():
    malformed = SAMPLE / "malformed"
    assert (malformed / "contribution_vide.docx").read_bytes() == b""
    assert (malformed / "piece_jointe_illisible.docx").read_bytes() == random.Random(7).randbytes(6000)
    bomb = zipfile.ZipFile(malformed / "archive_donnees_brutes.zip").infolist()[0]
    assert bomb.file_size == 30_000_000 and bomb.file_size / bomb.compress_size > IngestConfig().max_zip_ratio
    ole = olefile.OleFileIO(str(malformed / "contribution_protegee_mot_de_passe.docx"))
    assert ole.exists("EncryptedPackage") and ole.exists("EncryptionInfo")
    zero = email.message_from_bytes((malformed / "2023-05-11_commune-haut-verger_piece-jointe-vide.eml").read_bytes(),
                                    policy=policy.default)
    assert [len(p.get_content()) for p in zero.iter_attachments()] == [0]
    cut = email.message_from_bytes((malformed / "2023-06-07_cc-trois-vallons_tronque.eml").read_bytes(),
                                   policy=policy.default)
    assert "poste de chargé de mission données" in cut.get_body(("plain",)).get_content()
    assert any(type(d).__name__ == "CloseBoundaryNotFoundDefect" for d in cut.defects)


# ----------------------------------------------------------------- regeneration


def test_cheap_specs_regenerate_to_the_committed_bytes(tmp_path):
    cheap = [s for s in load_specs() if s["format"] in ("txt", "md", "html", "odt", "docx")
             or s.get("group") == "campagne_maires_ruraux_val_dorme"]
    entries = [e for spec in cheap for e in build_item(spec, tmp_path)]
    assert len(entries) >= 10
    for entry in entries:
        assert (tmp_path / entry["path"]).read_bytes() == (SAMPLE / entry["path"]).read_bytes(), entry["path"]
        assert {k: v for k, v in BY_PATH[entry["path"]].items()} == entry


@pytest.mark.slow
def test_full_regeneration_is_identical_to_the_committed_corpus(tmp_path):
    entries = build_sample_corpus(tmp_path / "sample")
    assert dump_expected(entries) == (SPEC_DIR / "expected.yaml").read_text(encoding="utf-8")
    for entry in entries:
        generated = (tmp_path / "sample" / entry["path"]).read_bytes()
        assert magic_format(generated) == entry["format"]
        assert generated == (SAMPLE / entry["path"]).read_bytes(), entry["path"]


# ---------------------------------------------------------------------- writers


def test_pdf_writer_keeps_unicode_headers_and_page_numbers():
    paragraphs = ["# Cœur du sujet"] + ["Données « énergie » — 15 € par bâtiment et par an. " * 8] * 14 + ["fin"]
    data = writers.render_pdf(paragraphs, title="Titre", header="En-tête répété")
    assert writers.render_pdf(["court"], title="T") == writers.render_pdf(["court"], title="T")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) >= 2 and all("En-tête répété" in p for p in pages)
    assert "Cœur du sujet" in pages[0] and pages[-1].rstrip().endswith(f"Page {len(pages)}/{len(pages)}")


def test_odt_and_zip_writers_are_well_formed_and_deterministic():
    odt = writers.render_odt(["# Titre", "Texte & <balises>"])
    archive = zipfile.ZipFile(io.BytesIO(odt))
    first = archive.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert "Texte &amp; &lt;balises&gt;" in archive.read("content.xml").decode("utf-8")
    assert writers.render_zip({"a.txt": b"x"}) == writers.render_zip({"a.txt": b"x"})
    assert zipfile.ZipFile(io.BytesIO(writers.render_zip({"a.txt": b"x"}))).infolist()[0].date_time == writers.ZIP_DATE


def test_eml_and_mbox_writers_round_trip(tmp_path):
    raw = writers.build_eml(subject="Été — données", sender=("Agent Fictif", "agent@ville-fictive.fr"),
                            to="mission@example.org", date="2023-05-01T10:00:00+02:00", body="From here\nBonjour",
                            attachments=[("a.pdf", b"%PDF-1.4 x", "application/pdf")], subject_encoding="b")
    assert b"=?utf-8?b?" in raw
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["Subject"] == "Été — données"
    assert [a.get_filename() for a in message.iter_attachments()] == ["a.pdf"]
    writers.write_mbox(tmp_path / "box.mbox", [raw, raw])
    assert (tmp_path / "box.mbox").read_bytes().count(b"\n>From here") == 2  # mboxrd quoting
    box = mailbox.mbox(str(tmp_path / "box.mbox"))
    assert len(box) == 2 and box[1]["Message-ID"] == message["Message-ID"]


def test_pdf_extraction_style_cuts_words_and_spaces_lines():
    text = "Les intercommunalités accompagnent quotidiennement les communes rurales " * 6
    styled = pdf_extraction_style(text, width=60)
    lines = [line for line in styled.split("\n") if line]
    assert all(line.endswith(" ") for line in lines) and "\n\n" in styled
    assert any(line.rstrip().endswith("-") for line in lines)
    assert "".join(line.rstrip().removesuffix("-") if line.rstrip().endswith("-") else line for line in lines
                   ).split() == text.split()


def test_docx_headings_are_word_styles_or_bold_paragraphs():
    import docx

    styled = docx.Document(str(SAMPLE / "2023-05-05_smt-bassin-orme_reponses.docx"))
    assert sum(p.style.name.startswith("Heading") for p in styled.paragraphs) >= 5
    plain = docx.Document(str(SAMPLE / "2023-06-01_commune-nouvelle-val-dajonc.docx"))
    assert not any(p.style.name.startswith("Heading") for p in plain.paragraphs)
    assert plain.paragraphs[0].runs[0].bold
