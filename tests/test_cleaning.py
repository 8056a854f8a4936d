"""Text cleaning: Unicode normalisation, paragraphs rebuilt from PDF lines, page furniture."""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from pipeline.ingest.cleaning import clean_pdf_pages, looks_line_broken, normalise_unicode, rebuild_paragraphs

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SEED = SHARED / "seeds" / "contribution_collectivites_donnees.txt"


def test_normalise_unicode_keeps_meaning():
    raw = ("Les ﬁchiers ﬂous de l’eﬀort\u00a0: « cœur »\u202f!\r\n"
           "inter\u00adcommunalité\u200b et ope\u0301ration   \r\n"
           "“données” Œuvre\tfin\u00a0\n")
    assert normalise_unicode(raw) == (
        "Les fichiers flous de l’effort : « cœur » !\n"
        "intercommunalité et opération\n"
        "“données” Œuvre fin\n"
    )
    assert unicodedata.is_normalized("NFC", normalise_unicode("ope\u0301ration"))


def test_rebuild_joins_lines_and_mends_cut_words():
    text = ("Les services de l’inter-\ncommunalité publient leurs jeux de données et les parte-\n"
            "naires les réutilisent.\n")
    assert rebuild_paragraphs(text) == (
        "Les services de l’intercommunalité publient leurs jeux de données et les partenaires les réutilisent.")


@pytest.mark.parametrize("first,second,expected", [
    ("dialogue État-", "collectivités renforcé", "dialogue État-collectivités renforcé"),
    ("ce sera peut-", "être possible", "ce sera peut-être possible"),
    ("la région Île-de-", "France avance", "la région Île-de-France avance"),
    ("un ancien ex-", "directeur général", "un ancien ex-directeur général"),
    ("on lit celui-", "ci en entier", "on lit celui-ci en entier"),
    ("un service mu-", "tualisé entre communes", "un service mutualisé entre communes"),
    ("nous agissons ainsi -", "du moins en partie", "nous agissons ainsi - du moins en partie"),
])
def test_rebuild_hyphen_rules(first, second, expected):
    assert rebuild_paragraphs(f"{first}\n{second}") == expected


def test_rebuild_keeps_numbers_cut_by_the_layout():
    text = ("La région compte 1\n900 communes.\nContact : direction de la donnée, 02 61 91\n33 58, par courriel.\n"
            "2023 a été une année charnière.")
    assert rebuild_paragraphs(text).split("\n\n") == [
        "La région compte 1 900 communes.", "Contact : direction de la donnée, 02 61 91 33 58, par courriel.",
        "2023 a été une année charnière.",
    ]


def test_rebuild_uses_the_document_as_evidence():
    # "open-data" is in the lexicon, "co-construction" is not: the form seen elsewhere decides.
    text = ("La co-construction des services est notre méthode et la co-\nconstruction demande du temps. "
            "Le portail mutualisé est utile ; un portail mutua-\nlisé coûte moins cher.")
    rebuilt = rebuild_paragraphs(text)
    assert "la co-construction demande" in rebuilt and "un portail mutualisé coûte" in rebuilt


def test_rebuild_headings_lists_and_double_spacing():
    text = (
        "Introduction générale \n\n"
        "Les collectivités disposent de données nombreuses et précieuses pour \n\n"
        "améliorer le service rendu aux habitants de leur territoire chaque jour. \n\n"
        "Elles manquent pourtant de moyens humains et financiers pour les \n\n"
        "ouvrir.  \n\n \n\n"
        "Nos propositions : \n\n"
        "- créer un catalogue commun des jeux de données ouverts par les \n\n"
        "communes et leurs groupements ; \n\n"
        "- former les agents. \n\n"
        "1) mutualiser les outils \n"
    )
    assert looks_line_broken(text)
    assert rebuild_paragraphs(text).split("\n\n") == [
        "Introduction générale",
        "Les collectivités disposent de données nombreuses et précieuses pour améliorer le service rendu aux "
        "habitants de leur territoire chaque jour. Elles manquent pourtant de moyens humains et financiers pour "
        "les ouvrir.",
        "Nos propositions :",
        "- créer un catalogue commun des jeux de données ouverts par les communes et leurs groupements ;",
        "- former les agents.",
        "1) mutualiser les outils",
    ]


def test_rebuild_leaves_plain_paragraphs_alone():
    text = "Premier paragraphe complet.\n\nSecond paragraphe, lui aussi complet.\n\n*****\n\nTroisième."
    assert not looks_line_broken(text)
    assert rebuild_paragraphs(text).split("\n\n") == [
        "Premier paragraphe complet.", "Second paragraphe, lui aussi complet.", "Troisième."]


def test_clean_pdf_pages_drops_headers_footers_and_numbers():
    header = "Métropole de Testville – Contribution Data et Territoires – mars 2023"
    numbers = ["1", "- 2 -", "Page 3 / 4", "4/4"]
    pages = [
        f"{header}\nLe paragraphe de la page {word} commence ici et\ncontinue sur la ligne {word}.\n"
        f"Confidentiel – version {n}\n{numbers[n - 1]}"
        for n, word in enumerate(["un", "deux", "trois", "quatre"], start=1)
    ]
    cleaned = clean_pdf_pages(pages)
    assert "Testville" not in cleaned and "Confidentiel" not in cleaned
    assert not re.search(r"\d", cleaned)
    assert cleaned.split("\n\n")[0] == "Le paragraphe de la page un commence ici et continue sur la ligne un."
    assert len(cleaned.split("\n\n")) == 4


def test_clean_pdf_pages_joins_a_paragraph_across_pages():
    pages = ["Les données publiques sont un bien commun que les\ncollectivités", "doivent protéger et valoriser.\n2"]
    assert clean_pdf_pages(pages) == (
        "Les données publiques sont un bien commun que les collectivités doivent protéger et valoriser.")


@pytest.mark.shared
@pytest.mark.skipif(not SEED.exists(), reason="shared seeds not available")
def test_rebuild_on_the_seed_contribution():
    raw = SEED.read_text(encoding="utf-8")
    rebuilt = normalise_unicode(rebuild_paragraphs(raw))
    paragraphs = rebuilt.split("\n\n")
    n_lines = sum(1 for line in raw.split("\n") if line.strip())
    assert len(paragraphs) < n_lines / 4
    assert "-\n" not in rebuilt and "\n\n\n" not in rebuilt
    # Checked by hand: title lines, then paragraphs that each end a sentence.
    assert paragraphs[0] == ("Les collectivités sont au cœur de l’enjeu de la maitrise et de la valorisation "
                             "des données publiques")
    assert paragraphs[1] == "L’atout inégalé des collectivités locales pour bâtir le service public du futur"
    for paragraph in paragraphs[2:]:
        assert paragraph[0].isupper(), paragraph[:60]
        if len(paragraph.split()) > 15:  # body text, not a heading
            assert re.search(r"[.?!:]$", paragraph), paragraph[-60:]
    assert any(p.startswith("L’urgence de structurer") and p.endswith("données publiques") for p in paragraphs)
