"""General constructions of the NLP stage (not lexical one-offs): both apostrophes, parser repairs,
negated obstacles, purpose clauses, nominal uses. Real French sentences through the real model."""
from __future__ import annotations

import pytest

from pipeline.nlp.repairs import straight_apostrophes, with_both_apostrophes

from nlp_helpers import _KEEP_ALIVE, rule_spans, spans


def test_pattern_lists_get_both_apostrophes():
    pattern = [{"LOWER": {"IN": ["ne", "n'"]}}, {"LOWER": {"NOT_IN": ["qu'"]}}, {"LEMMA": "ne"}]
    doubled = with_both_apostrophes(pattern)
    assert doubled[0]["LOWER"]["IN"] == ["ne", "n'", "n’"]
    assert doubled[1]["LOWER"]["NOT_IN"] == ["qu'", "qu’"]
    assert doubled[2] == {"LEMMA": "ne"}
    assert straight_apostrophes("n’a l’outil") == "n'a l'outil"


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_typographic_apostrophe_negations_are_barriers_like_straight_ones(nlp, apostrophe):
    text = (f"Nos ingénieurs sont compétents mais aucun n{apostrophe}a été formé aux outils de traitement "
            f"de données.")
    doc = nlp(text)
    _KEEP_ALIVE.append(doc)
    assert [t.lemma_ for t in doc if t.lower_ == f"n{apostrophe}"] == ["ne"]
    found = spans(nlp, text, "frein")
    assert len(found) == 1 and "formé aux outils" in found[0].text and found[0].label_ == "competences"


def test_typographic_apostrophe_in_actor_names(nlp):
    for apostrophe in ("'", "’"):
        found = spans(nlp, f"L{apostrophe}agence de l{apostrophe}eau finance nos études.", "acteur")
        assert [s._.canonical for s in found] == ["Agences de l'eau"], apostrophe


def test_mistagged_finite_verb_is_repaired(nlp):
    text = "Le Département analyse les parcours des bénéficiaires du RSA pour mieux cibler les actions d'insertion."
    doc = nlp(text)
    _KEEP_ALIVE.append(doc)
    assert doc[2].text == "analyse" and doc[2].pos_ == "VERB"
    found = spans(nlp, text, "cas_usage")
    assert found and found[0].text.startswith("Le Département analyse")


def test_mistagged_infinitive_after_a_wish_is_a_project(nlp):
    found = spans(nlp, "Nous envisageons de cartographier les zones inondables.", "cas_usage")
    assert len(found) == 1 and found[0].text.startswith("cartographier") and found[0]._.status == "en_projet"


@pytest.mark.parametrize("text", [
    "Le règlement général sur la protection des données ne nous a posé aucune difficulté.",
    "Nous étudions la pose de capteurs de remplissage pour ne vider que les colonnes pleines.",
    "Nous migrons vers un hébergeur souverain afin de ne plus dépendre des fournisseurs américains.",
    "Ce logiciel est peu coûteux et facile à prendre en main.",
])
def test_denied_obstacles_and_purposes_are_not_barriers(nlp, text):
    assert spans(nlp, text, "frein") == []


@pytest.mark.parametrize("text, part", [
    ("Les élus du bureau communautaire restent peu sensibilisés à l'intérêt des données.", "Les élus"),
    ("Enedis ne fournit les courbes de charge qu'agrégées à la maille IRIS.", "Enedis ne fournit"),
    ("La CADA n'a toujours pas rendu son avis sur notre demande d'accès.", "La CADA"),
    ("Vu la taille de notre commune, la donnée n'est pas une priorité.", "la donnée"),
    ("Nos données sont dispersées dans plusieurs logiciels.", "Nos données sont dispersées"),
    ("Le notaire se plaint et les citoyens se méfient de tout ce qui ressemble à une ville intelligente.",
     "citoyens"),
])
def test_general_barrier_constructions(nlp, text, part):
    found = spans(nlp, text, "frein")
    assert any(part in s.text for s in found), [s.text for s in found]


