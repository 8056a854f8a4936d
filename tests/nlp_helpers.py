"""Helpers shared by the NLP test modules."""
from __future__ import annotations

_KEEP_ALIVE = []  # spans need their Doc alive


def spans(nlp, text, kind):
    """The spans of ``kind`` that the pipeline ``nlp`` finds in ``text``."""
    doc = nlp(text)
    _KEEP_ALIVE.append(doc)
    return list(doc.spans[kind])


def rule_spans(nlp, text, kind):
    """The spans of ``kind`` found by the rule detectors alone (the learned use-case filter and span tagger are off)."""
    with nlp.select_pipes(disable=["cas_usage_filter", "span_tagger"]):
        return spans(nlp, text, kind)
