"""The shared French pipeline: running a subset of components equals loading only that subset."""
from __future__ import annotations

import spacy

from pipeline.spacy_models import MODEL_NAME, load_french, run_components
from pipeline.topics.french import LEMMA_COMPONENTS

TEXTS = ["Les données de consommation des écoles n’ont jamais été transmises par le fournisseur.",
         "Nous souhaitons cartographier les îlots de chaleur avec l'aide du Cerema."]


def test_lemma_components_equal_a_pipeline_loaded_without_parser_and_ner():
    shared = load_french()
    assert load_french() is shared, "loaded once per process"
    alone = spacy.load(MODEL_NAME, exclude=["parser", "ner"])
    expected = [[(t.text, t.pos_, t.lemma_) for t in doc] for doc in alone.pipe(TEXTS)]
    got = [[(t.text, t.pos_, t.lemma_) for t in doc] for doc in run_components(shared, TEXTS, LEMMA_COMPONENTS)]
    assert got == expected
    assert any(lemma == "transmettre" for doc in got for _, _, lemma in doc)
