"""Helpers shared by the NLP test modules."""
from __future__ import annotations

_KEEP_ALIVE = []  # spans need their Doc alive


def spans(nlp, text, kind):
    """The spans of ``kind`` that the pipeline ``nlp`` finds in ``text``."""
    doc = nlp(text)
    _KEEP_ALIVE.append(doc)
    return list(doc.spans[kind])
