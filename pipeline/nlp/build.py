"""Build (once per process) the spaCy pipeline with the project's components."""
from __future__ import annotations

from functools import lru_cache

import spacy
from spacy.language import Language

from pipeline.config import NlpConfig
# Importing the modules registers the factories with spaCy.
from pipeline.nlp import actors, barriers, use_cases  # noqa: F401
from pipeline.nlp.spans import register_extensions

COMPONENTS = ("acteur_gazetteer", "frein_detector", "cas_usage_detector", "frein_cas_usage_linker")


@lru_cache(maxsize=4)
def _build(model: str) -> Language:
    register_extensions()
    try:
        nlp = spacy.load(model)
    except OSError as exc:
        raise RuntimeError(f"spaCy model {model!r} is not installed (see requirements.lock): {exc}") from exc
    for name in COMPONENTS:
        nlp.add_pipe(name, last=True)
    return nlp


def build_nlp(config: NlpConfig) -> Language:
    """``spacy.load(config.spacy_model)`` plus ``acteur_gazetteer``, ``frein_detector``,
    ``cas_usage_detector`` and ``frein_cas_usage_linker``; results in ``doc.spans["acteur"]``,
    ``doc.spans["frein"]`` and ``doc.spans["cas_usage"]``. Cached per process and model."""
    return _build(config.spacy_model)
