"""NER entities computed once, at ingestion, and reused by the NLP stage.

Pseudonymisation runs spaCy's NER over every document; the actor finder needs the same model's
ORG and LOC entities on every passage. Rather than running NER a second time (a quarter of the
NLP stage's CPU), the ingest stage keeps the entities it found (``documents.entities``, offsets
moved through the pseudonymiser's replacements) and the NLP stage slices them per passage and
sets them on the passage's ``Doc`` before the other components run.
"""
from __future__ import annotations

import pandas as pd
from spacy.tokens import Doc
from spacy.util import filter_spans

from pipeline.spacy_models import decode_entities, encode_entities

SKIPPED_COMPONENT = "ner"


def passage_entities(passages: pd.DataFrame, documents: pd.DataFrame) -> pd.Series:
    """For each passage, the entities of its document that lie inside it, offsets relative to the
    passage text, encoded like ``documents.entities`` (null where the document has none recorded:
    the NLP stage then runs NER on that passage). Entities that cross a passage edge are dropped."""
    by_doc = {doc_id: decode_entities(value)
              for doc_id, value in zip(documents["doc_id"], documents.get("entities", pd.Series(index=documents.index)))}
    values = []
    for doc_id, start, end in zip(passages["doc_id"], passages["start"], passages["end"]):
        entities = by_doc.get(doc_id)
        if entities is None or pd.isna(start) or pd.isna(end):
            values.append(None)
            continue
        start, end = int(start), int(end)
        values.append(encode_entities([(s - start, e - start, label) for s, e, label in entities
                                       if s >= start and e <= end]))
    return pd.Series(values, index=passages.index, dtype="object")


def entities_as_ingested(texts: list[str]) -> list[str]:
    """``documents.entities`` as ingestion records them for ``texts`` taken as whole documents
    without personal data (the evaluation uses it to score the production path)."""
    from pipeline.privacy.ner import entities_of
    from pipeline.privacy.pseudonymiser import kept_entities
    from pipeline.spacy_models import load_french

    return [encode_entities(kept_entities(text, found)) for text, found in zip(texts, entities_of(load_french(), texts))]


def doc_with_entities(nlp, text: str, entities: list[tuple[int, int, str]]) -> Doc:
    """The tokenised ``text`` with ``entities`` as ``doc.ents`` (spans widened to token edges;
    overlaps resolved longest first), ready for the pipeline without its ``ner``."""
    doc = nlp.make_doc(text)
    spans = [doc.char_span(start, end, label=label, alignment_mode="expand") for start, end, label in entities
             if 0 <= start < end <= len(text)]
    doc.ents = filter_spans([span for span in spans if span is not None and len(span)])
    return doc
