"""The Pseudonymiser with the real spaCy model: placeholders, consistency, hints, determinism."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from pipeline.config import PrivacyConfig
from pipeline.privacy import Pseudonymiser, leak_report, pseudonymise_documents
from pipeline.privacy.detect import PiiSpan
from pipeline.privacy.ner import entities_of, load_ner
from pipeline.privacy.pseudonymiser import replace_spans, shift_entities

BODY = """Bonjour,

Je suis Jean-Marc Durand, chargé de mission à la Ville de Saint-Aubin. Comme convenu avec M. Dupont,
vous trouverez notre contribution ci-jointe. Pour toute question : jm.durand@saint-aubin.fr ou 06 12 34 56 78.

Cordialement,
Jean-Marc Durand
Chargé de mission données
Mairie de Saint-Aubin
3 bis, avenue du Général Leclerc
69003 Lyon Cedex 03
Tél. +33 (0)1 23 45 67 89
"""
ATTACHMENT = """Contribution de la Ville de Saint-Aubin

Le recensement des jeux de données a été conduit par Jean Dupont avec la Préfecture du Rhône et la DINUM.
Durand et Dupont ont présenté les résultats au conseil municipal. Le standard (01.23.45.67.89) reste ouvert.
Kylian Ravanel, stagiaire, a cartographié les réseaux au 3 bis avenue du Général Leclerc.
"""


@pytest.fixture(scope="session")
def pseudonymiser():
    return Pseudonymiser(PrivacyConfig(), nlp=load_ner())


@pytest.fixture(scope="session")
def contribution_output(pseudonymiser):
    return pseudonymiser.pseudonymise_contribution([BODY, ATTACHMENT])


def test_every_kind_is_replaced_and_nothing_leaks(contribution_output):
    body, attachment = contribution_output
    joined = body + attachment
    for personal in ["Durand", "Dupont", "jm.durand", "06 12 34 56 78", "23 45 67 89", "Général Leclerc", "Kylian",
                     "Ravanel"]:
        assert personal not in joined
    assert leak_report(contribution_output) == {"email": 0, "telephone": 0}
    assert leak_report([BODY, ATTACHMENT]) == {"email": 1, "telephone": 3}


def test_institutions_roles_and_places_stay(contribution_output):
    body, attachment = contribution_output
    for kept in ["Ville de Saint-Aubin", "Mairie de Saint-Aubin", "Chargé de mission données", "Préfecture du Rhône",
                 "DINUM", "conseil municipal", "stagiaire"]:
        assert kept in body + attachment


def test_same_person_same_placeholder_across_documents(contribution_output):
    body, attachment = contribution_output
    assert body.count("[PERSONNE_1]") == 2  # Jean-Marc Durand in the text and the signature
    assert "M. [PERSONNE_2]" in body
    assert "conduit par [PERSONNE_2]" in attachment  # Jean Dupont = M. Dupont
    assert "[PERSONNE_1] et [PERSONNE_2] ont présenté" in attachment  # bare surnames
    assert "[PERSONNE_3], stagiaire" in attachment  # found by the NER only
    # +33 (0)1 23 45 67 89 and 01.23.45.67.89 are one number; the address with or without its city is one
    assert "Tél. [TELEPHONE_2]" in body and "([TELEPHONE_2])" in attachment
    assert "\n[ADRESSE_1]\n" in body and "au [ADRESSE_1]." in attachment


def test_shared_surname_is_not_merged():
    texts = ["Jean Dupont et Marie Dupont ont répondu. M. Dupont a ajouté une annexe."]
    out = Pseudonymiser(PrivacyConfig(), nlp=load_ner()).pseudonymise_contribution(texts)[0]
    assert out == "[PERSONNE_1] et [PERSONNE_2] ont répondu. M. [PERSONNE_3] a ajouté une annexe."


def test_contributions_are_independent_and_batching_changes_nothing(pseudonymiser):
    first = ["Contact : Sophie Martin, 06 11 22 33 44."]
    second = ["Mme Leclerc (leclerc@valbois.fr) et Sophie Martin, 04 11 22 33 44."]
    batched = pseudonymiser.pseudonymise_many([first, second], [None, None])
    assert batched == [pseudonymiser.pseudonymise_contribution(first), pseudonymiser.pseudonymise_contribution(second)]
    assert batched[0] == ["Contact : [PERSONNE_1], [TELEPHONE_1]."]
    assert batched[1] == ["Mme [PERSONNE_1] ([EMAIL_1]) et [PERSONNE_2], [TELEPHONE_1]."]


def test_deterministic_and_idempotent(pseudonymiser, contribution_output):
    again = Pseudonymiser(PrivacyConfig(), nlp=load_ner()).pseudonymise_contribution([BODY, ATTACHMENT])
    assert again == contribution_output
    assert pseudonymiser.pseudonymise_contribution(contribution_output) == contribution_output


def test_sender_hints_catch_names_without_other_clues(pseudonymiser):
    text = ["Relu par Quintavalle, puis validé par le bureau."]
    assert pseudonymiser.pseudonymise_contribution(text) == text  # a lone unknown surname: no clue
    for hints in [{"sender_email": "aurele.quintavalle@valbois.fr"}, {"sender_email": "quintavalle.aurele@valbois.fr"},
                  {"sender_email": "a.quintavalle@valbois.fr"}, {"sender_name": "QUINTAVALLE, Aurèle"}]:
        assert pseudonymiser.pseudonymise_contribution(text, hints) == [
            "Relu par [PERSONNE_1], puis validé par le bureau."], hints
    full = pseudonymiser.pseudonymise_contribution(["Note d'Aurèle Quintavalle."], {"sender_email": "aurele.quintavalle@x.fr"})
    assert full == ["Note d'[PERSONNE_1]."]
    generic = pseudonymiser.pseudonymise_contribution(["La Mairie de Valbois répond."],
                                                      {"sender_email": "contact.mairie@valbois.fr",
                                                       "sender_name": "Mairie de Valbois"})
    assert generic == ["La Mairie de Valbois répond."]


def test_allow_list_and_switch_from_config():
    text = ["Échange avec Marine Tondelier et Jeanne Martin sur les données."]
    custom = Pseudonymiser(PrivacyConfig(allow_list=("Marine Tondelier",)), nlp=load_ner())
    assert custom.pseudonymise_contribution(text) == ["Échange avec Marine Tondelier et [PERSONNE_1] sur les données."]
    off = Pseudonymiser(dataclasses.replace(PrivacyConfig(), enabled=False), nlp=load_ner())
    assert off.pseudonymise_contribution(text) == text


def test_bad_input_is_reported(pseudonymiser):
    with pytest.raises(TypeError, match="contribution 0, text 1"):
        pseudonymiser.pseudonymise_many([["ok", None]], [None])
    with pytest.raises(ValueError, match="hints"):
        pseudonymiser.pseudonymise_many([["a"], ["b"]], [None])


def test_stage_function_on_tables(pseudonymiser):
    documents = pd.DataFrame({"doc_id": ["d1", "d2", "d3"], "contribution_id": ["c1", "c1", "c2"],
                              "text": [BODY, ATTACHMENT, "Contact : Sophie Martin."], "n_chars": [0, 0, 0]})
    contributions = pd.DataFrame({"contribution_id": ["c1", "c2"], "subject": ["Contribution de M. Dupont", None],
                                  "sender_email": ["jm.durand@saint-aubin.fr", None]})
    docs_out, contribs_out = pseudonymise_documents(documents, contributions, PrivacyConfig(),
                                                    pseudonymiser=pseudonymiser)
    assert contribs_out["subject"].tolist()[0] == "Contribution de M. [PERSONNE_1]"
    assert "conduit par [PERSONNE_1]" in docs_out["text"][1]  # numbered with the subject first
    assert docs_out["text"][2] == "Contact : [PERSONNE_1]."
    assert docs_out["n_chars"].tolist() == [len(t) for t in docs_out["text"]]
    assert documents["text"][0] == BODY  # inputs untouched


def test_entities_follow_the_replacements(pseudonymiser):
    """The ORG/LOC entities kept for the NLP stage point at the same words in the output text."""
    pairs = pseudonymiser.pseudonymise_with_entities([[BODY, ATTACHMENT]], [None])[0]
    assert [text for text, _ in pairs] == pseudonymiser.pseudonymise_contribution([BODY, ATTACHMENT])
    raw_entities = [ents for ents in entities_of(pseudonymiser.nlp, [BODY, ATTACHMENT])]
    for (text, entities), source, raw in zip(pairs, [BODY, ATTACHMENT], raw_entities):
        assert entities, "the texts name institutions and places"
        assert {label for _, _, label in entities} <= {"ORG", "LOC"}
        surfaces = [text[s:e] for s, e, _ in entities]
        assert not any("[" in surface for surface in surfaces)
        # every kept entity is one the NER found in the source, same words, same label
        source_entities = {(source[s:e].strip(), label) for s, e, label in raw if label in ("ORG", "LOC")}
        assert {(text[s:e], label) for s, e, label in entities} <= source_entities
    attachment, entities = pairs[1]
    assert any(attachment[s:e] == "DINUM" for s, e, _ in entities), "an entity after a replaced name moved with it"


def test_shift_entities_drops_what_a_placeholder_covers():
    text = "Jean Dupont et la DINUM à Lyon"
    spans = [(PiiSpan(0, 11, "personne", "Jean Dupont"), "[PERSONNE_1]")]
    entities = [(0, 11, "ORG"), (18, 23, "ORG"), (26, 30, "LOC")]
    out = replace_spans(text, spans)
    moved = shift_entities(entities, spans)
    assert [(out[s:e], label) for s, e, label in moved] == [("DINUM", "ORG"), ("Lyon", "LOC")]


def test_disabled_pseudonymisation_gives_no_entities():
    off = Pseudonymiser(dataclasses.replace(PrivacyConfig(), enabled=False), nlp=load_ner())
    assert off.pseudonymise_with_entities([[BODY]]) == [[(BODY, None)]]
