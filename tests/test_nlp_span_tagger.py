"""The learned ``span_tagger``: token features, decoding, model file, learned direction, training command."""
from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from pipeline.nlp.annotations import GOLD
from pipeline.nlp.sentence_scores import SENTENCE_KINDS, doc_sentence_scores
from pipeline.nlp.span_scorer import SPAN_FEATURES, token_runs
from pipeline.nlp.span_tagger import MODEL_PATH, RULE_NAMES, TAGGED_KINDS, SpanTagger, SpanTaggerModels
from pipeline.nlp.token_features import RULE_KINDS, batch_token_features, token_features
from pipeline.nlp.train_span_tagger import AFTER_TAGGER, LAYOUT, main as train_main

from nlp_helpers import spans

# a planned inventory the rule detectors do not know ("prévoir" + a nominal object)
MISSED_USE = "Nous prévoyons, avec la DDT, un inventaire des friches industrielles pour accélérer leur reconversion."
# an obstacle told as a plain fact, no negation nor difficulty word for the rules to catch
MISSED_BARRIER = "Les relevés de nos stations d'épuration arrivent chez nous sous trois formats différents."
RULE_USE = "Les relevés des compteurs d'eau nous servent à repérer les fuites sur le réseau."
NEUTRAL = ["La commune compte 3 400 habitants et douze hameaux.",
           "Le conseil communautaire s'est réuni le 12 mars pour examiner le budget."]


def _before_tagger(nlp, text):
    """The doc as the tagger sees it in the pipeline: after the rule detectors and the filter."""
    with nlp.select_pipes(disable=list(AFTER_TAGGER)):
        return nlp(text)


def _component(nlp, path=""):
    return SpanTagger(nlp.get_pipe("frein_detector"), nlp.get_pipe("cas_usage_detector"), path)


def _constant_model(tmp_path, kind, intercept, span_intercept=None):
    """The bundled model file with the tagger of ``kind`` giving every token the same probability, and
    its span scorer (if it has one) every candidate the same score."""
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data["taggers"][kind].update(coef=[0.0] * len(data["taggers"][kind]["coef"]), intercept=intercept)
    if span_intercept is not None:
        data["taggers"][kind]["spans"].update(coef=[0.0] * len(SPAN_FEATURES), intercept=span_intercept)
    path = tmp_path / f"constant_{kind}{intercept}_{span_intercept}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def models():
    return SpanTaggerModels.load(MODEL_PATH)


def test_features_read_the_context_vectors_the_syntax_the_rules_and_the_sentence_scores(nlp, models):
    doc = _before_tagger(nlp, RULE_USE + " " + NEUTRAL[0])
    scores = doc_sentence_scores(models.sentences, [doc])[0]
    assert scores.shape == (2, len(SENTENCE_KINDS))
    x = token_features(doc, LAYOUT, scores)
    assert x.shape == (len(doc), LAYOUT.size) and x.dtype == np.float32
    assert np.allclose(x[:, :LAYOUT.width], doc.tensor)  # the pipeline's tok2vec output, not zeros
    assert np.abs(x[:, :LAYOUT.width]).sum() > 0
    assert np.array_equal(x, token_features(doc, LAYOUT, scores))  # deterministic
    second = list(doc.sents)[1]
    # last columns: the scores of the token's sentence, of the sentences before and after it, the passage's highest
    k = len(SENTENCE_KINDS)
    none = np.zeros(k)
    first_row, second_row = x[0, -4 * k:].reshape(4, k), x[second.start, -4 * k:].reshape(4, k)
    assert np.allclose(first_row, [scores[0], none, scores[1], scores.max(axis=0)])
    assert np.allclose(second_row, [scores[1], scores[0], none, scores.max(axis=0)])
    # rule flags: first the "inside a rule span" block, then "its sentence holds one"
    end = LAYOUT.size - 4 * k - 4
    flags = x[:, end - 2 * len(RULE_KINDS):end]
    use = doc.spans["cas_usage"][0]
    c = RULE_KINDS.index("cas_usage")
    assert flags[use.start:use.end, c].all() and not flags[use.end + 1:, c].any()
    assert flags[use.start, len(RULE_KINDS) + c] == 1 and flags[second.start, len(RULE_KINDS) + c] == 0
    with pytest.raises(ValueError, match="sentence scores"):
        token_features(doc, LAYOUT)  # this layout cannot be read without them
    with pytest.raises(ValueError, match="sentence scores for"):
        token_features(doc, LAYOUT, scores[:1])


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


