"""The spaCy components of the NLP stage, on real French sentences through the real model."""
from __future__ import annotations

import pytest


from nlp_helpers import rule_spans, spans


@pytest.mark.parametrize("text, trigger, label, obj", [
    ("Nous manquons de compétences en science des données.", "manquons", "competences", "compétences"),
    ("Nous ne disposons pas des données de consommation énergétique des bâtiments.", "ne disposons pas",
     "disponibilite_donnees", "données de consommation énergétique"),
    ("Les éditeurs de logiciels refusent de nous fournir un export de nos propres données.", "refusent",
     "editeurs_logiciels", "export de nos propres données"),
    ("Faute de moyens, la commune a abandonné ce chantier.", "Faute de moyens", "moyens_financiers", "moyens"),
    ("Il est impossible d'obtenir les données de fréquentation auprès du délégataire.", "impossible",
     "disponibilite_donnees", "données de fréquentation"),
    ("Le RGPD nous empêche de croiser les fichiers des bénéficiaires.", "empêche", "juridique_rgpd", "RGPD"),
    ("Il est difficile d'accéder aux données d'Enedis.", "difficile", "disponibilite_donnees", "données d'Enedis"),
    ("On constate une absence de gouvernance de la donnée au sein de la collectivité.", "absence",
     "gouvernance_organisation", "gouvernance de la donnée"),
    ("Les agents n'ont pas d'accès aux données du cadastre.", "accès", "disponibilite_donnees", "cadastre"),
    ("Le coût prohibitif des licences logicielles pèse sur le budget.", "coût prohibitif", "moyens_financiers",
     None),
    ("Les données transmises par les services sont de mauvaise qualité.", "mauvaise qualité", "qualite_donnees",
     None),
])
def test_barrier_forms_have_category_and_object(nlp, text, trigger, label, obj):
    found = spans(nlp, text, "frein")
    matching = [s for s in found if trigger in s.text]
    assert matching, f"no barrier with {trigger!r} in {[s.text for s in found]}"
    span = matching[0]
    assert span.label_ == label
    if obj is not None:
        assert span._.canonical and obj in span._.canonical
    assert 0 < span._.score <= 1 and span._.rule


@pytest.mark.parametrize("text, label", [
    ("Nous ne pouvons pas partager ces fichiers avec les autres services.", "circulation_partage"),
    ("Il n'est pas possible de publier ces données en open data.", "circulation_partage"),
    ("Nous n'avons aucune donnée sur les déchets ménagers.", "disponibilite_donnees"),
])
def test_negated_capability_is_a_barrier(nlp, text, label):
    found = rule_spans(nlp, text, "frein")
    assert [s.label_ for s in found] == [label]
    assert found[0]._.rule.startswith("neg_")


@pytest.mark.parametrize("text", [
    "Il n'y a pas de problème de qualité sur ces fichiers.",
    "Les agents n'ont pas hésité à partager leurs fichiers.",
    "La démarche est plus simple que prévu.",
    "Nous publions chaque mois le budget de la commune.",
])
def test_no_barrier_in_positive_or_negated_obstacle_statements(nlp, text):
    assert rule_spans(nlp, text, "frein") == []


def test_barrier_span_is_the_clause_not_the_whole_long_sentence(nlp):
    text = ("Lors de notre réunion de lancement, qui a rassemblé les élus, les agents du service urbanisme et "
            "plusieurs partenaires, nous avons constaté un manque de compétences en géomatique dans les équipes, "
            "ce qui explique en partie les délais observés depuis deux ans sur ce dossier.")
    doc = nlp(text)
    (span,) = [s for s in doc.spans["frein"] if "manque" in s.text]
    # the lack marker keeps its determiner (data/gold/README.md §1.2: "Le manque de…")
    assert span.text.startswith("un manque de compétences en géomatique")
    assert len(span) < len(list(doc.sents)[0]) / 2
    assert span.label_ == "competences"


def test_impossible_use_case_is_linked_to_its_barrier(nlp):
    doc = nlp("Faute de moyens, nous ne pouvons pas mettre en place un observatoire de la mobilité.")
    (barrier,) = doc.spans["frein"]
    (case,) = doc.spans["cas_usage"]
    assert barrier.text == "Faute de moyens" and barrier.label_ == "moyens_financiers"
    assert "observatoire de la mobilité" in case.text
    assert case._.status == "impossible" and case.label_ == "mobilite"
    assert case._.link == ("frein", barrier.start_char, barrier.end_char)
    assert barrier._.link == ("cas_usage", case.start_char, case.end_char)


def test_barrier_in_another_sentence_of_the_passage_is_linked(nlp):
    doc = nlp("Les données de consommation ne sont pas disponibles. Il est donc impossible de suivre la "
              "consommation énergétique des écoles.")
    cases = [c for c in doc.spans["cas_usage"] if c._.status == "impossible"]
    assert cases and cases[0]._.link is not None
    assert cases[0]._.link[0] == "frein"


