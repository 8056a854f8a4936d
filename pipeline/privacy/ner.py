"""spaCy NER for the privacy module: the ``ner`` component of the shared pipeline, batched."""
from __future__ import annotations

import re
from pathlib import Path
from threading import Lock

from pipeline.parallel import cut_on_batch, head_here_tail_in_worker
from pipeline.spacy_models import MODEL_NAME, load_french, run_components

CHUNK_CHARS = 2000  # texts are cut at paragraph/line ends so NER batches stay small and even
# ~100 s of NER on one core: below that, a second process costs more than it saves
MIN_PIECES_FOR_A_WORKER = 1500
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


def _piece_entities(nlp, pieces: list[str], batch_size: int) -> list[list[tuple[int, int, str]]]:
    return [[(e.start_char, e.end_char, e.label_) for e in doc.ents]
            for doc in run_components(nlp, pieces, ["ner"], batch_size)]


def _piece_entities_in_worker(pieces: list[str], model: str, batch_size: int) -> list[list[tuple[int, int, str]]]:
    return _piece_entities(load_french(model), pieces, batch_size)


def worker_share(n_pieces: int, processes: int, batch_size: int) -> int:
    """Index of the first piece left to a worker process (``n_pieces`` when none is worth starting).

    A worker spends ~15 s loading the model, so it starts only from ``MIN_PIECES_FOR_A_WORKER``
    pieces and takes a bit less than half of them. The cut falls on a batch boundary: both
    processes then see the batches of a single-process run, hence the same entities."""
    if processes < 2 or n_pieces < MIN_PIECES_FOR_A_WORKER:
        return n_pieces
    return cut_on_batch(n_pieces, 0.55, batch_size)


def entities_of(nlp, texts: list[str], batch_size: int = 32, processes: int = 1,
                model: str = MODEL_NAME) -> list[list[tuple[int, int, str]]]:
    """NER entities ``(start, end, label)`` of each text, computed with ``nlp.pipe`` over chunks.

    With ``processes`` ≥ 2 and enough text, a worker process (which loads ``model``) takes the
    second part of the chunks while this process handles the first."""
    index: list[tuple[int, int]] = []
    pieces: list[str] = []
    for text_no, text in enumerate(texts):
        for offset, piece in chunks(text or ""):
            if piece.strip() and re.search(r"[A-ZÀ-Þ]", piece):
                index.append((text_no, offset))
                pieces.append(piece)
    cut = worker_share(len(pieces), processes, batch_size)
    if cut < len(pieces):
        here, there = head_here_tail_in_worker(pieces, cut, lambda head: _piece_entities(nlp, head, batch_size),
                                               _piece_entities_in_worker, model, batch_size)
        found = here + there
    else:
        found = _piece_entities(nlp, pieces, batch_size)
    result: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    for (text_no, offset), entities in zip(index, found):
        result[text_no].extend((offset + start, offset + end, label) for start, end, label in entities)
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
