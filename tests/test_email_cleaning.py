"""Cleaning of realistic French e-mail bodies: replies, forwards, signatures, disclaimers."""
from __future__ import annotations

from pipeline.ingest.email_cleaning import clean_email_body, html_to_text

CONTRIBUTION = (
    "Veuillez trouver ci-dessous les remarques de notre commune sur la gouvernance des données.\n"
    "Nous manquons de moyens humains pour publier nos jeux de données sur\n"
    "data.gouv.fr et la mutualisation avec l'intercommunalité serait précieuse."
)


def test_gmail_reply_with_wrapped_attribution_and_signature():
    body = (
        "Bonjour Madame,\n\n" + CONTRIBUTION + "\n\n"
        "Bien cordialement,\n"
        "Élise Martin\n"
        "Chargée de mission données\n"
        "Direction du numérique – Ville de Montreuil-sur-Loire\n"
        "Tél. : 02 41 00 00 00\n"
        "12 place de la Mairie, 49000 Montreuil-sur-Loire\n\n"
        "Le lun. 3 avr. 2023 à 10:12, Mission Data et Territoires <consultation@numerique.gouv.fr> a\n"
        "écrit :\n"
        "> Madame, Monsieur,\n"
        "> Dans le cadre de la consultation Data et Territoires...\n"
    )
    cleaned = clean_email_body(body)
    assert cleaned.text == (
        "Bonjour Madame,\n\n"
        "Veuillez trouver ci-dessous les remarques de notre commune sur la gouvernance des données.\n"
        "Nous manquons de moyens humains pour publier nos jeux de données sur "
        "data.gouv.fr et la mutualisation avec l'intercommunalité serait précieuse."
    )
    assert cleaned.signature_org == "Ville de Montreuil-sur-Loire"
    assert cleaned.signature.startswith("Bien cordialement,\nÉlise Martin")
    assert cleaned.removed == ["quoted_reply", "signature"]


def test_outlook_reply_block_and_everything_after_is_removed():
    body = (
        "Bonjour,\n\n"
        "Le département souhaite insister sur la qualité des données d'adressage.\n\n"
        "Cordialement\n\n"
        "Jean Dupont\n"
        "Conseil départemental de la Creuse\n\n"
        "________________________________\n"
        "De : Mission Data <consultation@numerique.gouv.fr>\n"
        "Envoyé : lundi 3 avril 2023 10:12\n"
        "À : Dupont Jean <j.dupont@creuse.fr>\n"
        "Objet : Consultation Data et Territoires\n\n"
        "Madame, Monsieur, nous lançons une consultation.\n"
    )
    cleaned = clean_email_body(body)
    assert cleaned.text == "Bonjour,\n\nLe département souhaite insister sur la qualité des données d'adressage."
    assert cleaned.signature_org == "Conseil départemental de la Creuse"
    assert "quoted_reply" in cleaned.removed


def test_message_d_origine_separator_cuts_the_reply():
    body = ("Nous validons la proposition de la région.\n\n"
            "-----Message d'origine-----\nDe : X\nEnvoyé : mardi\nÀ : Y\nObjet : RE: données\n\nTexte cité.\n")
    assert clean_email_body(body).text == "Nous validons la proposition de la région."


def test_forwarded_message_keeps_its_text_and_drops_its_headers():
    body = (
        "Pour information, contribution reçue de notre syndicat.\n\n"
        "---------- Forwarded message ---------\n"
        "De : Paul Leroy <p.leroy@sm-numerique.fr>\n"
        "Date: mar. 4 avr. 2023 à 09:30\n"
        "Subject: Contribution consultation\n"
        "To: <contact@agglo-exemple.fr>\n\n\n"
        "Le Syndicat mixte Gironde Numérique accompagne 500 communes dans l'ouverture de leurs données.\n\n"
        "--\n"
        "Paul Leroy\n"
        "Syndicat mixte Gironde Numérique\n"
    )
    cleaned = clean_email_body(body)
    assert cleaned.text == (
        "Pour information, contribution reçue de notre syndicat.\n\n"
        "Le Syndicat mixte Gironde Numérique accompagne 500 communes dans l'ouverture de leurs données."
    )
    assert cleaned.signature_org == "Syndicat mixte Gironde Numérique"
    assert cleaned.removed == ["forward_header", "signature"]


def test_french_transfer_marker_and_outlook_forward_block():
    body = (
        "-------- Message transféré --------\n"
        "Sujet : contribution\n"
        "Date : Tue, 4 Apr 2023 09:30:00 +0200\n"
        "De : Claire Petit <c.petit@cc-val-de-sevre.fr>\n\n"
        "De : Claire Petit <c.petit@cc-val-de-sevre.fr>\n"
        "Envoyé : mardi 4 avril 2023 09:30\n"
        "À : Consultation <consultation@numerique.gouv.fr>\n"
        "Objet : TR: contribution CC Val de Sèvre\n\n"
        "La communauté de communes du Val de Sèvre souhaite partager son expérience.\n\n"
        "Bien à vous,\n"
        "Claire Petit\n"
        "Communauté de communes du Val de Sèvre\n"
    )
    cleaned = clean_email_body(body)
    assert cleaned.text == "La communauté de communes du Val de Sèvre souhaite partager son expérience."
    assert cleaned.signature_org == "Communauté de communes du Val de Sèvre"


