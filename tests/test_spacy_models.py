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


def test_lemma_index_as_sets_gives_the_lemmas_of_spacys_lists():
    """The shared pipeline looks words up in sets; an unpatched pipeline (lists) lemmatises the same."""
    import json
    from pathlib import Path

    shared = load_french()
    index = shared.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    assert all(isinstance(words, frozenset) for words in index.values())
    alone = spacy.load(MODEL_NAME, exclude=["parser", "ner"])
    assert all(isinstance(words, list) for words in alone.get_pipe("lemmatizer").lookups.get_table("lemma_index").values())
    texts = [json.loads(line)["text"] for line in
             (Path(__file__).parent / "data" / "nlp_dev.jsonl").read_text(encoding="utf-8").splitlines()[:120]]
    expected = [[t.lemma_ for t in doc] for doc in alone.pipe(texts)]
    got = [[t.lemma_ for t in doc] for doc in run_components(shared, texts, LEMMA_COMPONENTS)]
    assert got == expected
