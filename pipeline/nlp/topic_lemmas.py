"""The ``topic_lemmas`` component: the topic lemmatiser's entry of each passage, from this parse.

The topics stage describes themes with the content lemmas of the passages
(:class:`pipeline.topics.french.Lemmatiser`), computed by the same spaCy components (tok2vec,
morphologizer, attribute_ruler, lemmatizer) that this pipeline runs anyway. This component reads
them before ``token_repairs`` changes any POS or lemma, so the entry is the one the lemmatiser
would compute, and the NLP stage stores it in the topic lemma cache: passages are parsed once.
Passages holding pseudonymisation placeholders are left to the lemmatiser (it parses them
without the placeholders).
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

USER_DATA_KEY = "topic_lemmas"


class TopicLemmas:
    """Puts ``(cache key, entry)`` in ``doc.user_data["topic_lemmas"]`` (absent for placeholder passages)."""

    def __init__(self):
        from pipeline.topics.french import Lemmatiser

        self.lemmatiser = Lemmatiser()

    def __call__(self, doc: Doc) -> Doc:
        found = self.lemmatiser.entry_of_parsed(doc)
        if found is not None:
            doc.user_data[USER_DATA_KEY] = found
        return doc


@Language.factory("topic_lemmas")
def make_topic_lemmas(nlp: Language, name: str) -> TopicLemmas:
    """Factory of the ``topic_lemmas`` component (placed before ``token_repairs``)."""
    return TopicLemmas()


def topic_lemma_entry(doc: Doc) -> tuple[str, tuple[str, str, str]] | None:
    """The ``(key, entry)`` the component left on ``doc``, if any."""
    return doc.user_data.get(USER_DATA_KEY)
