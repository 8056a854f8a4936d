"""The ``token_repairs`` component: fix what the statistical model gets wrong in a systematic way.

* Typographic apostrophes get the lemmas of straight ones: the French model lemmatises "n'" as
  "ne" but leaves "n’" as is, so every pattern on the lemma ``ne`` (negations), ``de`` or ``que``
  would miss half of the passages (both apostrophes are common).
* A "noun" that governs a subject and has no determiner is a mis-tagged finite verb
  ("Le Département | analyse | les parcours…"), an -er "noun" between "de" and a determiner a
  mis-tagged infinitive ("envisager de | cartographier | les zones"): both are re-tagged VERB so
  that verb patterns apply.
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Token

ELIDED_LEMMAS = {"n'": "ne", "qu'": "que", "d'": "de", "l'": "le", "j'": "je", "s'": "se", "c'": "ce",
                 "m'": "me", "t'": "te", "jusqu'": "jusque", "lorsqu'": "lorsque", "puisqu'": "puisque",
                 "quoiqu'": "quoique"}
TYPOGRAPHIC = "’ʼ‘`´"


def straight_apostrophes(text: str) -> str:
    """``text`` with typographic apostrophes replaced by ASCII ones."""
    for char in TYPOGRAPHIC:
        text = text.replace(char, "'")
    return text


def _mistagged_verb(token: Token) -> bool:
    deps = {c.dep_ for c in token.children}
    return (token.pos_ == "NOUN" and "nsubj" in deps and not deps & {"det", "case", "cop"}
            and any(c.dep_ == "nsubj" and c.i < token.i for c in token.children)
            and token.text.islower() and token.i > 0 and not token.nbor(-1).is_punct)


INFINITIVE_MARKERS = {"de", "d'", "à", "pour", "d’"}


def _mistagged_infinitive(token: Token) -> bool:
    """"envisager de | cartographier | les zones": an -er word tagged NOUN between "de" and a determiner."""
    return (token.pos_ == "NOUN" and token.lower_.endswith("er") and token.lemma_.lower() == token.lower_
            and 0 < token.i < len(token.doc) - 1 and token.nbor(-1).lower_ in INFINITIVE_MARKERS
            and token.nbor(1).pos_ == "DET")


@Language.component("token_repairs")
def token_repairs(doc: Doc) -> Doc:
    """Give elided forms written with a typographic apostrophe ("n’", "qu’") their full lemma, and
    re-tag as VERB the nouns that the parser gave a subject ("Le syndicat | analyse | les pesées")."""
    for token in doc:
        if token.text[-1:] in TYPOGRAPHIC:
            lemma = ELIDED_LEMMAS.get(straight_apostrophes(token.lower_))
            if lemma is not None:
                token.lemma_ = lemma
        elif _mistagged_verb(token) or _mistagged_infinitive(token):
            token.pos_ = "VERB"
    return doc


def with_both_apostrophes(value):
    """A token pattern (nested dicts/lists) where each string with an apostrophe in an ``IN``/``NOT_IN``
    list also appears with the typographic apostrophe (for LOWER/ORTH attributes)."""
    if isinstance(value, dict):
        return {k: with_both_apostrophes(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [with_both_apostrophes(v) for v in value]
        extra = [v.replace("'", "’") for v in items if isinstance(v, str) and "'" in v]
        return items + [e for e in extra if e not in items]
    return value
