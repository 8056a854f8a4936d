"""French NLP stage: barriers (frein), use cases (cas_usage) and actors (acteur) in passages."""
from pipeline.nlp.build import build_nlp
from pipeline.nlp.stage import actor_links, extract_mentions

__all__ = ["build_nlp", "extract_mentions", "actor_links"]
