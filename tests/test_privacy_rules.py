"""Rule-based detection of personal data (no NER model needed): formats, contexts, negatives."""
from __future__ import annotations

import pytest

from pipeline.privacy import find_personal_data, leak_report
from pipeline.privacy.lexicons import lexicons
from pipeline.privacy.patterns import phone_key

MARKER = ("[Contribution fictive rédigée pour le projet — toute ressemblance avec une collectivité, "
          "une organisation ou une personne existante serait fortuite.]")


def spans_of(text: str, kind: str | None = None, **kwargs) -> list[str]:
    return [s.text for s in find_personal_data(text, **kwargs) if kind is None or s.kind == kind]


@pytest.mark.parametrize("phone", [
    "01 23 45 67 89", "06.12.34.56.78", "0612345678", "+33 6 12 34 56 78", "+33 (0)1 23 45 67 89",
    "+33 (0) 1 23 45 67 89", "0033 1 23 45 67 89", "06-12-34-56-78", "+33612345678", "0123 456 789",
    "+262 262 12 34 56",
])
def test_every_french_phone_format_is_one_telephone_span(phone):
    text = f"Vous pouvez nous joindre au {phone} du lundi au vendredi."
    assert spans_of(text, "telephone") == [phone]


def test_international_and_national_forms_share_a_key():
    assert phone_key("+33 (0)1 23 45 67 89") == phone_key("01.23.45.67.89") == phone_key("0033 1 23 45 67 89")
    assert phone_key("+33 6 12 34 56 78") != phone_key("01 23 45 67 89")


@pytest.mark.parametrize("text", [
    "SIRET 21310555400013 de la commune.", "Délibération du 01/02/2023.", "Un budget de 1 250 000 euros.",
    "Le code postal 75001 est celui de Paris.", "Le décret n° 2016-1922 du 28 décembre 2016.",
])
def test_numbers_that_are_not_phones(text):
    assert spans_of(text, "telephone") == []


@pytest.mark.parametrize("email", [
    "jean.dupont@ville-saint-aubin.fr", "jérôme.martin@mairie.fr", "contact+data@agglo-bellerive.fr",
    "m.leclerc@cc-pays-lirac.fr", "jean.dupont (at) mairie.fr", "jean.dupont [at] mairie [dot] fr",
])
def test_email_formats(email):
    assert spans_of(f"Écrire à {email} avant le 30 juin.", "email") == [email]


@pytest.mark.parametrize("text, expected", [
    ("Nos bureaux sont au 12 rue des Lilas.", "12 rue des Lilas"),
    ("Adresse : 3 bis, avenue du Général Leclerc\n69003 Lyon Cedex 03\nMerci",
     "3 bis, avenue du Général Leclerc\n69003 Lyon Cedex 03"),
    ("Courrier : 12, rue des Lilas, 75001 Paris. Merci", "12, rue des Lilas, 75001 Paris"),
    ("Écrire à la mairie, BP 12 - 35000 Rennes.", "BP 12 - 35000 Rennes"),
    ("Mairie\n1 place de la Mairie\nCS 30001\n35000 RENNES CEDEX", "1 place de la Mairie\nCS 30001\n35000 RENNES CEDEX"),
    ("Rendez-vous au 225, rue du Château d'Eau à Reims.", "225, rue du Château d'Eau"),
    ("au 14 rue du 8 mai 1945 nous avons ouvert", "14 rue du 8 mai 1945"),
    ("au 4 impasse des trois ponts, 44000 Nantes", "4 impasse des trois ponts, 44000 Nantes"),
])
def test_postal_addresses_with_their_postcode_and_city(text, expected):
    assert spans_of(text, "adresse") == [expected]


@pytest.mark.parametrize("text", [
    "Le siège est à 75001 Paris depuis 2019.", "Nous avons organisé 12 cours de formation pour 3 places.",
    "La place de la Mairie est piétonne.", "Les 2 voies de circulation seront rénovées.",
])
def test_postcode_and_city_alone_and_ordinary_numbers_are_kept(text):
    assert spans_of(text) == []


