"""The ``nlp`` stage: passages in, mentions (and rejects) out; actor co-occurrence links."""
from __future__ import annotations

import logging
import os
from itertools import combinations

import pandas as pd
from spacy.tokens import Doc

from pipeline.config import NlpConfig
from pipeline.ids import content_hash
from pipeline.nlp.build import build_nlp
from pipeline.nlp.given_entities import SKIPPED_COMPONENT, doc_with_entities
from pipeline.nlp.spans import KINDS
from pipeline.nlp.topic_lemmas import topic_lemma_entry
from pipeline.parallel import cut_on_batch, head_here_tail_in_worker
from pipeline.schemas import SCHEMAS, empty, validate
from pipeline.spacy_models import decode_entities

REJECT_COLUMNS = ["passage_id", "reason"]
# 3,000 passages: 90 s in one process, 57 s in two on 2 cores; a worker costs ~5 s to start
PASSAGES_PER_WORKER = 1000
LOGGER = logging.getLogger(__name__)


def mention_id(passage_id: str, kind: str, start: int, end: int) -> str:
    """``mention_id``: hash of the passage id, the kind and the offsets."""
    return "m" + content_hash(passage_id, kind, start, end, n=15)


def doc_mentions(doc: Doc, passage_id: str) -> list[dict]:
    """Rows of the ``mentions`` table for one processed passage."""
    rows = []
    for kind in KINDS:
        for span in doc.spans.get(kind, []):
            link = span._.link
            rows.append({
                "mention_id": mention_id(passage_id, kind, span.start_char, span.end_char),
                "passage_id": passage_id, "kind": kind,
                "start": span.start_char, "end": span.end_char, "text": span.text,
                "label": span.label_, "canonical": span._.canonical, "status": span._.status,
                "linked_mention_id": mention_id(passage_id, *link) if link else None,
                "rule": span._.rule, "score": span._.score,
            })
    return rows


def _split_inputs(passages: pd.DataFrame) -> tuple[list[tuple[str, str, list | None]], list[dict]]:
    """Passages worth parsing as ``(passage_id, text, entities)`` (entities given by ingestion, or
    ``None``: NER runs), and rejects for the others (with a reason)."""
    todo, rejects, seen = [], [], set()
    given = passages["entities"] if "entities" in passages.columns else pd.Series(None, index=passages.index, dtype="object")
    for pid, text, entities in zip(passages["passage_id"], passages["text"], given):
        if pid is None or pd.isna(pid):
            rejects.append({"passage_id": None, "reason": "missing passage_id"})
        elif pid in seen:
            rejects.append({"passage_id": pid, "reason": "duplicate passage_id (processed once)"})
        elif not isinstance(text, str):
            rejects.append({"passage_id": pid, "reason": "text is missing or not a string"})
        elif not text.strip():
            rejects.append({"passage_id": pid, "reason": "empty text"})
        else:
            todo.append((pid, text, decode_entities(entities)))
        seen.add(pid)
    return todo, rejects


