"""Parsing of real MIME messages, mbox files and Outlook .msg files built in fixtures."""
from __future__ import annotations

from email.message import EmailMessage

import pytest

from pipeline.ingest import emails
from pipeline.ingest.emails import Attachment, ParsedEmail, parse_eml, parse_msg, split_mbox
from pipeline.synth.msg_writer import write_msg

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

BODY = (
    "Bonjour,\n\n"
    "La commune de Montreuil-sur-Loire souhaite contribuer à la consultation Data et Territoires.\n"
    "Nous manquons de moyens pour publier nos données d'urbanisme.\n\n"
    "Bien cordialement,\n"
    "Élise Martin\n"
    "Chargée de mission données\n"
    "Direction du numérique – Ville de Montreuil-sur-Loire\n"
    "Tél. : 02 41 00 00 00\n"
)


def _message(body: str = BODY) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "Contribution de la commune — données ouvertes"
    msg["From"] = "Élise Martin <e.martin@ville-montreuil-sur-loire.fr>"
    msg["To"] = "consultation@numerique.gouv.fr"
    msg["Date"] = "Mon, 12 Jun 2023 10:15:00 +0200"
    msg.set_content(body)
    return msg


@pytest.fixture()
def multipart_eml() -> bytes:
    msg = _message()
    msg.add_alternative("<p>Bonjour,</p><p>Version <b>HTML</b> à ignorer.</p>", subtype="html")
    msg.add_attachment(PDF_BYTES, maintype="application", subtype="pdf", filename="contribution été.pdf")
    msg.add_attachment(b"", maintype="application", subtype="octet-stream", filename="vide.txt")
    return msg.as_bytes()


def test_multipart_headers_body_and_attachments(multipart_eml):
    parsed = parse_eml(multipart_eml)
    assert isinstance(parsed, ParsedEmail)
    assert parsed.subject == "Contribution de la commune — données ouvertes"
    assert (parsed.sender_name, parsed.sender_email) == ("Élise Martin", "e.martin@ville-montreuil-sur-loire.fr")
    assert parsed.date == "2023-06-12T10:15:00+02:00"
    # text/plain is preferred over text/html in multipart/alternative, signature removed
    assert "Version HTML" not in parsed.body
    assert parsed.body.startswith("Bonjour,\n\nLa commune de Montreuil-sur-Loire")
    assert "Élise Martin" not in parsed.body and "02 41" not in parsed.body
    assert parsed.signature_org == "Ville de Montreuil-sur-Loire"
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("contribution été.pdf", "application/pdf", PDF_BYTES),
        ("vide.txt", "application/octet-stream", b""),
    ]
    assert parsed.problems == []


def test_html_only_body_is_converted_and_quote_dropped():
    msg = _message()
    msg.set_content(
        "<html><head><style>p {color: red}</style></head><body>"
        "<p>Notre intercommunalit&eacute; publie ses donn&eacute;es de transport.</p>"
        "<div>Deuxième paragraphe<br>sur deux lignes.</div>"
        "<div class='gmail_quote'><blockquote>Message précédent cité.</blockquote></div>"
        "</body></html>", subtype="html")
    parsed = parse_eml(msg.as_bytes())
    assert parsed.body == ("Notre intercommunalité publie ses données de transport.\n\n"
                           "Deuxième paragraphe\nsur deux lignes.")
    assert "color" not in parsed.body


def test_rfc2047_headers_cp1252_quoted_printable_and_rfc2231_filename():
    raw = (
        b"From: =?iso-8859-1?b?yWxpc2UgTWFydGlu?= <e.martin@mairie-exemple.fr>\r\n"
        b"To: consultation@numerique.gouv.fr\r\n"
        b"Subject: =?utf-8?q?R=C3=A9ponse_=C3=A0_la_consultation?=\r\n"
        b"Date: Tue, 13 Jun 2023 09:00:00 +0200\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
        b"--XYZ\r\n"
        b"Content-Type: text/plain; charset=windows-1252\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Les donn=E9es de la commune =96 c=92est un budget de 10 000 =80.\r\n"
        b"--XYZ\r\n"
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''rapport%20%C3%A9t%C3%A9.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK\r\n"
        b"--XYZ--\r\n"
    )
    parsed = parse_eml(raw)
    assert parsed.subject == "Réponse à la consultation"
    assert parsed.sender_name == "Élise Martin"
    assert parsed.body == "Les données de la commune – c’est un budget de 10 000 €."
    assert parsed.attachments == [Attachment("rapport été.pdf", "application/pdf", b"%PDF-1.4\n")]


