"""The span-level decision of the ``span_tagger``: candidates, their features, the scorer's file form."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.nlp.span_scorer import SPAN_FEATURES, Candidate, SpanScorer, candidates, span_features
from pipeline.nlp.train_span_tagger import AFTER_TAGGER

TEXT = ("Les relevés des compteurs d'eau nous servent à repérer les fuites sur le réseau. "
        "Nous en avons parlé en conseil avec la DDT à la fin de l'hiver.")
COLUMN = {name: i for i, name in enumerate(SPAN_FEATURES)}


@pytest.fixture(scope="module")
def doc(nlp):
    with nlp.select_pipes(disable=list(AFTER_TAGGER)):
        return nlp(TEXT)


def test_candidates_are_the_rule_spans_then_the_runs_the_rules_missed(doc):
    rule = doc.spans["cas_usage"][0]
    second = list(doc.sents)[1]
    probabilities = np.zeros(len(doc))
    probabilities[rule.start:rule.end] = 0.9  # inside the rule span: no new candidate there
    probabilities[second.start:second.end] = 0.9
    found = candidates(doc, "cas_usage", probabilities, 0.5, max_gap=2, min_tokens=3)
    assert found[0] == Candidate(rule.start, rule.end, rule)
    assert len(found) == 2 and found[1].span is None
    added = doc[found[1].start:found[1].end]
    assert added.text == "avons parlé en conseil avec la DDT à la fin de l'hiver"  # trimmed: no pronouns, no point
    assert candidates(doc, "cas_usage", np.zeros(len(doc)), 0.5, 2, 3) == found[:1]
    probabilities[second.start:second.end] = 0.0
    probabilities[second.start:second.start + 3] = 0.9  # "Nous en avons": no verb nor noun at its head once trimmed
    assert len(candidates(doc, "cas_usage", probabilities, 0.5, 2, 3)) == 1


def test_span_features_describe_each_candidate(doc):
    rule = doc.spans["cas_usage"][0]
    second = list(doc.sents)[1]
    found = [Candidate(rule.start, rule.end, rule), Candidate(second.start, second.end - 1, None)]
    own = np.linspace(0.1, 0.9, len(doc))
    other = np.full(len(doc), 0.2)
    scores = np.array([[0.1, 0.8], [0.3, 0.4]])  # (sentences x kinds): frein, cas_usage
    x = span_features(doc, found, own, other, scores[:, 1], scores[:, 0], {"avons"}, {"en"})
    assert x.shape == (2, len(SPAN_FEATURES))
    first, added = x
    assert first[COLUMN["prob_mean"]] == pytest.approx(own[rule.start:rule.end].mean())
    assert first[COLUMN["prob_min"]] == pytest.approx(own[rule.start])
    assert first[COLUMN["other_kind_prob_mean"]] == pytest.approx(0.2)
    assert (first[COLUMN["from_rules"]], added[COLUMN["from_rules"]]) == (1, 0)
    assert (first[COLUMN["sentence_score"]], added[COLUMN["sentence_score"]]) == (0.8, 0.4)
    assert (first[COLUMN["sentence_score_other_kind"]], added[COLUMN["previous_sentence_score"]]) == (0.1, 0.8)
    assert (first[COLUMN["next_sentence_score"]], first[COLUMN["passage_max_sentence_score"]]) == (0.4, 0.8)
    assert (first[COLUMN["negation_in_sentence"]], added[COLUMN["negation_in_sentence"]]) == (0, 1)  # "en" below
    assert added[COLUMN["first_person_in_sentence"]] == 1 and first[COLUMN["first_person_in_sentence"]] == 0
    assert added[COLUMN["share_of_sentence"]] == pytest.approx((len(second) - 1) / len(second))
    assert first[COLUMN["candidates_in_sentence"]] == 1
    assert first[COLUMN["rule_score"]] == pytest.approx(rule._.score) and added[COLUMN["rule_score"]] == 0
    assert first[COLUMN[f"status_{rule._.status}"]] == 1 and added[[COLUMN[f"status_{s}"] for s in
                                                                     ("realise", "en_projet", "impossible")]].sum() == 0
    assert span_features(doc, [], own, other, scores[:, 1], scores[:, 0], set(), set()).shape == (0, len(SPAN_FEATURES))


def test_span_scorer_reads_back_what_it_writes_and_refuses_other_features():
    rng = np.random.default_rng(0)
    scorer = SpanScorer(rng.normal(size=len(SPAN_FEATURES)), rng.uniform(0.5, 2, len(SPAN_FEATURES)),
                        rng.normal(size=len(SPAN_FEATURES)), 0.3, 0.45)
    again = SpanScorer.from_dict(scorer.to_dict())
    x = rng.normal(size=(5, len(SPAN_FEATURES)))
    assert np.allclose(again.probabilities(x), scorer.probabilities(x), atol=1e-5) and again.threshold == 0.45
    z = (x - scorer.mean) / scorer.scale @ scorer.coef + 0.3
    assert np.allclose(scorer.probabilities(x), 1 / (1 + np.exp(-z)))
    assert scorer.probabilities(np.zeros((0, len(SPAN_FEATURES)))).shape == (0,)
    data = scorer.to_dict()
    data["features"] = data["features"][:-1]
    with pytest.raises(ValueError, match="other features"):
        SpanScorer.from_dict(data)
