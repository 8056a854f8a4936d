"""spaCy NER for the privacy module: the ``ner`` component of the shared pipeline, batched."""
from __future__ import annotations

import re
from pathlib import Path
from threading import Lock

from pipeline.spacy_models import MODEL_NAME, load_french, run_components

CHUNK_CHARS = 2000  # texts are cut at paragraph/line ends so NER batches stay small and even
_LOCK = Lock()


def load_ner(model: str = MODEL_NAME):
    """The process-wide French pipeline; privacy runs only its ``ner`` component (which has its
    own embedding layer, so nothing else is computed)."""
    return load_french(model)


def chunks(text: str, limit: int = CHUNK_CHARS) -> list[tuple[int, str]]:
    """Cut ``text`` into pieces of at most ~``limit`` characters at blank lines, line ends or
    sentence ends; returns ``(offset, piece)`` pairs."""
    pieces: list[tuple[int, str]] = []
    pos = 0
    while pos < len(text):
        if len(text) - pos <= limit:
            pieces.append((pos, text[pos:]))
            break
        window = text[pos:pos + limit]
        cut = -1
        for sep in ("\n\n", "\n", ". ", " "):
            cut = window.rfind(sep)
            if cut > limit // 4:
                cut += len(sep)
                break
        if cut <= 0:
            cut = limit
        pieces.append((pos, text[pos:pos + cut]))
        pos += cut
    return pieces


def entities_of(nlp, texts: list[str], batch_size: int = 32) -> list[list[tuple[int, int, str]]]:
    """NER entities ``(start, end, label)`` of each text, computed with ``nlp.pipe`` over chunks."""
    index: list[tuple[int, int]] = []
    pieces: list[str] = []
    for text_no, text in enumerate(texts):
        for offset, piece in chunks(text or ""):
            if piece.strip() and re.search(r"[A-ZÀ-Þ]", piece):
                index.append((text_no, offset))
                pieces.append(piece)
    result: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    for (text_no, offset), doc in zip(index, run_components(nlp, pieces, ["ner"], batch_size)):
        result[text_no].extend((offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents)
    return result



_COMMON: dict[str, object] = {}


def _common_tables(model: str):
    with _LOCK:
        if model not in _COMMON:
            tables = None
            try:
                import importlib

                from spacy.lookups import Lookups

                package_dir = Path(importlib.import_module(model).__file__).parent
                data_dir = next(p for p in package_dir.iterdir() if p.is_dir() and p.name.startswith(model))
                lookups = Lookups().from_disk(data_dir / "lemmatizer" / "lookups")
                index = lookups.get_table("lemma_index")
                lemmas = frozenset(w for pos in ("noun", "adj", "verb", "adv") for w in index.get(pos, []))
                tables = (lookups.get_table("lemma_lookup"), lemmas)
            except (ImportError, OSError, StopIteration, KeyError, ValueError):
                tables = None
            _COMMON[model] = tables
        return _COMMON[model]


def is_common_word(word: str, model: str = MODEL_NAME) -> bool:
    """True for a French word known to the model's lemmatizer tables (an inflected form or a
    lemma): a capitalised run made only of such words ("Démarches Simplifiées") is not a name.
    Always False when the model's tables are missing."""
    tables = _common_tables(model)
    if tables is None:
        return False
    lookup, lemmas = tables
    lower = word.lower()
    return lower in lookup or lower in lemmas
