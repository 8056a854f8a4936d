"""Topic clustering: BERTopic themes of passages, barriers and use cases, with stable keys.

Public API: :func:`run_topics` (the stage), :func:`model_topics` (one model),
:func:`load_topic_model` (a saved BERTopic with our embedder as backend).
"""
from pipeline.topics.registry import Registry, load_topic_model
from pipeline.topics.stage import run_topics
from pipeline.topics.themes import model_topics

fit_or_update_topics = run_topics

__all__ = ["run_topics", "fit_or_update_topics", "model_topics", "load_topic_model", "Registry"]