@pytest.mark.parametrize("charset, payload", [
    (b"iso-8859-1", "Déjà publiées à Besançon".encode("latin-1")),
    (b"utf-8", "Déjà publiées à Besançon".encode("utf-8")),
    (b"utf-8", "Déjà publiées à Besançon".encode("cp1252")),  # wrong declaration: guessed
])
@pytest.mark.parametrize("shared_decoder", [True, False])
def test_body_charsets_declared_or_guessed(charset, payload, shared_decoder, monkeypatch):
    if not shared_decoder:  # the small fallback used when formats.decode_text is absent
        monkeypatch.setattr(emails, "_shared_decode", None)
    raw = (b"From: a@ville-b.fr\nSubject: essai\nContent-Type: text/plain; charset=" + charset
           + b"\nContent-Transfer-Encoding: 8bit\n\n" + payload + b"\n")
    assert parse_eml(raw).body == "Déjà publiées à Besançon"


def test_base64_body_and_missing_date():
    raw = (b"From: Service SIG <sig@agglo-exemple.fr>\nSubject: b64\nMIME-Version: 1.0\n"
           b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
           + __import__("base64").encodebytes("Données géographiques partagées.".encode()) + b"\n")
    parsed = parse_eml(raw)
    assert parsed.body == "Données géographiques partagées."
    assert parsed.date is None


def test_truncated_message_keeps_what_was_read(multipart_eml):
    cut = multipart_eml[: multipart_eml.index(b"JVBERi0x") + 21]  # inside the PDF's base64
    parsed = parse_eml(cut)
    assert parsed.problems == ["truncated message: multipart boundary never closed",
                               "damaged base64 payload (truncated attachment?)"]
    assert parsed.body.startswith("Bonjour,\n\nLa commune de Montreuil-sur-Loire")
    assert parsed.attachments[0].filename == "contribution été.pdf"
    assert PDF_BYTES.startswith(parsed.attachments[0].data[:10])


def test_forwarded_message_is_returned_as_eml_attachment():
    inner = _message("Texte de la contribution transférée par la communauté de communes.\n")
    inner.replace_header("Subject", "Contribution CC: Val de Sèvre")
    inner.add_attachment(PDF_BYTES, maintype="application", subtype="pdf", filename="annexe.pdf")
    outer = _message("Pour information, voir le message joint.\n")
    outer.add_attachment(inner)
    parsed = parse_eml(outer.as_bytes())
    assert parsed.body == "Pour information, voir le message joint."
    [forwarded] = parsed.attachments
    assert forwarded.filename.endswith(".eml") and "Val de Sèvre" in forwarded.filename
    nested = parse_eml(forwarded.data)
    assert nested.body == "Texte de la contribution transférée par la communauté de communes."
    assert [(a.filename, a.data) for a in nested.attachments] == [("annexe.pdf", PDF_BYTES)]


def test_multipart_related_inline_image_is_an_attachment():
    msg = _message()
    msg.add_related(b"\x89PNG\r\n\x1a\nfake", maintype="image", subtype="png", cid="<logo@ville>")
    parsed = parse_eml(msg.as_bytes())
    assert "La commune de Montreuil-sur-Loire" in parsed.body
    assert [a.content_type for a in parsed.attachments] == ["image/png"]


@pytest.mark.parametrize("from_header", [b'"Martin', b"Elise <", b"e.martin@[ville"])
def test_malformed_headers_fall_back_to_raw_values(from_header):
    # these From values make the modern email policy raise when the header is read
    raw = (b"From: " + from_header + b"\nSubject: =?utf-8?q?Donn=C3=A9es?=\nDate: not a date\n\n"
           b"Texte de la contribution.\n")
    parsed = parse_eml(raw)
    assert parsed.subject == "Données"
    assert parsed.sender_email is None
    assert parsed.date is None
    assert parsed.body == "Texte de la contribution."