def test_disclaimers_in_french_and_english_are_removed():
    body = (
        "Bonjour,\n\n"
        "Nos agents utilisent quotidiennement les données cadastrales.\n\n"
        "Cordialement,\n"
        "Marc Bernard | Service SIG | Région Bretagne\n\n"
        "Ce message et ses pièces jointes sont confidentiels et destinés exclusivement à leurs destinataires.\n\n"
        "Pensez à l'environnement avant d'imprimer ce message.\n\n"
        "This e-mail is confidential and intended solely for the addressee.\n"
    )
    cleaned = clean_email_body(body)
    assert cleaned.text == "Bonjour,\n\nNos agents utilisent quotidiennement les données cadastrales."
    assert cleaned.signature_org == "Région Bretagne"
    assert cleaned.removed == ["disclaimer", "signature"]


def test_trailing_contact_block_without_closing_formula_is_a_signature():
    body = ("Voici notre contribution : les données de mobilité doivent être ouvertes dans un format standard.\n\n"
            "Sophie Laurent\nMétropole Européenne de Lille\n03 20 00 00 00\n")
    cleaned = clean_email_body(body)
    assert cleaned.text.startswith("Voici notre contribution")
    assert "Sophie" not in cleaned.text
    assert cleaned.signature_org == "Métropole Européenne de Lille"


def test_plain_text_without_anything_to_remove_is_kept():
    body = ("Bonjour,\n\nNous souhaitons une meilleure interopérabilité des logiciels métiers.\n\n"
            "- cadastre\n- voirie\n\nMerci.")
    cleaned = clean_email_body(body)
    assert cleaned.text == body
    assert (cleaned.signature, cleaned.signature_org, cleaned.removed) == (None, None, [])


def test_mobile_footer_and_crlf_line_endings():
    cleaned = clean_email_body("Nous soutenons la démarche.\r\n\r\nEnvoyé de mon iPhone\r\n")
    assert cleaned.text == "Nous soutenons la démarche."
    assert cleaned.removed == ["signature"]


def test_closing_followed_by_a_long_postscript_keeps_the_postscript():
    postscript = ("PS : nous joignons également notre schéma directeur de la donnée adopté en conseil "
                  "communautaire, qui détaille les moyens humains et financiers engagés sur trois ans.")
    cleaned = clean_email_body("Notre contribution porte sur la mutualisation.\n\nCordialement,\nA. Roy\n" + postscript)
    assert cleaned.text == "Notre contribution porte sur la mutualisation.\n\n" + postscript


def test_html_to_text_blocks_entities_and_quotes():
    html = ("<html><head><title>t</title><style>x{}</style></head><body><p>Un&nbsp;paragraphe&eacute;</p>"
            "<ul><li>premier</li><li>second</li></ul><blockquote><p>cité</p></blockquote>"
            "<script>alert(1)</script></body></html>")
    assert html_to_text(html) == "Un paragrapheé\n\npremier\n\nsecond\n\n> cité"


def test_one_line_signature_with_phone_before_an_editorial_note():
    note = "[Contribution fictive rédigée pour le projet.]"
    body = ("Bonjour,\n\nNous souhaitons un accès agrégé aux données agricoles pour les communes rurales.\n\n"
            "Laurent Bonnefoy, premier adjoint, 03 53 01 90 12\n\n" + note + "\n")
    cleaned = clean_email_body(body)
    assert cleaned.text == ("Bonjour,\n\nNous souhaitons un accès agrégé aux données agricoles pour les communes "
                            "rurales.\n\n" + note)
    assert cleaned.signature == "Laurent Bonnefoy, premier adjoint, 03 53 01 90 12"


def test_english_signature_organisation_and_leading_article():
    cleaned = clean_email_body("Please find our contribution attached.\n\nKind regards,\nIngrid Solvang\n"
                               "Network coordinator, European Small Towns Data Network\n+47 939 98 012\n")
    assert cleaned.text == "Please find our contribution attached."
    assert cleaned.signature_org == "European Small Towns Data Network"
    assert clean_email_body("Texte de la contribution.\n\nBien à vous,\nLa mairie de Vaux-le-Petit\n"
                            ).signature_org == "Mairie de Vaux-le-Petit"


def test_short_closing_paragraphs_that_are_text_are_not_signatures():
    figures = "Bonjour,\n\nNotre territoire en chiffres :\n\n- 12 communes\n- 35000 habitants\n- 2 agents SIG"
    assert clean_email_body(figures).text == figures
    partners = ("Nos partenaires sur ce projet sont nombreux et engagés.\n\n"
                "Communauté de communes du Val de Sèvre\nDépartement des Deux-Sèvres")
    assert clean_email_body(partners).text == partners


def test_forwarder_signature_before_the_forwarded_text_does_not_swallow_it():
    body = (
        "Je vous transfère la contribution de notre président.\n\n"
        "-- \nSophie Garnier\nSecrétariat général – SIAEP du Haut-Orme\n02 61 91 22 10\n\n"
        "---------- Forwarded message ---------\n"
        "From: Président <president@siaep-haut-orme.fr>\n"
        "Date: lun. 15 mai 2023 à 09:00\n"
        "Subject: Note pour la mission\n\n"
        "Notre syndicat distribue l'eau potable à 14 communes et publie ses données de qualité.\n\n"
        "Cordialement,\nJean Morel\nPrésident du Syndicat intercommunal des eaux du Haut-Orme\n"
    )
    cleaned = clean_email_body(body)
    assert cleaned.text == ("Je vous transfère la contribution de notre président.\n\n"
                            "Notre syndicat distribue l'eau potable à 14 communes et publie ses données de qualité.")
    # the innermost signature wins, without the job title in front of the organisation
    assert cleaned.signature_org == "Syndicat intercommunal des eaux du Haut-Orme"
