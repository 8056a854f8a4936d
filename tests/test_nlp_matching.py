"""Gated pattern matchers: only the patterns a passage can match run, with spaCy's results."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.matcher import DependencyMatcher, Matcher

from pipeline.nlp.lexicon import load_patterns
from pipeline.nlp.matching import GatedDependencyMatcher, GatedMatcher, word_constraints
from pipeline.nlp.repairs import with_both_apostrophes

DEV = Path(__file__).parent / "data" / "nlp_dev.jsonl"


def test_word_constraints_keep_required_tokens_only():
    pattern = [{"LEMMA": {"IN": ["coût", "prix"]}}, {"POS": "ADP", "OP": "?"}, {"LOWER": "trop", "OP": "{0,2}"},
               {"LOWER": "élevé", "OP": "+"}, {"IS_PUNCT": False, "OP": "{2,6}"}, {"ORTH": "RGPD", "OP": "!"}]
    assert word_constraints(pattern) == (("lemma_", frozenset({"coût", "prix"})), ("lower_", frozenset({"élevé"})))
    assert word_constraints([{"POS": "NOUN"}, {"LOWER": {"REGEX": "^souhait"}}]) == ()


def test_a_pattern_runs_only_where_its_words_occur(nlp):
    matcher = GatedMatcher(nlp.vocab)
    matcher.add("cost", [{"LEMMA": "coût"}, {"LOWER": "trop"}, {"POS": "ADJ"}])
    calls = []
    inner = matcher.patterns[0][0]
    matcher.patterns[0] = (lambda doc: calls.append(doc) or inner(doc), matcher.patterns[0][1])
    assert matcher(nlp("Les données sont ouvertes.")) == [] and calls == []
    doc = nlp("Le coût trop élevé des licences nous freine.")
    assert [(nlp.vocab.strings[k], s, e) for k, s, e in matcher(doc)] == [("cost", 1, 4)] and len(calls) == 1


@pytest.fixture(scope="module")
def dev_docs(nlp):
    texts = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()]
    return list(nlp.pipe(texts))


@pytest.mark.parametrize("name", ["freins", "cas_usage"])
def test_gated_matchers_find_what_spacys_matchers_find(nlp, dev_docs, name):
    spec = load_patterns(name)
    plain_dep, gated_dep = DependencyMatcher(nlp.vocab), GatedDependencyMatcher(nlp.vocab)
    plain_tok, gated_tok = Matcher(nlp.vocab), GatedMatcher(nlp.vocab)
    for entry in spec.get("dependency_patterns", []):
        plain_dep.add(entry["id"], [with_both_apostrophes(entry["pattern"])])
        gated_dep.add(entry["id"], with_both_apostrophes(entry["pattern"]))
    for entry in spec.get("token_patterns", []):
        plain_tok.add(entry["id"], [with_both_apostrophes(entry["pattern"])])
        gated_tok.add(entry["id"], with_both_apostrophes(entry["pattern"]))
    n_dep = n_tok = 0
    for doc in dev_docs:
        expected = plain_dep(doc)
        assert gated_dep(doc) == expected, doc.text  # same matches, same order
        n_dep += len(expected)
        expected_tok = plain_tok(doc)
        got_tok = gated_tok(doc)
        assert sorted(got_tok) == sorted(expected_tok), doc.text
        assert [m[1:] for m in got_tok] == sorted(m[1:] for m in got_tok)  # by position
        n_tok += len(expected_tok)
    assert n_dep > 50 and n_tok > 5  # the dev set exercises both matchers
