"""Recall on the generated planted-data corpus, hard negatives, and a sanity run on real corpora."""
from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import PrivacyConfig
from pipeline.privacy import Pseudonymiser, leak_report
from pipeline.privacy.evaluate import main, read_corpus, score_negatives, score_planted
from pipeline.privacy.ner import load_ner
from pipeline.privacy.planted import build_planted_corpus

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="module")
def pseudonymiser():
    return Pseudonymiser(PrivacyConfig(), nlp=load_ner())


@pytest.fixture(scope="module")
def planted():
    return build_planted_corpus(n_contributions=24, seed=7)


@pytest.fixture(scope="module")
def planted_analysis(pseudonymiser, planted):
    contributions, _ = planted
    return pseudonymiser.analyse_many([c.texts for c in contributions], [c.hints for c in contributions])


def test_planted_corpus_is_large_deterministic_and_varied(planted):
    contributions, negatives = planted
    items = [i for c in contributions for i in c.items]
    assert len(items) >= 300
    assert {i.kind for i in items} == {"email", "telephone", "adresse", "personne"}
    assert len(negatives.negatives) >= 50
    again, _ = build_planted_corpus(n_contributions=24, seed=7)
    assert [c.texts for c in again] == [c.texts for c in contributions]
    assert [c.texts for c in build_planted_corpus(n_contributions=24, seed=8)[0]] != [c.texts for c in contributions]


def test_recall_per_kind_on_planted_corpus(planted, planted_analysis):
    scores = score_planted(planted[0], planted_analysis)
    recall = scores["recall"]
    assert recall["email"] >= 0.99 and recall["telephone"] >= 0.99, scores["misses"]
    assert recall["personne"] >= 0.9 and recall["adresse"] >= 0.9, scores["misses"]
    assert scores["person_consistency"] >= 0.9
    assert sum(scores["stray_spans"].values()) <= 3


def test_hard_negatives_are_kept(pseudonymiser, planted):
    negatives = planted[1]
    scores = score_negatives(negatives, pseudonymiser.analyse_many([[t] for t in negatives.texts]))
    assert scores["fp_rate"] <= 0.05, scores["false_positives"]


def test_leak_report_before_and_after(pseudonymiser, planted):
    contributions = planted[0]
    texts = [t for c in contributions for t in c.texts]
    before = leak_report(texts)
    planted_counts = {k: sum(1 for c in contributions for i in c.items if i.kind == k) for k in ("email", "telephone")}
    assert before == planted_counts
    outputs = pseudonymiser.pseudonymise_many([c.texts for c in contributions], [c.hints for c in contributions])
    assert leak_report([t for c in outputs for t in c]) == {"email": 0, "telephone": 0}
    assert pseudonymiser.pseudonymise_many(outputs, [None] * len(outputs)) == outputs  # placeholders stay as they are


@pytest.mark.shared
def test_real_corpus_sample_leaves_no_email_or_phone(pseudonymiser):
    path = SHARED / "corpora" / "transport_data_gouv_rencontres_publiques_aom.jsonl"
    if not path.exists():
        pytest.skip("shared corpora absent")
    contributions = read_corpus(path)[:25]
    outputs = pseudonymiser.pseudonymise_many(contributions, [None] * len(contributions))
    assert leak_report(t for c in outputs for t in c) == {"email": 0, "telephone": 0}
    assert [len(c) for c in outputs] == [len(c) for c in contributions]


def test_evaluate_command_runs(tmp_path, capsys):
    assert main(["--n", "5", "--corpora", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "recall personne" in out and "false-positive rate" in out
