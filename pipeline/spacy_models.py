"""One spaCy French pipeline per process, shared by pseudonymisation, NLP and topic lemmas.

Loading ``fr_core_news_md`` costs seconds of CPU (tokenizer exceptions, weights); the three
users each need a different subset of its components, so they share one loaded pipeline and
run their components explicitly with :func:`run_components` instead of loading three copies.
Running components explicitly never mutates the shared pipeline (no ``select_pipes``), so it
is safe while another user has added its own components to it.
"""
from __future__ import annotations

import json
from threading import Lock
from typing import Iterable, Iterator, Sequence

MODEL_NAME = "fr_core_news_md"
_MODELS: dict[str, object] = {}
_LOCK = Lock()


def load_french(model: str = MODEL_NAME):
    """The full spaCy pipeline ``model``, loaded once per process."""
    with _LOCK:
        if model not in _MODELS:
            import spacy

            try:
                _MODELS[model] = spacy.load(model)
            except OSError as error:
                raise RuntimeError(f"spaCy model {model!r} is not installed (see requirements.lock): {error}") from error
            index_word_lists_as_sets(_MODELS[model])
        return _MODELS[model]


def index_word_lists_as_sets(nlp) -> None:
    """Turn the rule lemmatizer's per-POS word lists into sets, in place.

    spaCy's French lemmatizer tests ``word in index[pos]`` on lists of up to 66,000 words, several
    times per new word: on 25,000 passages that linear search was 13 % of the NLP stage. Same
    lemmas, set look-ups.
    """
    for _, component in nlp.pipeline:
        lookups = getattr(component, "lookups", None)
        if lookups is None or not lookups.has_table("lemma_index"):
            continue
        table = lookups.get_table("lemma_index")
        for key in list(table.keys()):
            if isinstance(table[key], list):
                table[key] = frozenset(table[key])


def run_components(nlp, texts: Iterable[str], components: Sequence[str], batch_size: int = 64) -> Iterator:
    """Tokenise ``texts`` and apply only ``components`` of ``nlp``, in the given order, in batches.

    Listeners (morphologizer, parser) need ``tok2vec`` before them; the French ``ner`` has its
    own embedding layer and runs alone.
    """
    docs: Iterator = (nlp.make_doc(text) for text in texts)
    for name in components:
        component = nlp.get_pipe(name)
        if hasattr(component, "pipe"):
            docs = component.pipe(docs, batch_size=batch_size)
        else:
            docs = map(component, docs)
    return docs


def encode_entities(entities: Sequence[tuple[int, int, str]] | None) -> str | None:
    """NER entities ``(start, end, label)`` as the JSON text stored in ``documents.entities``
    (``None`` stays ``None``: no NER ran)."""
    if entities is None:
        return None
    return json.dumps([[int(s), int(e), str(label)] for s, e, label in entities], separators=(",", ":"))


def decode_entities(value) -> list[tuple[int, int, str]] | None:
    """The entities of :func:`encode_entities` back (``None`` for a null cell)."""
    if not isinstance(value, str):
        return None
    return [(int(s), int(e), str(label)) for s, e, label in json.loads(value)]
