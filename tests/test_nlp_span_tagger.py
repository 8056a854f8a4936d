"""The learned ``cas_usage_tagger``: token features, decoding, model file, learned direction, training command."""
from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from pipeline.nlp.annotations import GOLD
from pipeline.nlp.token_features import RULE_KINDS, batch_token_features, token_features
from pipeline.nlp.train_use_case_tagger import AFTER_TAGGER, LAYOUT, main as train_main
from pipeline.nlp.use_case_tagger import MODEL_PATH, RULE_NAME, TaggerModel, UseCaseTagger, token_runs

from nlp_helpers import spans

# a planned inventory the rule detectors do not know ("prévoir" + a nominal object)
MISSED_USE = "Nous prévoyons, avec la DDT, un inventaire des friches industrielles pour accélérer leur reconversion."
RULE_USE = "Les relevés des compteurs d'eau nous servent à repérer les fuites sur le réseau."
NEUTRAL = ["La commune compte 3 400 habitants et douze hameaux.",
           "Le conseil communautaire s'est réuni le 12 mars pour examiner le budget."]


def _before_tagger(nlp, text):
    """The doc as the tagger sees it in the pipeline: after the rule detectors and the filter."""
    with nlp.select_pipes(disable=list(AFTER_TAGGER)):
        return nlp(text)


def _constant_model(tmp_path, intercept):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data.update(coef=[0.0] * len(data["coef"]), intercept=intercept)
    path = tmp_path / f"constant{intercept}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_features_read_the_context_vectors_the_syntax_and_the_rules(nlp):
    doc = _before_tagger(nlp, RULE_USE + " " + NEUTRAL[0])
    x = token_features(doc, LAYOUT)
    assert x.shape == (len(doc), LAYOUT.size) and x.dtype == np.float32
    assert np.allclose(x[:, :LAYOUT.width], doc.tensor)  # the pipeline's tok2vec output, not zeros
    assert np.abs(x[:, :LAYOUT.width]).sum() > 0
    assert np.array_equal(x, token_features(doc, LAYOUT))  # deterministic
    # rule flags: first the "inside a rule span" block, then "its sentence holds one"
    flags = x[:, LAYOUT.size - 4 - 2 * len(RULE_KINDS):LAYOUT.size - 4]
    use = doc.spans["cas_usage"][0]
    k = RULE_KINDS.index("cas_usage")
    assert flags[use.start:use.end, k].all() and not flags[use.end + 1:, k].any()
    second = list(doc.sents)[1]
    assert flags[use.start, len(RULE_KINDS) + k] == 1 and flags[second.start, len(RULE_KINDS) + k] == 0


def test_token_runs_bridge_short_gaps_within_a_sentence(nlp):
    doc = nlp.make_doc("Nous suivons les consommations des écoles chaque mois . Nous publions les résultats .")
    doc[10].is_sent_start = True
    for token in list(doc)[1:10] + list(doc)[11:]:
        token.is_sent_start = False
    p = np.array([0, .9, .9, .1, .9, .9, .2, .9, .9, 0.9, .95, .95, .95, .1, 0])
    assert token_runs(doc, p, 0.8, max_gap=0, min_tokens=2) == [(1, 3), (4, 6), (7, 10), (10, 13)]
    assert token_runs(doc, p, 0.8, max_gap=0, min_tokens=3) == [(7, 10), (10, 13)]
    assert token_runs(doc, p, 0.8, max_gap=1, min_tokens=3) == [(1, 10), (10, 13)]  # never across sentences
    assert token_runs(doc, p, 0.8, max_gap=1, min_tokens=4) == [(1, 10)]


def test_bundled_model_is_trained_without_the_gold_set():
    model = TaggerModel.load(MODEL_PATH)
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert GOLD.name not in data["trained_on"] and data["n_passages"] >= 1000
    assert model.layout == LAYOUT  # the training layout is the one the features are built with
    assert 0.0 < model.keep_threshold < model.add_threshold < 1.0


def test_the_tagger_adds_a_use_case_the_rules_miss_and_leaves_neutral_sentences(nlp):
    assert len(_before_tagger(nlp, MISSED_USE).spans["cas_usage"]) == 0
    found = spans(nlp, MISSED_USE, "cas_usage")
    assert [(s._.rule, s._.status) for s in found] == [(RULE_NAME, "en_projet")]
    assert found[0].label_ == "urbanisme_foncier" and 0.8 <= found[0]._.score <= 1.0
    assert [s.text for s in spans(nlp, RULE_USE, "cas_usage")] == [RULE_USE.rstrip(".")]
    for text in NEUTRAL:
        assert spans(nlp, text, "cas_usage") == []


@pytest.mark.parametrize("intercept, kept_rule_span, added", [(10.0, True, True), (-10.0, False, False)])
def test_the_probabilities_decide(nlp, tmp_path, intercept, kept_rule_span, added):
    component = UseCaseTagger(nlp.get_pipe("cas_usage_detector"), _constant_model(tmp_path, intercept))
    doc = component(_before_tagger(nlp, RULE_USE + " " + NEUTRAL[0]))
    rules = [s._.rule for s in doc.spans["cas_usage"]]
    assert ("use_data_for" in rules) is kept_rule_span
    assert (rules.count(RULE_NAME) == 1) is added  # the second sentence; the first one has a rule span


def test_without_a_model_file_the_rule_use_cases_stay(nlp, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        component = UseCaseTagger(nlp.get_pipe("cas_usage_detector"), str(tmp_path / "absent.json"))
    assert "no model file" in caplog.text
    assert len(component(_before_tagger(nlp, RULE_USE)).spans["cas_usage"]) == 1


def test_a_model_file_that_does_not_match_its_layout_is_refused(tmp_path):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["coef"] = data["coef"][:-1]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="weights"):
        TaggerModel.load(path)


def test_training_command_writes_a_model(tmp_path):
    out = tmp_path / "tagger.json"
    assert train_main(["--train", "tests/data/nlp_dev2.jsonl", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["trained_on"] == ["nlp_dev2.jsonl"] and 0 < data["n_positive"] < data["n_tokens"]
    assert len(data["coef"]) == len(data["mean"]) == LAYOUT.size
    assert [p.name for p in tmp_path.iterdir()] == ["tagger.json"]  # atomic write, no temporary left


def test_a_batch_and_single_docs_get_the_same_features_and_use_cases(nlp):
    texts = [MISSED_USE, "", RULE_USE + " " + NEUTRAL[1], NEUTRAL[0]]
    docs = [_before_tagger(nlp, t) for t in texts]
    batch = batch_token_features(docs, LAYOUT)
    assert np.array_equal(batch, np.vstack([token_features(d, LAYOUT) for d in docs]))  # no batch effect
    piped = [[(s.text, s._.rule) for s in d.spans["cas_usage"]] for d in list(nlp.pipe(texts, batch_size=3))]
    singles = [nlp(t) for t in texts]
    assert piped == [[(s.text, s._.rule) for s in d.spans["cas_usage"]] for d in singles]
    assert piped[0] and not piped[1]


def test_the_stage_runs_without_the_tagger_when_the_config_says_so(nlp):
    from pipeline.config import NlpConfig
    from pipeline.nlp.stage import extract_mentions

    passages = pd.DataFrame({"passage_id": ["p1"], "contribution_id": ["c1"], "text": [MISSED_USE]})
    rules = {on: set(extract_mentions(passages, NlpConfig(use_case_tagger=on))[0]["rule"]) for on in (True, False)}
    assert RULE_NAME in rules[True] and RULE_NAME not in rules[False]
