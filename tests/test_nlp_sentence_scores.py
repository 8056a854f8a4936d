"""Sentence scores: terms, TF-IDF as scikit-learn computes it, model file round trip, out-of-fold training."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.nlp.sentence_scores import SENTENCE_KINDS, SentenceModel, SentenceRows, sentence_terms
from pipeline.nlp.train_span_tagger import AFTER_TAGGER, fit_sentence_model, out_of_fold_scores

TEXTS = ["Nous ne disposons pas des données de consommation des écoles.",
         "Les données de consommation arrivent avec deux ans de retard.",
         "Nous suivons la consommation des écoles chaque mois depuis 2019.",
         "La commune compte 3 400 habitants et douze hameaux.",
         "Le conseil municipal s'est réuni le 12 mars.",
         "Nous publions les données de consommation des écoles sur notre portail."]
BARRIER = [1, 1, 0, 0, 0, 0]
USE = [0, 0, 1, 0, 0, 1]


@pytest.fixture(scope="module")
def rows(nlp):
    with nlp.select_pipes(disable=list(AFTER_TAGGER)):
        docs = list(nlp.pipe(TEXTS))
    return SentenceRows.of_docs(docs)


def test_terms_are_lemmas_and_their_bigrams_without_punctuation_or_numbers(nlp):
    terms = sentence_terms(next(nlp("Les communes publient 3 400 fichiers.").sents))
    assert terms == ["le", "commune", "publier", "fichier", "le commune", "commune publier", "publier fichier"]


def test_tfidf_block_is_the_one_scikit_learn_computes(rows):
    model = SentenceModel.vocabulary_of(rows, min_df=1, vector_weight=1.0)
    ours = model.design(rows)[:, :len(model.vocabulary)].toarray()
    reference = TfidfVectorizer(analyzer=lambda terms: terms, sublinear_tf=True, min_df=1).fit(rows.terms)
    theirs = reference.transform(rows.terms).toarray()[:, [reference.vocabulary_[t] for t in model.vocabulary]]
    assert np.allclose(ours, theirs)
    assert len(SentenceModel.vocabulary_of(rows, min_df=2, vector_weight=1.0).vocabulary) < len(model.vocabulary)


def test_the_design_holds_the_vectors_and_the_rule_flags(rows):
    model = SentenceModel.vocabulary_of(rows, min_df=2, vector_weight=1.0)
    design = model.design(rows).toarray()
    assert design.shape == (len(TEXTS), len(model.vocabulary) + rows.vectors.shape[1] + len(SENTENCE_KINDS))
    assert np.array_equal(design[:, -len(SENTENCE_KINDS):], rows.rule_flags)
    assert rows.rule_flags[0, SENTENCE_KINDS.index("frein")] == 1  # the rules see "ne disposons pas"
    assert np.abs(design[:, len(model.vocabulary):-len(SENTENCE_KINDS)]).sum() > 0  # static vectors, not zeros


def test_a_fitted_model_survives_its_file_form_and_refuses_wrong_sizes(rows):
    model = fit_sentence_model(rows, {"frein": np.array(BARRIER), "cas_usage": np.array(USE)})
    again = SentenceModel.from_dict(model.to_dict())
    assert np.allclose(model.probabilities(rows), again.probabilities(rows), atol=1e-5)
    p = model.probabilities(rows)
    f = SENTENCE_KINDS.index("frein")
    assert p[:2, f].min() > p[2:, f].max()  # learned on these very sentences: it separates them
    broken = model.to_dict()
    broken["idf"] = broken["idf"][:-1]
    with pytest.raises(ValueError, match="weights"):
        SentenceModel.from_dict(broken)


def test_out_of_fold_scores_come_from_models_that_did_not_see_the_sentence(rows):
    labels = {"frein": np.array(BARRIER), "cas_usage": np.array(USE)}
    groups = np.array(["a", "b", "a", "b", "c", "c"])  # each fold keeps both classes
    oof = out_of_fold_scores(rows, labels, groups)
    for group in ("a", "b", "c"):
        held = groups == group
        alone = fit_sentence_model(rows.subset(np.flatnonzero(~held)), {k: v[~held] for k, v in labels.items()})
        assert np.allclose(oof[held], alone.probabilities(rows.subset(np.flatnonzero(held))))
    in_sample = fit_sentence_model(rows, labels).probabilities(rows)
    assert not np.allclose(oof, in_sample)