@pytest.mark.parametrize("text, start", [
    ("Le croisement des fichiers du CCAS et des impayés de cantine a été encadré dès le départ.",
     "le croisement des fichiers"),
    ("Un questionnaire de satisfaction est adressé après chaque passage à l'accueil.", "Un questionnaire"),
    ("L'application de signalement des anomalies sur la voirie, ouverte en 2023, reçoit 200 signalements.",
     "L'application de signalement"),
])
def test_nominal_use_cases_keep_their_determiner_and_stop_at_the_apposition(nlp, text, start):
    found = rule_spans(nlp, text, "cas_usage")  # span boundaries of the rule (the filter may drop a short one)
    assert any(s.text.lower().startswith(start.lower()) and "," not in s.text for s in found), \
        [s.text for s in found]


@pytest.mark.parametrize("text, label", [
    ("La société qui gère notre réseau de chaleur nous facture 3 200 euros chaque extraction des index.",
     "moyens_financiers"),
    ("Pour brancher un capteur de plus, le fabricant exige un abonnement mensuel par appareil.", "moyens_financiers"),
    ("Le tarif des images satellites a triplé depuis 2021.", "moyens_financiers"),
    ("Chaque transmission du fichier des permis suppose la signature d'une convention avec la préfecture.",
     "circulation_partage"),
    ("Les comptages routiers du département restent soumis à l'accord préalable de chaque gestionnaire.",
     "circulation_partage"),
    ("Les statistiques de la CAF sont agrégées au canton.", "disponibilite_donnees"),
    ("Nos stations météo transmettent leurs relevés dans un format propriétaire.", "editeurs_logiciels"),
    ("Le fournisseur du logiciel d'état civil a annoncé la fin de maintenance de notre version.",
     "editeurs_logiciels"),
    ("Dans les fiches de l'inventaire, la moitié des arbres sont mal géolocalisés.", "qualite_donnees"),
    ("Pour ouvrir l'accès aux relevés de fréquentation, le gestionnaire réclame 9 000 euros par an.",
     "moyens_financiers"),
    ("Les images aériennes infrarouges restent payantes pour les petites communes.", "moyens_financiers"),
    ("L'exploitant du parking conserve les tickets horodatés sur ses propres serveurs.", "editeurs_logiciels"),
    ("Les séries de débit de la rivière s'arrêtent en 2017.", "qualite_donnees"),
    ("Le cadastre des réseaux d'eau date encore de 1998.", "qualite_donnees"),
])
def test_implicit_obstacles_are_barriers(nlp, text, label):
    found = spans(nlp, text, "frein")
    assert [s.label_ for s in found] == [label], [(s.text, s.label_, s._.rule) for s in found]


@pytest.mark.parametrize("text", [
    "Le projet de cartographie des haies a été suspendu en 2023.",
    "Le dispositif de comptage des vélos est abandonné.",
])
def test_a_suspended_project_is_the_blocked_use_not_the_barrier(nlp, text):
    assert spans(nlp, text, "frein") == []


@pytest.mark.parametrize("text", [
    "Nous demandons 2 000 euros de subvention à la région pour ce projet.",  # our request, not a price imposed on us
    "La commune a acheté un logiciel à 3 000 euros pour gérer le cimetière.",
])
def test_an_amount_alone_is_not_a_barrier(nlp, text):
    assert spans(nlp, text, "frein") == []


def test_when_the_cause_is_given_the_inability_clause_is_not_the_barrier(nlp):
    found = spans(nlp, "Faute de crédits, nous ne pouvons plus acheter les données de téléphonie mobile.", "frein")
    assert [s.text for s in found] == ["Faute de crédits"]
    uses = spans(nlp, "Faute de crédits, nous ne pouvons plus acheter les données de téléphonie mobile.", "cas_usage")
    assert all(u._.status == "impossible" for u in uses)


def test_the_subject_does_not_make_a_data_use(nlp):
    assert spans(nlp, "Le séminaire sur la donnée publique s'est tenu le 9 février à la mairie.", "cas_usage") == []
    found = rule_spans(nlp, "Le service SIG tient à jour le registre des arbres remarquables.", "cas_usage")
    assert found and "registre des arbres" in found[0].text
