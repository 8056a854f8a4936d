"""The ``segment`` stage: documents -> passages (paragraphs, long ones cut at sentence ends).

A passage is a slice of its document text (``text == document[start:end]``) so any quote can be
shown in context. Headings are not passages: they are kept as the ``heading`` of the passages
below them. Passages shorter than ``min_words`` or matching a boilerplate pattern are returned
as rejects with the reason.
"""
from __future__ import annotations

import re
from typing import Iterator

import pandas as pd

from pipeline.config import SegmentConfig
from pipeline.ids import passage_id_for
from pipeline.schemas import empty, validate

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\s*\n)[^\n]*)*")
# A sentence ends with . ! ? … (optionally closed by a quote or bracket) before a space and
# an upper-case letter, a digit, a quote or a dash.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[»”\")\]]?\s+(?=[A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ0-9«“\"(\-–•])")
_WORD = re.compile(r"\w+(?:[’'-]\w+)*")
_LIST_OR_SENTENCE_END = re.compile(r"[.!?…:;,»”)]\s*$")
# Notices that are not part of what the contributor says (the sample corpus's fictional marker).
NOTICE = re.compile(r"\[\s*(?:contribution fictive|fictional contribution)[^\]]*\]?", re.IGNORECASE)


def _paragraph_spans(text: str) -> Iterator[tuple[int, int]]:
    for match in _PARAGRAPH.finditer(text):
        yield from _trimmed(text, match.start(), match.end())


def _is_heading(paragraph: str) -> bool:
    words = _WORD.findall(paragraph)
    return ("\n" not in paragraph and 0 < len(words) <= 14 and not _LIST_OR_SENTENCE_END.search(paragraph)
            and paragraph[:1].isupper() or paragraph.startswith("#"))


def _chunks(text: str, start: int, end: int, max_words: int) -> Iterator[tuple[int, int]]:
    """Cut text[start:end] at sentence boundaries into chunks of at most ``max_words`` words."""
    paragraph = text[start:end]
    if len(_WORD.findall(paragraph)) <= max_words:
        yield start, end
        return
    bounds, last = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        bounds.append((last, match.start()))
        last = match.end()
    bounds.append((last, len(paragraph)))
    chunk_start, chunk_end, words = None, None, 0
    for s, e in bounds:
        n = len(_WORD.findall(paragraph[s:e]))
        if chunk_start is not None and words + n > max_words:
            yield start + chunk_start, start + chunk_end
            chunk_start, words = None, 0
        if chunk_start is None:
            chunk_start = s
        chunk_end, words = e, words + n
    if chunk_start is not None:
        yield start + chunk_start, start + chunk_end


def _without_notices(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The parts of text[start:end] around notices, trimmed of spaces (passages stay exact slices)."""
    cursor = start
    for match in NOTICE.finditer(text, start, end):
        yield from _trimmed(text, cursor, match.start())
        cursor = match.end()
    yield from _trimmed(text, cursor, end)


def _trimmed(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        yield start, end


def segment_document(doc_id: str, contribution_id: str, text: str, config: SegmentConfig) -> tuple[list[dict], list[dict]]:
    """Passages and rejects of one document."""
    passages, rejects, heading, seq = [], [], None, 0
    for p_start, p_end in _paragraph_spans(text):
        paragraph = text[p_start:p_end]
        if _is_heading(paragraph) and len(_WORD.findall(paragraph)) < config.min_words * 5:
            heading = paragraph.lstrip("#").strip()
            continue
        pieces = list(_without_notices(text, p_start, p_end))
        if NOTICE.search(text, p_start, p_end):
            rejects.append({"passage_id": passage_id_for(doc_id, p_start, p_end), "doc_id": doc_id,
                            "reason": "notice removed (fictional-corpus marker)"})
        for start, end in (chunk for s, e in pieces for chunk in _chunks(text, s, e, config.max_words)):
            chunk = text[start:end]
            n_words = len(_WORD.findall(chunk))
            passage_id = passage_id_for(doc_id, start, end)
            if n_words < config.min_words:
                rejects.append({"passage_id": passage_id, "doc_id": doc_id, "reason": f"fewer than {config.min_words} words"})
                continue
            passages.append({"passage_id": passage_id, "doc_id": doc_id, "contribution_id": contribution_id,
                             "seq": seq, "heading": heading, "text": chunk, "start": start, "end": end, "n_words": n_words})
            seq += 1
    return passages, rejects


def segment(documents: pd.DataFrame, config: SegmentConfig) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split every document into passages; return (passages, rejects)."""
    rows, rejects = [], []
    for doc in documents.itertuples(index=False):
        p, r = segment_document(doc.doc_id, doc.contribution_id, doc.text or "", config)
        rows += p
        rejects += r
    passages = pd.DataFrame(rows, columns=list(empty("passages").columns)) if rows else empty("passages")
    return validate(passages, "passages"), pd.DataFrame(rejects, columns=["passage_id", "doc_id", "reason"])