@pytest.mark.parametrize("text, label, status", [
    ("Nous avons mis en place un tableau de bord de suivi des consommations d'eau.", "eau_assainissement", "realise"),
    ("Nous utilisons les données de fréquentation pour optimiser les horaires des bus.", "mobilite", "realise"),
    ("Nous souhaitons créer un observatoire de l'habitat et du foncier.", "urbanisme_foncier", "en_projet"),
    ("La métropole envisage de cartographier les îlots de chaleur.", "environnement_biodiversite", "en_projet"),
    ("Un outil de suivi des déchets permettrait d'optimiser les tournées de collecte.", "dechets", "en_projet"),
    ("Nous ne pouvons pas suivre la fréquentation des équipements sportifs.", "tourisme_culture", "impossible"),
    ("Le CCAS analyse les données sociales pour cibler les personnes âgées isolées.", "social_solidarites",
     "realise"),
])
def test_use_case_domain_and_status(nlp, text, label, status):
    found = spans(nlp, text, "cas_usage")
    assert found, f"no use case in {text!r}"
    assert (found[0].label_, found[0]._.status) == (label, status)


def test_dinum_forms_share_one_canonical(nlp):
    texts = ["Nous avons sollicité la DINUM.", "La DINUM nous accompagne.",
             "La Direction interministérielle du numérique publie des jeux de données.",
             "Un appui de la direction interministérielle du numérique serait utile."]
    found = [s for t in texts for s in spans(nlp, t, "acteur")]
    dinum = [s for s in found if s._.canonical == "DINUM"]
    assert len(dinum) == 4
    assert {s.label_ for s in dinum} == {"etat_central"}


def test_acronyms_do_not_fire_inside_words_or_in_lower_case(nlp):
    text = "Le design de la signalétique et la campagne de l'amf ont été présentés aux cadastreurs."
    assert [s._.canonical for s in spans(nlp, text, "acteur") if s._.canonical in ("IGN", "AMF", "CADA")] == []
    canon = {s._.canonical for s in spans(nlp, "Les données de l'IGN et la doctrine de la CADA.", "acteur")}
    assert {"IGN", "CADA"} <= canon


def test_generic_collectivities_are_normalised_by_type(nlp):
    # "notre intercommunalité" is the author (self-reference): not an actor (data/gold/README.md §1.4)
    found = spans(nlp, "Les communes et notre intercommunalité travaillent avec les intercommunalités voisines, "
                       "la région et les habitants.", "acteur")
    by_text = {s.text: (s._.canonical, s.label_) for s in found}
    assert by_text["communes"] == ("commune", "collectivite")
    assert by_text["intercommunalités"] == ("intercommunalité", "collectivite")
    assert "intercommunalité" not in by_text
    assert by_text["région"] == ("région", "collectivite")
    assert by_text["habitants"] == ("habitant", "societe_civile")


def test_categories_of_named_actors(nlp):
    text = ("L'ADEME, la CNIL, OpenDataFrance, Enedis, le CNRS et la préfecture ont été consultés, "
            "ainsi que les éditeurs de logiciels métiers.")
    got = {s._.canonical: s.label_ for s in spans(nlp, text, "acteur")}
    assert got["ADEME"] == "operateur_etat"
    assert got["CNIL"] == "regulateur"
    assert got["OpenDataFrance"] == "reseau"
    assert got["Enedis"] == "entreprise"
    assert got["CNRS"] == "recherche"
    assert got["Préfecture"] == "etat_central"
    assert got["Éditeurs de logiciels"] == "entreprise"


def test_persons_and_placeholders_are_never_actors(nlp):
    text = "[PERSONNE_1] de la DREAL et Jean Dupont, chargé de mission, ont rencontré Marie Martin."
    found = spans(nlp, text, "acteur")
    assert [s._.canonical for s in found] == ["DREAL"]


def test_spans_of_different_kinds_on_the_same_characters_keep_their_own_attributes(nlp):
    from pipeline.nlp.spans import make_span

    doc = nlp("Publier les données.")
    frein = make_span(doc, 0, 3, "frein", "autre", rule="r_frein", status=None)
    case = make_span(doc, 0, 3, "cas_usage", "autre", rule="r_cas", status="impossible")
    doc.spans["frein"], doc.spans["cas_usage"] = [frein], [case]
    assert (doc.spans["frein"][0]._.rule, doc.spans["frein"][0]._.status) == ("r_frein", None)
    assert (doc.spans["cas_usage"][0]._.rule, doc.spans["cas_usage"][0]._.status) == ("r_cas", "impossible")