def worker_count(n_process: int, n_passages: int) -> int:
    """``n_process`` when set, else one worker per ``PASSAGES_PER_WORKER`` passages, at most the CPU count."""
    if n_process > 0:
        return n_process
    return max(1, min(os.cpu_count() or 1, n_passages // PASSAGES_PER_WORKER))


def worker_cut(n_passages: int, config: NlpConfig) -> int:
    """Index of the first passage left to a worker process (``n_passages`` when none is used).

    From ``config.worker_from_passages`` passages (and without spaCy workers, ``n_process`` 1) a
    worker takes the second half, cut on a batch boundary. The worker spends ~15 s building its
    pipeline; its mentions are the ones this process would find (each passage is parsed alone)."""
    if config.n_process != 1 or config.worker_from_passages <= 0 or n_passages < config.worker_from_passages:
        return n_passages
    return cut_on_batch(n_passages, 0.5, config.batch_size)


def _mentions_in_worker(todo: list[tuple[str, str, list | None]], config: NlpConfig) -> tuple[list[dict], list[dict], dict]:
    rejects: list[dict] = []
    lemmas: dict = {}
    rows = _pipe_mentions(build_nlp(config), todo, config, rejects, lemmas)
    return rows, rejects, lemmas


def _pipe_mentions(nlp, todo: list[tuple[str, str, list | None]], config: NlpConfig, rejects: list[dict],
                   topic_lemmas: dict) -> list[dict]:
    """Mention rows of ``todo``, in its order; the topic lemma entries the parse gave are added to
    ``topic_lemmas``. Passages whose entities are given skip the ``ner`` component (one stream),
    the others run the whole pipeline (another stream)."""
    found: dict[str, list[dict]] = {}

    def keep(doc: Doc, pid: str) -> None:
        entry = topic_lemma_entry(doc)
        if entry is not None:
            topic_lemmas.setdefault(*entry)
        found[pid] = doc_mentions(doc, pid)

    computed = [(pid, text) for pid, text, entities in todo if entities is None]
    given = [(pid, (text, entities)) for pid, text, entities in todo if entities is not None]
    off = [] if config.span_tagger else ["span_tagger"]
    _stream(nlp, computed, lambda text: text, off, config, rejects, keep)
    _stream(nlp, given, lambda pair: doc_with_entities(nlp, *pair), [SKIPPED_COMPONENT, *off], config, rejects, keep)
    return [row for pid, _, _ in todo for row in found.get(pid, [])]


def _stream(nlp, items: list[tuple[str, object]], make_input, disable: list[str], config: NlpConfig,
            rejects: list[dict], keep) -> None:
    """Run ``items`` through one ``nlp.pipe`` stream (so that ``n_process`` workers start once),
    handing each doc to ``keep``. When a batch fails, its passages are retried one by one (a
    passage that still fails is rejected with the error message) and the stream resumes after it."""
    batch_size = max(1, config.batch_size)
    n_process = worker_count(config.n_process, len(items))
    position = 0
    while position < len(items):
        remaining = items[position:]
        try:
            docs = nlp.pipe((make_input(item) for _, item in remaining), batch_size=batch_size,
                            n_process=n_process, disable=disable)
            for pid, doc in zip((pid for pid, _ in remaining), docs):
                keep(doc, pid)
                position += 1
        except Exception as exc:  # noqa: BLE001 - isolate the passage that breaks the batch
            LOGGER.warning("nlp batch failed at passage %s (%s: %s); retrying its passages one by one",
                           items[position][0], type(exc).__name__, exc)
            for pid, item in items[position:position + batch_size]:
                try:
                    keep(nlp(make_input(item), disable=disable), pid)
                except Exception as exc:  # noqa: BLE001
                    rejects.append({"passage_id": pid, "reason": f"nlp failed: {type(exc).__name__}: {exc}"})
            position += batch_size


def extract_mentions(passages: pd.DataFrame, config: NlpConfig,
                     topic_lemmas: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Barriers, use cases and actors of each passage, as (mentions, rejects).

    Offsets are character offsets in ``passages.text``. Each passage is processed on its own (no
    corpus-level state), so any subset can be processed incrementally. A batch that fails is
    retried passage by passage; a passage that still fails is rejected with the error message.
    ``topic_lemmas``, when given, receives the topic lemma cache entries of the parsed passages
    (see :mod:`pipeline.nlp.topic_lemmas`). An optional ``entities`` column (see
    :func:`pipeline.nlp.given_entities.passage_entities`) gives a passage's NER entities, which
    are then not computed again; where it is null or absent, NER runs.
    """
    topic_lemmas = {} if topic_lemmas is None else topic_lemmas
    missing = {"passage_id", "text"} - set(passages.columns)
    if missing:
        raise ValueError(f"passages: missing column(s) {sorted(missing)}")
    nlp = build_nlp(config)
    todo, rejects = _split_inputs(passages)
    rejects += [{"passage_id": pid, "reason": f"text longer than {nlp.max_length} characters"}
                for pid, text, _ in todo if len(text) > nlp.max_length]
    todo = [item for item in todo if len(item[1]) <= nlp.max_length]
    cut = worker_cut(len(todo), config)
    if cut < len(todo):
        rows, (remote_rows, remote_rejects, remote_lemmas) = head_here_tail_in_worker(
            todo, cut, lambda head: _pipe_mentions(nlp, head, config, rejects, topic_lemmas), _mentions_in_worker,
            config)
        rows += remote_rows
        rejects += remote_rejects
        for key, entry in remote_lemmas.items():
            topic_lemmas.setdefault(key, entry)
    else:
        rows = _pipe_mentions(nlp, todo, config, rejects, topic_lemmas)
    mentions = pd.DataFrame(rows, columns=[c.name for c in SCHEMAS["mentions"].columns]) if rows else empty("mentions")
    return validate(mentions, "mentions"), pd.DataFrame(rejects, columns=REJECT_COLUMNS).astype("string")


def extract_mentions_and_lemmas(passages: pd.DataFrame, config: NlpConfig) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """``extract_mentions`` plus the topic lemma entries of the passages (one partition of a Dask run)."""
    topic_lemmas: dict = {}
    mentions, rejects = extract_mentions(passages, config, topic_lemmas)
    return mentions, rejects, topic_lemmas


def actor_links(mentions: pd.DataFrame, passages: pd.DataFrame) -> pd.DataFrame:
    """Pairs of canonical actors cited in the same passage, with passage and contribution counts."""
    actors = mentions[mentions["kind"] == "acteur"][["passage_id", "canonical"]].dropna().drop_duplicates()
    if actors.empty:
        return empty("actor_links")
    contribution_of = dict(zip(passages["passage_id"], passages.get("contribution_id", pd.Series(dtype="string"))))
    pair_passages: dict[tuple[str, str], set] = {}
    for pid, group in actors.groupby("passage_id"):
        for source, target in combinations(sorted(set(group["canonical"])), 2):
            pair_passages.setdefault((source, target), set()).add(pid)
    rows = []
    for (source, target), pids in sorted(pair_passages.items()):
        contributions = {contribution_of.get(p) for p in pids} - {None}
        contributions = {c for c in contributions if not pd.isna(c)}
        rows.append({"source": source, "target": target, "n_passages": len(pids),
                     "n_contributions": len(contributions)})
    return validate(pd.DataFrame(rows), "actor_links")
