"""French text handling for topic words: stop words, cached lemmatisation, readable labels.

Topic words are lemmatised n-grams (``donnée ouvert``) so that inflections do not split a
theme; labels map them back to their most frequent surface form (``données ouvertes``).
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from pipeline.ids import content_hash
from pipeline.io import write_table
from pipeline.topics.phrases import decode, encode, extract_phrases

FUNCTION_WORDS_FILE = Path(__file__).with_name("function_words_fr.txt")
# Letters with inner apostrophes or hyphens; digits and "_" excluded (pseudonymisation tags like Personne_1).
_WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
_PROTECTED = {"collectivité", "collectivités", "donnée", "données"}
# Pseudonymisation placeholders ([PERSONNE_1], [EMAIL_2], [TELEPHONE_1], [ADRESSE_1]…) are removed
# before lemmatising: they must never become topic words.
_PLACEHOLDER = re.compile(r"\[?\b(?:PERSONNE|EMAIL|TELEPHONE|ADRESSE)_\d+\b\]?", re.IGNORECASE)
_LEMMA_VERSION = "4"  # 4: noun phrases for labels cached too
# Topic words are nouns and adjectives: verbs and adverbs ("apporter", "redoutent", "rarement")
# make poor theme labels and glue unrelated nouns into n-grams. Embeddings still see every word.
_CONTENT_POS = ("NOUN", "PROPN", "ADJ")  # part of the cache key: bump when the text preparation changes


def strip_placeholders(text: str) -> str:
    """``text`` without pseudonymisation placeholders (each replaced by a space)."""
    return _PLACEHOLDER.sub(" ", text)


def _spacy_french_stop_words() -> set[str]:
    """spaCy's list, read from its plain module file so that spaCy itself need not be imported (slow)."""
    import importlib.util

    spec = importlib.util.find_spec("spacy")
    path = Path(spec.origin).parent / "lang" / "fr" / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_spacy_fr_stop_words", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return set(module.STOP_WORDS)