def test_bundled_model_is_trained_without_the_gold_set(models):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert GOLD.name not in data["trained_on"] and data["n_passages"] >= 1000
    assert models.layout == LAYOUT  # the training layout is the one the features are built with
    assert set(models.taggers) == set(TAGGED_KINDS)
    barriers, uses = models.taggers["frein"], models.taggers["cas_usage"]
    assert barriers.spans is None and 0.0 < barriers.keep_threshold < barriers.candidate_threshold < 1.0
    assert uses.keep_threshold is None and 0.0 < uses.candidate_threshold < 1.0 and 0.0 < uses.spans.threshold < 1.0
    assert len(uses.spans.coef) == len(SPAN_FEATURES)


def test_the_tagger_adds_what_the_rules_miss_and_leaves_neutral_sentences(nlp):
    assert len(_before_tagger(nlp, MISSED_USE).spans["cas_usage"]) == 0
    found = spans(nlp, MISSED_USE, "cas_usage")
    assert [(s._.rule, s._.status) for s in found] == [(RULE_NAMES["cas_usage"], "en_projet")]
    assert found[0].label_ == "urbanisme_foncier" and 0.5 <= found[0]._.score <= 1.0
    assert len(_before_tagger(nlp, MISSED_BARRIER).spans["frein"]) == 0
    barriers = spans(nlp, MISSED_BARRIER, "frein")
    assert [(s._.rule, s.label_) for s in barriers] == [(RULE_NAMES["frein"], "qualite_donnees")]
    assert [s.text for s in spans(nlp, RULE_USE, "cas_usage")] == [RULE_USE.rstrip(".")]
    for text in NEUTRAL:
        assert spans(nlp, text, "cas_usage") == [] and spans(nlp, text, "frein") == []


def test_sentence_scores_tell_barriers_and_uses_from_neutral_sentences(nlp, models):
    docs = [_before_tagger(nlp, t) for t in (MISSED_BARRIER, MISSED_USE, NEUTRAL[0])]
    barrier, use, neutral = (s[0] for s in doc_sentence_scores(models.sentences, docs))
    f, c = SENTENCE_KINDS.index("frein"), SENTENCE_KINDS.index("cas_usage")
    assert barrier[f] > 10 * neutral[f] and barrier[f] > 2 * use[f]
    assert use[c] > 0.5 > neutral[c] and use[c] > 2 * barrier[c]


def _tagged(nlp, tmp_path, kind, intercept, span_intercept=None):
    """(rule spans kept, runs added) of ``kind`` with constant probabilities, on a sentence with a rule
    span followed by a neutral one."""
    text = {"cas_usage": RULE_USE, "frein": "Nous ne disposons pas des données de consommation des écoles."}[kind]
    component = _component(nlp, _constant_model(tmp_path, kind, intercept, span_intercept))
    doc = component(_before_tagger(nlp, text + " " + NEUTRAL[0]))
    rules = [s._.rule for s in doc.spans[kind]]
    return len([r for r in rules if r != RULE_NAMES[kind]]), rules.count(RULE_NAMES[kind])


@pytest.mark.parametrize("intercept, span_intercept, kept_and_added", [
    (10.0, 10.0, (1, 1)),  # every token likely: the second sentence becomes a candidate, all are kept
    (-10.0, 10.0, (1, 0)),  # no token likely: the rule span is the only candidate
    (10.0, -10.0, (0, 0)),  # the span scorer rejects every candidate
])
def test_use_cases_token_probabilities_make_candidates_and_the_span_scorer_decides(nlp, tmp_path, intercept,
                                                                                   span_intercept, kept_and_added):
    assert _tagged(nlp, tmp_path, "cas_usage", intercept, span_intercept) == kept_and_added


