"""Key matching with member overlap, outlier reassignment, placeholders and label terms (fast, no model)."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.config import TopicsConfig
from pipeline.topics.french import french_stop_words, strip_placeholders
from pipeline.topics.labels import rank_label_terms, weak_label_words
from pipeline.topics.model import close_enough, similarity_floors
from pipeline.topics.registry import Registry, TopicEntry, match_keys, member_overlap


def _registry(centroids) -> Registry:
    return Registry("passages", "x", [TopicEntry(f"t-{c}", i, "", []) for i, c in enumerate("abc"[:len(centroids)])],
                    np.asarray(centroids, dtype=np.float32))


def test_member_overlap_is_share_of_old_topic_items():
    overlap = member_overlap([0, 0, 1, 1, 1], [0, 1], ["t-a", "t-a", "t-a", "t-b", "t-b"], ["t-a", "t-b", "t-c"])
    assert np.allclose(overlap, [[2 / 3, 0, 0], [1 / 3, 1, 0]])


def test_overlap_keeps_key_of_a_topic_whose_centroid_moved():
    old = _registry(np.eye(3)[:2])
    moved = np.array([[0.6, 0.8, 0], [0, 0.6, 0.8]], dtype=np.float32)  # cosine 0.6 to both old topics
    assert match_keys(moved, old, 0.7) == {}  # centroids alone: no key survives
    overlap = np.array([[0.9, 0.05], [0.1, 0.95]])
    assert match_keys(moved, old, 0.7, overlap, 0.5) == {0: "t-a", 1: "t-b"}
    assert match_keys(moved, old, 0.7, np.zeros((2, 2)), 0.5) == {}  # no shared member: new keys


def test_outlier_joins_when_as_close_as_the_topic_least_typical_members():
    rng = np.random.default_rng(0)
    centre = np.eye(8)[0]
    members = centre + rng.normal(0, 0.35, (40, 8))
    members /= np.linalg.norm(members, axis=1, keepdims=True)
    labels = np.zeros(40, dtype=int)
    centroid = members.mean(axis=0, keepdims=True)
    centroid /= np.linalg.norm(centroid)
    floors = similarity_floors(members, labels, [0], centroid)
    member_sims = members @ centroid[0]
    assert floors[0] < np.quantile(member_sims, 0.1)
    strict = TopicsConfig(outlier_similarity=0.99)
    sims = np.array([floors[0] + 0.01, floors[0] - 0.01, 0.995])
    assert close_enough(sims, np.array([0, 0, 0]), floors, strict).tolist() == [True, False, True]
    assert not close_enough(np.array([0.9]), np.array([-1]), floors, strict)[0]


def test_placeholders_are_removed_before_lemmatising():
    text = "Contact : [PERSONNE_1], [EMAIL_2], tél. [TELEPHONE_1], [ADRESSE_1] ; PERSONNE_3 a écrit."
    cleaned = strip_placeholders(text)
    assert not any(tag in cleaned.upper() for tag in ("PERSONNE", "EMAIL", "TELEPHONE", "ADRESSE"))
    assert "Contact" in cleaned and "écrit" in cleaned


def test_boilerplate_is_a_function_word_but_domain_words_are_not():
    stop = french_stop_words()
    assert {"contribution", "mission", "data", "appel", "cordialement", "madame", "monsieur", "ci-joint",
            "objet"} <= stop
    assert not {"collectivité", "données", "donnée", "commune"} & stop
    assert {"commune", "collectivité"} <= weak_label_words()


def test_label_terms_prefer_specific_ngrams_over_generic_words():
    docs = ["commune suivi énergétique bâtiment commune", "commune suivi énergétique consommation",
            "commune comptage vélo piste cyclable", "commune comptage vélo commune"]
    keys = ["t-e", "t-e", "t-v", "t-v"]
    ranked = rank_label_terms(docs, keys, {"t-e": ["commune", "bâtiment", "suivi énergétique", "absent"],
                                           "t-v": ["commune", "comptage vélo", "piste"]})
    assert ranked["t-e"][0] == "suivi énergétique" and ranked["t-e"][-1] == "commune"
    assert "absent" not in ranked["t-e"]
    assert ranked["t-v"][0] == "comptage vélo" and ranked["t-v"][-1] == "commune"


def test_phrase_labels_are_distinctive_recurring_and_distinct():
    from pipeline.topics.phrases import phrase_labels

    suivi = ("suivi consommation énergétique", "suivi des consommations énergétiques")
    commune = ("petit commune", "petites communes")
    pistes, piste = ("piste cyclable", "pistes cyclables"), ("piste cyclable", "piste cyclable")
    docs = [[suivi, commune], [suivi, commune], [suivi], [commune],  # topic e
            [commune, pistes], [commune, pistes], [commune, piste], [commune]]  # topic v
    keys = ["e"] * 4 + ["v"] * 4
    labels = phrase_labels(docs, keys, ["e", "v"], weak=frozenset({"petit", "commune"}))
    assert labels["e"] == "Suivi des consommations énergétiques"
    assert labels["v"] == "Pistes cyclables"  # most frequent surface form; weak "petites communes" comes second
    again = phrase_labels(docs, keys, ["v"], weak=frozenset(), taken=["Pistes cyclables", "piste cyclable"])
    assert again["v"] == "Petites communes"  # labels never repeat one already given
    assert phrase_labels([[suivi], [commune], [], []], ["x"] * 4, ["x"]) == {}  # no phrase in two documents


@pytest.mark.slow
def test_extracted_phrases_keep_surface_form_with_articles_and_accents():
    from pipeline.topics.french import Lemmatiser

    text = "Le suivi des consommations énergétiques des bâtiments communaux et le stationnement en centre-ville."
    phrases = dict(Lemmatiser().phrases([text])[0])
    assert phrases["suivi consommation énergétique"] == "suivi des consommations énergétiques"
    assert phrases["stationnement centre ville"] == "stationnement en centre-ville"
    assert all(surface.lower() in text.lower() for surface in phrases.values())
    assert not [k for k in phrases if len(k.split()) < 2]


def test_keyword_fallback_labels_never_repeat():
    from pipeline.topics.themes import _distinct_keyword_label

    used: set[str] = set()
    labels = [_distinct_keyword_label(["corpus test", "texte public", "test"], {"corpus test": "corpus de test"}, used)
              for _ in range(4)]
    assert labels[:2] == ["Corpus de test et texte public", "Texte public et test"]  # "test" redundant at first
    assert len(set(labels)) == 4 and labels[-1].endswith("(2)")
