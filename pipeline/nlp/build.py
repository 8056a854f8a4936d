"""Build (once per process) the spaCy pipeline with the project's components."""
from __future__ import annotations

from functools import lru_cache

from spacy.language import Language

from pipeline.config import NlpConfig
from pipeline.spacy_models import load_french
# Importing the modules registers the factories with spaCy.
from pipeline.nlp import actors, barriers, repairs, topic_lemmas, span_tagger, use_case_filter, use_cases  # noqa: F401
from pipeline.nlp.spans import register_extensions

# ``cas_usage_filter`` (learned, use_case_filter.py) checks the rule use cases, then ``span_tagger``
# (learned, span_tagger.py) drops unlikely barriers and use cases and adds those the rules missed, before the linker.
# ``topic_lemmas`` reads POS and lemmas for the topics stage before ``token_repairs`` changes any.
COMPONENTS = ("topic_lemmas", "token_repairs", "acteur_gazetteer", "frein_detector", "cas_usage_detector", "cas_usage_filter",
              "span_tagger", "frein_cas_usage_linker")


@lru_cache(maxsize=4)
def _build(model: str) -> Language:
    register_extensions()
    # The process-wide pipeline (pipeline.spacy_models): pseudonymisation and topic lemmas run
    # their own components of the same object, so fr_core_news_md is loaded once per process.
    nlp = load_french(model)
    for name in COMPONENTS:
        if name not in nlp.pipe_names:
            nlp.add_pipe(name, last=True)
    return nlp


def build_nlp(config: NlpConfig) -> Language:
    """``spacy.load(config.spacy_model)`` plus ``acteur_gazetteer``, ``frein_detector``,
    ``cas_usage_detector``, ``cas_usage_filter``, ``span_tagger`` and ``frein_cas_usage_linker``; results in ``doc.spans["acteur"]``,
    ``doc.spans["frein"]`` and ``doc.spans["cas_usage"]``. Cached per process and model."""
    return _build(config.spacy_model)