@pytest.mark.parametrize("intercept, kept_and_added", [(10.0, (1, 1)), (-10.0, (0, 0))])
def test_barriers_token_probabilities_keep_rule_spans_and_add_runs(nlp, tmp_path, intercept, kept_and_added):
    assert _tagged(nlp, tmp_path, "frein", intercept) == kept_and_added


def test_without_a_model_file_the_rule_spans_stay(nlp, tmp_path, caplog):
    component = _component(nlp, str(tmp_path / "absent.json"))
    with caplog.at_level(logging.WARNING):
        assert len(component(_before_tagger(nlp, RULE_USE)).spans["cas_usage"]) == 1
        assert len(component(_before_tagger(nlp, RULE_USE)).spans["cas_usage"]) == 1
    assert caplog.text.count("no model file") == 1  # warned once


@pytest.mark.parametrize("part", ["frein", "cas_usage", "sentences", "spans", "decision"])
def test_a_model_file_that_does_not_match_its_layout_is_refused(tmp_path, part):
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    if part == "sentences":
        data["sentences"]["coef"][0] = data["sentences"]["coef"][0][:-1]
    elif part == "spans":
        data["taggers"]["cas_usage"]["spans"]["features"] = list(SPAN_FEATURES[:-1])
    elif part == "decision":
        data["taggers"]["cas_usage"]["keep_threshold"] = 0.5  # a span scorer and a keep threshold: ambiguous
    else:
        data["taggers"][part]["coef"] = data["taggers"][part]["coef"][:-1]
    path = tmp_path / "short.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match={"spans": "other features", "decision": "either"}.get(part, "weights")):
        SpanTaggerModels.load(path)


def test_training_command_writes_a_model(tmp_path):
    out = tmp_path / "tagger.json"
    assert train_main(["--train", "tests/data/nlp_dev2.jsonl", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["trained_on"] == ["nlp_dev2.jsonl"]
    assert all(0 < data["n_positive"][kind] < data["n_tokens"] for kind in TAGGED_KINDS)
    assert all(len(data["taggers"][k]["coef"]) == len(data["taggers"][k]["mean"]) == LAYOUT.size for k in TAGGED_KINDS)
    assert len(data["sentences"]["terms"]) > 100 and len(data["sentences"]["coef"]) == len(SENTENCE_KINDS)
    assert data["n_candidates"]["cas_usage"] > 0 and "keep_threshold" in data["taggers"]["frein"]
    assert len(data["taggers"]["cas_usage"]["spans"]["coef"]) == len(SPAN_FEATURES)
    assert [p.name for p in tmp_path.iterdir()] == ["tagger.json"]  # atomic write, no temporary left
    SpanTaggerModels.load(out)


def test_a_batch_and_single_docs_get_the_same_features_and_mentions(nlp, models):
    texts = [MISSED_USE, "", RULE_USE + " " + NEUTRAL[1], NEUTRAL[0], MISSED_BARRIER]
    docs = [_before_tagger(nlp, t) for t in texts]
    scores = doc_sentence_scores(models.sentences, [d for d in docs if len(d)])
    scores.insert(1, np.zeros((0, len(SENTENCE_KINDS))))
    batch = batch_token_features(docs, LAYOUT, scores)
    singles = [token_features(d, LAYOUT, s) for d, s in zip(docs, scores)]
    assert np.array_equal(batch, np.vstack(singles))  # no batch effect
    def mentions(doc):
        return [(k, s.text, s._.rule) for k in TAGGED_KINDS for s in doc.spans[k]]

    found = [mentions(d) for d in nlp.pipe(texts, batch_size=3)]
    assert found == [mentions(nlp(t)) for t in texts]
    assert found[0] and not found[1]


def test_the_stage_runs_without_the_tagger_when_the_config_says_so(nlp):
    from pipeline.config import NlpConfig
    from pipeline.nlp.stage import extract_mentions

    passages = pd.DataFrame({"passage_id": ["p1", "p2"], "contribution_id": ["c1", "c1"], "text": [MISSED_USE, MISSED_BARRIER]})
    rules = {on: set(extract_mentions(passages, NlpConfig(span_tagger=on))[0]["rule"]) for on in (True, False)}
    assert set(RULE_NAMES.values()) <= rules[True] and not set(RULE_NAMES.values()) & rules[False]
