"""The learned ``clause_classifier``: training command, model file, component behaviour, no-op fallback."""
from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from pipeline.nlp.clause_classifier import MODEL_PATH, ClauseClassifier, ClauseModel
from pipeline.nlp.clauses import candidates, sentence_clauses
from pipeline.nlp.train_clauses import main as train_main

BARRIER_TEXT = ("Nous ne disposons pas des données de consommation énergétique des bâtiments, "
                "mais la commune a publié les horaires des piscines en open data.")


@pytest.fixture(scope="session")
def bundled_model():
    if not MODEL_PATH.exists():
        pytest.skip("no bundled model (run python -m pipeline.nlp.train_clauses)")
    return MODEL_PATH


@pytest.fixture(scope="session")
def small_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("clause") / "clause_model.json"
    assert train_main(["--limit", "30", "--out", str(out)]) == 0
    return out


def _run(nlp, component, text):
    """The shared pipeline without the linker, then the component (as placed in the pipeline)."""
    with nlp.select_pipes(disable=[n for n in ("clause_classifier", "frein_cas_usage_linker") if n in nlp.pipe_names]):
        doc = nlp(text)
    before = {k: [(s.start, s.end) for s in doc.spans[k]] for k in ("frein", "cas_usage")}
    return component(doc), before


@pytest.mark.slow
def test_training_on_a_slice_writes_a_loadable_model(small_model):
    data = json.loads(small_model.read_text(encoding="utf-8"))
    assert data["n_passages"] == 30
    model = ClauseModel.load(small_model)
    assert set(model.kinds) == {"frein", "cas_usage"}
    width = len(model.features.names(model.width))
    assert all(len(m["coef"]) == width for m in model.kinds.values())
    assert all(0.0 <= m["drop_below"] <= 1.0 and 0.0 < m["add_above"] <= 1.01 for m in model.kinds.values())
    assert not list(small_model.parent.glob(".clause_model.*"))  # atomic write left no temporary file


def test_clauses_cut_at_subordinators_and_punctuation(nlp):
    doc = nlp(BARRIER_TEXT)
    texts = [doc[a:b].text for a, b in sentence_clauses(doc)]
    assert len(texts) == 2
    assert texts[1].startswith("mais")


def test_bundled_model_ranks_a_barrier_above_a_neutral_clause(nlp, bundled_model):
    model = ClauseModel.load(bundled_model)
    doc = nlp("Nous manquons cruellement de moyens humains pour exploiter ces données. "
              "La commune compte 1 200 habitants et deux écoles.")
    cands = [c for c in candidates(doc) if c.rule_kind is None]
    probs = model.probabilities(doc, cands)["frein"]
    first = [p for c, p in zip(cands, probs) if c.start < doc[0].sent.end]
    last = [p for c, p in zip(cands, probs) if c.start >= doc[0].sent.end]
    assert max(first) > max(last)


def _forced(base, tmp_path, kind, intercept, drop_below, add_above):
    """A copy of a model whose ``kind`` answers ``intercept`` whatever the clause."""
    data = json.loads(base.read_text(encoding="utf-8"))
    data["kinds"] = {kind: {**data["kinds"][kind], "coef": [0.0] * len(data["kinds"][kind]["coef"]),
                            "intercept": intercept, "drop_below": drop_below, "add_above": add_above}}
    path = tmp_path / f"forced_{kind}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_confident_model_adds_clauses_the_rules_missed(nlp, bundled_model, tmp_path):
    component = ClauseClassifier(nlp, str(_forced(bundled_model, tmp_path, "frein", 10.0, 0.0, 0.9)))
    doc, before = _run(nlp, component, BARRIER_TEXT)
    assert before["frein"], "the rules find the barrier of the first clause"
    added = [s for s in doc.spans["frein"] if s._.rule == "clause_classifier"]
    assert [s.text for s in added] == ["la commune a publié les horaires des piscines en open data"]
    assert added[0].label_ and added[0]._.score > 0.9
    kept = [(s.start, s.end) for s in doc.spans["frein"] if s._.rule != "clause_classifier"]
    assert kept == before["frein"]
    assert [(s.start, s.end) for s in doc.spans["cas_usage"]] == before["cas_usage"]  # other kind untouched


def test_doubtful_model_drops_rule_spans(nlp, bundled_model, tmp_path):
    component = ClauseClassifier(nlp, str(_forced(bundled_model, tmp_path, "cas_usage", -10.0, 0.5, 1.01)))
    doc, before = _run(nlp, component, BARRIER_TEXT)
    assert before["cas_usage"], "the rules find the publication use case"
    assert list(doc.spans["cas_usage"]) == []
    assert [(s.start, s.end) for s in doc.spans["frein"]] == before["frein"]


def test_added_use_case_gets_a_domain_and_a_status(nlp, bundled_model, tmp_path):
    component = ClauseClassifier(nlp, str(_forced(bundled_model, tmp_path, "cas_usage", 10.0, 0.0, 0.9)))
    doc, _ = _run(nlp, component, "Nous souhaiterions un jour, si possible, croiser les fichiers de la cantine scolaire.")
    added = [s for s in doc.spans["cas_usage"] if s._.rule == "clause_classifier"]
    for span in added:
        assert span._.status in {"realise", "en_projet", "impossible"}
        assert span.label_


def test_missing_model_file_is_a_logged_no_op(nlp, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="pipeline.nlp.clause_classifier"):
        component = ClauseClassifier(nlp, str(tmp_path / "absent.json"))
    assert component.model is None
    assert "no model file" in caplog.text
    doc, before = _run(nlp, component, BARRIER_TEXT)
    assert {k: [(s.start, s.end) for s in doc.spans[k]] for k in before} == before


def test_probabilities_are_probabilities(nlp, bundled_model):
    model = ClauseModel.load(bundled_model)
    doc = nlp(BARRIER_TEXT)
    probs = model.probabilities(doc, candidates(doc))
    assert all(np.all((p >= 0) & (p <= 1)) for p in probs.values())
