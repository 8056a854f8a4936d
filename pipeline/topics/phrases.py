"""Readable topic labels: the most distinctive French noun phrase of a topic, as written in its texts.

While lemmatising, each text yields candidate noun phrases (``suivi des consommations
énergétiques``): a noun, its adjectives and up to two ``de``/``à``/``en`` complements, 2–6 words,
kept in their surface form with accents and articles. A phrase is identified by the lemmas of its
content words (``suivi consommation énergétique``) so that inflections count together. A topic's
label is the phrase found in the most of its documents and the fewest of the others' (coverage x
concentration), longer and more specific phrases first, every label distinct.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Callable, Iterable, Mapping, Sequence

MAX_WORDS = 6
MIN_CONTENT = 2  # content words a label phrase needs ("données ouvertes" yes, "la commune" no)
CONNECTORS = {"de", "à", "en"}  # lemmas of prepositions that may join a complement
CONTENT_BONUS = 0.5  # score multiplier per extra content word (up to two extra)
SHORT_PENALTY = 0.8  # phrases of two words read less like a label than 3–6 words
WEAK_PENALTY = 0.2  # phrase whose content words are all generic (weak_label_words_fr.txt)


def _hyphen(tokens, i: int) -> bool:
    """Whether token ``i`` is a hyphen glued to both its neighbours."""
    return (0 < i < len(tokens) - 1 and tokens[i].text == "-" and not tokens[i - 1].whitespace_
            and not tokens[i].whitespace_)


def extract_phrases(doc, keep: Callable) -> list[tuple[str, str]]:
    """Candidate noun phrases of a spaCy doc as (content-lemma key, surface text), distinct keys.

    ``keep(token)`` says whether a token is a content word (the lemmatiser's rule).
    """
    tokens = list(doc)
    found: dict[str, str] = {}
    for start, first in enumerate(tokens):
        nxt = tokens[start + 1] if start + 1 < len(tokens) else None
        if not keep(first) or not (first.pos_ == "NOUN" or (first.pos_ == "ADJ" and nxt is not None
                                                             and nxt.pos_ == "NOUN")):
            continue
        content, need_noun = [first], False  # need_noun: a preposition waits for its noun
        for end in range(start + 1, min(start + MAX_WORDS, len(tokens))):
            tok = tokens[end]
            if _hyphen(tokens, end):
                continue  # "centre-ville": the hyphen joins two words of one phrase
            if tok.pos_ in ("NOUN", "ADJ"):
                if not keep(tok):
                    break
                content.append(tok)
                need_noun = need_noun and tok.pos_ != "NOUN"
                if len(content) >= MIN_CONTENT and not need_noun and not _hyphen(tokens, end + 1):
                    key = " ".join(t.lemma_.lower().replace(" ", "-") for t in content)
                    found.setdefault(key, " ".join(doc[start:end + 1].text.split()))
            elif tok.pos_ in ("ADP", "DET") and not need_noun and tok.lemma_.lower() in CONNECTORS:
                need_noun = True
            elif tok.pos_ == "DET" and need_noun and tokens[end - 1].pos_ == "ADP":
                continue  # "de la", "à l'"
            else:
                break
    return list(found.items())


def encode(phrases: Iterable[tuple[str, str]]) -> str:
    """Phrases as one string for the lemma cache (``key<TAB>surface`` lines)."""
    return "\n".join(f"{k}\t{s}" for k, s in phrases)


def decode(text: str) -> list[tuple[str, str]]:
    """Inverse of :func:`encode`."""
    return [tuple(line.split("\t", 1)) for line in text.split("\n") if "\t" in line]


def phrase_labels(phrase_docs: Sequence[Sequence[tuple[str, str]]], keys: Sequence[str], wanted: Sequence[str],
                  weak: frozenset[str] = frozenset(), taken: Iterable[str] = ()) -> dict[str, str]:
    """A distinct surface-phrase label for each ``wanted`` topic key (absent when no phrase qualifies).

    Topics are served largest first; a phrase already used (or in ``taken``) is skipped.
    A phrase must occur in two documents of a topic of four or more.
    """
    total: Counter = Counter()
    in_topic: dict[str, Counter] = defaultdict(Counter)
    surfaces: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    size: Counter = Counter(str(k) for k in keys)
    wanted_set = set(wanted)
    for phrases, key in zip(phrase_docs, keys):
        key = str(key)
        seen = {k for k, _ in phrases}
        total.update(seen)
        if key in wanted_set:
            in_topic[key].update(seen)
            for k, s in phrases:
                surfaces[key][k][s] += 1
    used = {t.lower() for t in taken}
    labels: dict[str, str] = {}
    for topic in sorted(wanted_set, key=lambda t: (-size[t], t)):
        scored = []
        for k, df in in_topic[topic].items():
            if size[topic] >= 4 and df < 2:
                continue
            lemmas = k.split()
            score = (df / size[topic]) * (df / total[k]) * (1 + CONTENT_BONUS * min(len(lemmas) - 1, 2))
            surface = min(surfaces[topic][k].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            if len(surface.split()) < 3:
                score *= SHORT_PENALTY
            if set(lemmas) <= weak:
                score *= WEAK_PENALTY
            scored.append((-score, surface, k))
        for _, surface, _ in sorted(scored):
            if surface.lower() not in used:
                labels[topic] = surface[0].upper() + surface[1:]
                used.add(surface.lower())
                break
    return labels


def merge_phrase_docs(*docs: Sequence[Sequence[tuple[str, str]]]) -> list[list[tuple[str, str]]]:
    """Per item, the phrases of several aligned sources (e.g. span then passage), distinct keys."""
    out = []
    for parts in zip(*docs):
        merged: dict[str, str] = {}
        for part in parts:
            for k, s in part:
                merged.setdefault(k, s)
        out.append(list(merged.items()))
    return out