def test_organisation_in_display_name_when_the_body_has_no_signature():
    msg = _message("Vous trouverez en pièce jointe notre contribution sur les données agricoles.\n")
    msg.replace_header("From", "Mairie de Haut-Verger <contact@haut-verger.fr>")
    parsed = parse_eml(msg.as_bytes())
    assert (parsed.sender_name, parsed.signature_org) == ("Mairie de Haut-Verger", "Mairie de Haut-Verger")
    assert parse_eml(_message("Texte.\n").as_bytes()).signature_org is None  # a person's name is not one


def test_headers_only_message_reports_no_text_body():
    parsed = parse_eml(b"From: a@ville-b.fr\nSubject: vide\n\n")
    assert parsed.body == ""
    assert parsed.problems == ["no text body"]


@pytest.mark.parametrize("data, reason", [
    (b"", "empty file"),
    (PDF_BYTES, "not a header"),
    (b"Bonjour,\nceci est une lettre sans en-tete.\n", "not a header"),
    (b"Title: notes\nAuthor: me\n\nhello", "no e-mail header"),
])
def test_not_an_email_raises_with_reason(data, reason):
    with pytest.raises(ValueError, match=reason):
        parse_eml(data)


def test_split_mbox_three_messages_with_from_unescaping():
    mbox = (
        b"From alice@ville-a.fr Mon Jun 12 10:00:00 2023\n"
        b"From: Alice <alice@ville-a.fr>\nSubject: Un\n\nPremier message.\n>From the start, escaped.\n\n"
        b"From bob@cc-b.fr Mon Jun 12 11:00:00 2023\n"
        b"From: Bob <bob@cc-b.fr>\nSubject: Deux\n\nDeuxieme message.\n\n"
        b"From carol@gmail.com Mon Jun 12 12:00:00 2023\n"
        b"From: Carol <carol@gmail.com>\nSubject: Trois\n\nTroisieme message.\n"
    )
    messages = split_mbox(mbox)
    assert len(messages) == 3
    parsed = [parse_eml(m) for m in messages]
    assert [p.subject for p in parsed] == ["Un", "Deux", "Trois"]
    assert parsed[0].body == "Premier message.\nFrom the start, escaped."
    assert all(not m.startswith(b"From ") for m in messages)


def test_split_mbox_without_separator_returns_whole_input():
    raw = _message().as_bytes()
    assert split_mbox(raw) == [raw]
    assert split_mbox(b"\n\n") == []


def test_msg_round_trip_with_attachments():
    data = write_msg(
        None, subject="Contribution — données ouvertes", sender_name="Élise Martin",
        sender_email="e.martin@ville-montreuil-sur-loire.fr", to=["Mission <consultation@numerique.gouv.fr>"],
        date_iso="2023-06-12T10:15:00+02:00", body=BODY,
        attachments=[("note de contribution.pdf", PDF_BYTES), ("vide.txt", b"")],
    )
    parsed = parse_msg(data)
    assert parsed.subject == "Contribution — données ouvertes"
    assert (parsed.sender_name, parsed.sender_email) == ("Élise Martin", "e.martin@ville-montreuil-sur-loire.fr")
    assert parsed.date is not None and parsed.date.startswith("2023-06-12T08:15:00")
    assert parsed.body.startswith("Bonjour,\n\nLa commune de Montreuil-sur-Loire")
    assert parsed.signature_org == "Ville de Montreuil-sur-Loire"
    assert [(a.filename, a.content_type, a.data) for a in parsed.attachments] == [
        ("note de contribution.pdf", "application/pdf", PDF_BYTES), ("vide.txt", "text/plain", b"")]


@pytest.mark.parametrize("data", [PDF_BYTES, b"/etc/hostname", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048)])
def test_parse_msg_rejects_non_msg_bytes(data):
    # short byte strings must never be taken for a file path by olefile
    with pytest.raises(ValueError, match="not an Outlook .msg"):
        parse_msg(data)