@pytest.mark.parametrize("text, name", [
    ("Le dossier a été suivi par M. Dupont.", "Dupont"),
    ("Mme Jeanne Leclerc a présenté le projet.", "Jeanne Leclerc"),
    ("Monsieur DURAND a validé.", "DURAND"),
    ("Madame Kerbrat-Le Goff a signé.", "Kerbrat-Le Goff"),
    ("Contact : Kylian Ravanel", "Kylian Ravanel"),
    ("Référente : Soraya Benmansour", "Soraya Benmansour"),
    ("Le projet est porté par Jean-Marc Durand depuis 2021.", "Jean-Marc Durand"),
    ("La note de DURAND Jean-Marc est jointe.", "DURAND Jean-Marc"),
    ("Selon Émilie Marchetti, le frein principal est le temps.", "Émilie Marchetti"),
    ("Cordialement,\nKylian Ravanel\nResponsable SIG\nMairie de Valbois", "Kylian Ravanel"),
    ("Bien à vous,\n\nNoam Akkari", "Noam Akkari"),
    ("De : Durand Jean-Marc\nEnvoyé : lundi 3 avril 2023", "Durand Jean-Marc"),
    ("Contact : direction de l'innovation, Samuel Hautecœur, directeur", "Samuel Hautecœur"),
])
def test_person_names_found_by_the_rules(text, name):
    assert spans_of(text, "personne") == [name]


@pytest.mark.parametrize("text", [
    "La Ville de Saint-Aubin et la Préfecture du Rhône travaillent avec la DINUM.",
    "Monsieur le Maire a signé la délibération.", "Madame la Présidente soutient le projet.",
    "Le collège Jean Moulin et le lycée Jules Ferry participent.",
    "Les travaux de l'avenue Victor Hugo et de la place Charles de Gaulle.",
    "L'hôpital Édouard Herriot partage ses données.",
    "Nous remercions Stanislas Guerini, ministre de la Transformation et de la Fonction publiques.",
    "Le chargé de mission données travaille avec le responsable SIG.",
    "Cordialement,\nLa direction du numérique\nVille de Valbois",
    "Nancy Métropole et la Lorraine ont ouvert leurs données.",
    "De : Mairie de Valbois\nÀ : Mission Data et Territoires",
    MARKER,
])
def test_institutions_places_roles_and_public_figures_are_kept(text):
    assert spans_of(text) == []


def test_lists_of_participants():
    text = "Participants : Kylian Ravanel (DINUM), Mme Akkari, Soraya Benmansour et la Mairie de Valbois.\nSuite."
    assert spans_of(text, "personne") == ["Kylian Ravanel", "Akkari", "Soraya Benmansour"]


def test_allow_list_is_configurable():
    text = "Le projet est porté par Jeanne Martin et Paul Girard."
    assert spans_of(text, "personne") == ["Jeanne Martin", "Paul Girard"]
    assert spans_of(text, "personne", allow_list=("Jeanne Martin",)) == ["Paul Girard"]
    assert spans_of("M. Macron a annoncé le plan.", "personne") == []


def test_marker_line_is_never_changed_even_with_names_around():
    text = f"Contact : Jean Dupont (06 12 34 56 78).\n\n{MARKER}\n"
    spans = find_personal_data(text)
    assert [s.kind for s in spans] == ["personne", "telephone"]
    assert all(s.end <= text.index(MARKER) for s in spans)


def test_leak_report_counts_emails_and_phones():
    texts = ["Écrire à jean.dupont@mairie.fr ou au 06 12 34 56 78.", "Tél. +33 1 23 45 67 89", None,
             "Rien ici : [EMAIL_1], [TELEPHONE_2]."]
    assert leak_report(texts) == {"email": 1, "telephone": 2}
    assert leak_report([]) == {"email": 0, "telephone": 0}


def test_first_name_lexicon_is_large_and_folded():
    lex = lexicons()
    assert len(lex.first_names) >= 300
    assert lex.is_first_name("Émilie") and lex.is_first_name("EMILIE") and lex.is_first_name("Jean-Marc")
    assert not lex.is_first_name("Florence") and lex.is_first_name("Florence", strict=False)


def test_name_in_apposition_after_an_institution_word_is_caught():
    """A comma separates "…numérique" from the name: not a street or facility name, a person to replace."""
    from pipeline.config import PrivacyConfig
    from pipeline.privacy import Pseudonymiser

    text = "Contact : direction de la transformation numérique, Élise Fournier-Lacombe, directrice."
    out = Pseudonymiser(PrivacyConfig()).pseudonymise_contribution([text])[0]
    assert "Fournier" not in out and "[PERSONNE_1]" in out