@lru_cache(maxsize=1)
def french_stop_words() -> frozenset[str]:
    """spaCy's French and scikit-learn's English stop words plus this corpus's function words (data file)."""
    extra = [line.strip().lower() for line in FUNCTION_WORDS_FILE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    # English words of quoted reports ("small towns", "of the") are not themes of a French corpus.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset((_spacy_french_stop_words() | set(extra) | set(ENGLISH_STOP_WORDS)) - _PROTECTED)


LEMMA_COMPONENTS = ("tok2vec", "morphologizer", "attribute_ruler", "lemmatizer")


def _lemma_docs(texts: list[str]):
    """Docs with POS and lemmas from the process-wide French pipeline (parser and NER not run)."""
    from pipeline.spacy_models import load_french, run_components

    return run_components(load_french(), texts, LEMMA_COMPONENTS, batch_size=64)


class Lemmatiser:
    """Lemmatise texts with fr_core_news_md, keeping content words only; results cached by text hash.

    Each text becomes two aligned space-joined strings: lemmas (vectorizer input) and the
    lower-cased surface tokens they came from, plus its candidate label phrases
    (:mod:`pipeline.topics.phrases`).
    """

    def __init__(self, cache: dict[str, tuple[str, str, str]] | None = None):
        self.cache: dict[str, tuple[str, str, str]] = cache or {}
        self.used: set[str] = set()
        self.stop = french_stop_words()
        # Cached lemmas depend on the text preparation and the stop words: both are in the key.
        self.version = content_hash(_LEMMA_VERSION, *sorted(self.stop), n=8)

    @classmethod
    def load(cls, path: Path | None) -> "Lemmatiser":
        """A lemmatiser whose cache is read from a parquet file (empty when absent)."""
        if path is None or not Path(path).exists():
            return cls()
        df = pd.read_parquet(path)
        if "phrases" not in df:  # written before phrases were cached: recompute everything
            return cls()
        return cls(dict(zip(df["text_hash"], zip(df["lemmas"], df["surface"], df["phrases"]))))

    def save(self, path: Path) -> None:
        """Write the entries used since loading (older texts are dropped) atomically to a parquet file."""
        keys = sorted(self.used & set(self.cache))
        df = pd.DataFrame({"text_hash": keys, "lemmas": [self.cache[k][0] for k in keys],
                           "surface": [self.cache[k][1] for k in keys],
                           "phrases": [self.cache[k][2] for k in keys]})
        write_table(df, Path(path))  # a unique temporary name: the warm-up process writes this file too

    def _keep(self, token) -> bool:
        text = token.text.lower()
        lemma = token.lemma_.lower()
        return (len(text) > 1 and bool(_WORD.match(text)) and text not in self.stop and lemma not in self.stop
                and token.pos_ in _CONTENT_POS)

    def _keys(self, texts: Sequence[str]) -> list[str]:
        return [content_hash(self.version, strip_placeholders(t), n=20) for t in texts]

    def entry(self, doc) -> tuple[str, str, str]:
        """The cache entry of a doc carrying POS and lemmas: (lemmas, surface forms, encoded phrases)."""
        kept = [t for t in doc if self._keep(t)]
        return (" ".join(t.lemma_.lower().replace(" ", "-") for t in kept),
                " ".join(t.text.lower().replace("’", "'") for t in kept),
                encode(extract_phrases(doc, self._keep)))

    def entry_of_parsed(self, doc) -> tuple[str, tuple[str, str, str]] | None:
        """(key, entry) of a passage parsed elsewhere with the same POS and lemma components (the NLP
        stage), or None when its text holds placeholders (lemmatised here without them, see ``lemmatise``)."""
        if _PLACEHOLDER.search(doc.text):
            return None
        return self._keys([doc.text])[0], self.entry(doc)

    def cached_entries(self, texts: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """The cache entries (by key) of those ``texts`` already lemmatised."""
        return {k: self.cache[k] for k in self._keys(texts) if k in self.cache}

    def lemmatise(self, texts: Sequence[str]) -> tuple[list[str], list[str]]:
        """(lemma strings, aligned surface strings) for ``texts``, computing only uncached ones."""
        keys = self._keys(texts)
        texts = [strip_placeholders(t) for t in texts]
        self.used.update(keys)
        todo = {}
        for key, text in zip(keys, texts):
            if key not in self.cache and key not in todo:
                todo[key] = text
        if todo:
            for key, doc in zip(todo, _lemma_docs(list(todo.values()))):
                self.cache[key] = self.entry(doc)
        return [self.cache[k][0] for k in keys], [self.cache[k][1] for k in keys]

    def phrases(self, texts: Sequence[str]) -> list[list[tuple[str, str]]]:
        """Candidate label phrases (content-lemma key, surface) of each text (lemmatised if needed)."""
        keys = self._keys(texts)
        if any(k not in self.cache for k in keys):
            self.lemmatise(texts)
        return [decode(self.cache[k][2]) for k in keys]


def surface_forms(lemma_docs: Sequence[str], surface_docs: Sequence[str], wanted: Iterable[str],
                  max_n: int = 3) -> dict[str, str]:
    """Most frequent surface form of each wanted lemma n-gram (ties broken alphabetically)."""
    wanted = set(wanted)
    counts: dict[str, Counter] = {w: Counter() for w in wanted}
    for lemmas, surfaces in zip(lemma_docs, surface_docs):
        lt, st = lemmas.split(), surfaces.split()
        if len(lt) != len(st):
            continue
        for n in range(1, max_n + 1):
            for i in range(len(lt) - n + 1):
                gram = " ".join(lt[i:i + n])
                if gram in counts:
                    counts[gram][" ".join(st[i:i + n])] += 1
    return {w: (min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else w) for w, c in counts.items()}


def readable_label(words: Sequence[str], surface: dict[str, str], max_terms: int = 3) -> str:
    """A French label of 2–4 top terms: redundant terms skipped, surface forms, ``a, b et c``."""
    chosen: list[str] = []
    for word in words:
        if len(set(word.split())) < len(word.split()):  # "commune commune"
            continue
        tokens = set(word.split())
        if any(tokens <= set(c.split()) or set(c.split()) <= tokens for c in chosen):
            # "donnée" is redundant next to "donnée ouvert"; keep the longer, more specific one.
            longer = [c for c in chosen if set(c.split()) < tokens]
            if longer and len(tokens) <= 3:
                chosen[chosen.index(longer[0])] = word
            continue
        chosen.append(word)
        if len(chosen) >= max_terms:
            break
    if not chosen:
        return "Sans libellé"
    terms = [surface.get(c, c) for c in chosen]
    text = terms[0] if len(terms) == 1 else ", ".join(terms[:-1]) + " et " + terms[-1]
    return text[0].upper() + text[1:]
