"""Clause candidates of a parsed passage and their features, shared by the learned clause
classifier (``clause_classifier`` component) and its training command (``train_clauses``).

A candidate is either a span found by the rule detectors, or a clause cut from a sentence at
punctuation, coordinations and subordinators. Its features: the mean word vector of
fr_core_news_md, the rule hits that overlap it, negation / lack / modal / volition words, the
mood and tense of its head, its length.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from spacy.tokens import Doc, Span

from pipeline.nlp.lexicon import load_patterns

TARGET_KINDS = ("frein", "cas_usage")
MIN_TOKENS = 3
MAX_TOKENS = 40
MORPH_FLAGS = (("Mood", "Cnd"), ("Mood", "Sub"), ("Tense", "Fut"), ("Tense", "Past"), ("Tense", "Imp"),
               ("VerbForm", "Inf"), ("VerbForm", "Part"))
HEAD_POS = ("VERB", "NOUN", "ADJ", "AUX", "PROPN")


@dataclass
class ClauseCandidate:
    """A token range of a doc; ``rule_kind`` is set when it is a rule span of that kind."""

    start: int
    end: int
    rule_kind: str | None = None
    rule_span: Span | None = None


def _words() -> dict:
    spec = load_patterns("clause_features")
    return {key: {w.lower() for w in spec[key]} for key in spec}


def _starts_clause(doc: Doc, i: int, words: dict) -> bool:
    token = doc[i]
    if i > 0 and doc[i - 1].text in words["break_after"]:
        return True
    lower = token.lower_
    if lower in words["break_words"] or (token.pos_ == "SCONJ" and lower not in ("que", "qu'", "qu’")):
        return True
    if lower == "ce" and i + 1 < len(doc) and doc[i + 1].lower_ in ("qui", "que"):
        return True
    # "et"/"ou" open a clause when a verb, a pronoun or a negation follows, not in a list of nouns
    return (lower in words["coordinations"] and i + 1 < len(doc)
            and doc[i + 1].pos_ in ("VERB", "AUX", "PRON", "ADV"))


def sentence_clauses(doc: Doc, words: dict | None = None) -> list[tuple[int, int]]:
    """Token ranges of the clauses of each sentence (short pieces merged into the next one)."""
    words = words or _words()
    ranges: list[tuple[int, int]] = []
    for sent in doc.sents:
        cuts = [sent.start] + [i for i in range(sent.start + 1, sent.end) if _starts_clause(doc, i, words)]
        cuts.append(sent.end)
        pieces = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
        merged: list[list[int]] = []
        pending = None
        for a, b in pieces:
            if pending is not None:
                a = pending
            content = sum(1 for t in doc[a:b] if not t.is_punct)
            if content < MIN_TOKENS and b < sent.end:
                pending = a
                continue
            pending = None
            if content < MIN_TOKENS and merged:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        ranges += [(a, min(b, a + MAX_TOKENS)) for a, b in merged]
    return ranges


def candidates(doc: Doc) -> list[ClauseCandidate]:
    """Rule spans of both target kinds, then the sentence clauses."""
    found = [ClauseCandidate(s.start, s.end, kind, s) for kind in TARGET_KINDS for s in doc.spans.get(kind, [])]
    found += [ClauseCandidate(a, b) for a, b in sentence_clauses(doc)]
    return found


class FeatureSpace:
    """Turns a candidate into a fixed-length vector; the rule-name vocabulary comes from training."""

    def __init__(self, rule_names: list[str], rule_features: bool = True):
        self.rule_features = rule_features
        self.rule_names = list(rule_names) if rule_features else []
        self.rule_index = {name: i for i, name in enumerate(self.rule_names)}
        self.words = _words()

    def names(self, vector_width: int) -> list[str]:
        """Feature names, in vector order."""
        base = [f"vec{i}" for i in range(vector_width)]
        base += ["negation", "lack", "modal", "volition"]
        if self.rule_features:
            base += [f"is_rule_{k}" for k in TARGET_KINDS] + [f"cover_{k}" for k in TARGET_KINDS]
        base += ["log_len", "sent_share", "first_in_sent"]
        base += [f"{a}={b}" for a, b in MORPH_FLAGS] + [f"head_{p}" for p in HEAD_POS]
        return base + [f"rule:{name}" for name in self.rule_names]

    def _token_table(self, doc: Doc) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per token (computed once per doc): word vector, word-list and morphology flags, sentence bounds."""
        # one batched look-up in the vector table (Token.vector looks each word up on its own, slowly)
        table = doc.vocab.vectors
        rows = np.asarray(table.find(keys=[t.orth for t in doc]), dtype=np.int64).reshape(-1)
        if table.shape[0]:
            vectors = np.asarray(table.data[np.maximum(rows, 0)], dtype=np.float32)
            vectors[rows < 0] = 0.0
        else:
            vectors = np.zeros((len(doc), max(1, table.shape[1])), dtype=np.float32)
        keys = ("negation_lemmas", "lack_lemmas", "modal_lemmas", "volition_lemmas")
        flags = np.zeros((len(doc), len(keys) + len(MORPH_FLAGS)), dtype=np.float32)
        sent_bounds = np.zeros((len(doc), 2), dtype=np.int64)
        for t in doc:
            forms = (t.lemma_.lower(), t.lower_)
            for k, key in enumerate(keys):
                flags[t.i, k] = float(forms[0] in self.words[key] or forms[1] in self.words[key])
            if t.pos_ in ("VERB", "AUX"):
                for k, (attr, value) in enumerate(MORPH_FLAGS):
                    flags[t.i, len(keys) + k] = float(value in t.morph.get(attr))
        for sent in doc.sents:
            sent_bounds[sent.start:sent.end] = (sent.start, sent.end)
        return vectors, flags, sent_bounds, np.asarray([t.pos_ for t in doc])

    def matrix(self, doc: Doc, cands: list[ClauseCandidate]) -> np.ndarray:
        """Features of the candidates of one doc, one row each."""
        vectors, tok_flags, sent_bounds, _ = self._token_table(doc)
        rule_spans = {k: [(s.start, s.end, s._.rule) for s in doc.spans.get(k, [])] for k in TARGET_KINDS}
        return np.vstack([self._row(doc, c, vectors, tok_flags, sent_bounds, rule_spans) for c in cands])

    def vector(self, doc: Doc, cand: ClauseCandidate) -> np.ndarray:
        """Features of one candidate."""
        return self.matrix(doc, [cand])[0]

    def _row(self, doc, cand, vectors, tok_flags, sent_bounds, rule_spans) -> np.ndarray:
        start, end = cand.start, cand.end
        vec = vectors[start:end].mean(axis=0)
        norm = float(np.linalg.norm(vec))
        vec = vec / norm if norm else vec
        flags = [1.0 if cand.rule_kind == k else 0.0 for k in TARGET_KINDS] if self.rule_features else []
        rule_hot = np.zeros(len(self.rule_names), dtype=np.float32)
        for kind in TARGET_KINDS if self.rule_features else ():
            covered = set()
            for s_start, s_end, rule in rule_spans[kind]:
                if s_start < end and start < s_end:
                    covered |= set(range(max(start, s_start), min(end, s_end)))
                    if rule in self.rule_index:
                        rule_hot[self.rule_index[rule]] = 1.0
            flags.append(len(covered) / max(1, end - start))
        sent_start, sent_end = sent_bounds[start]
        length = end - start
        flags += [float(np.log1p(length)), length / max(1, sent_end - sent_start), float(start == sent_start)]
        word_flags = tok_flags[start:end].max(axis=0)
        root_pos = doc[start:end].root.pos_
        head = [float(root_pos == p) for p in HEAD_POS]
        return np.concatenate([vec, word_flags[:4], np.asarray(flags, dtype=np.float32), word_flags[4:],
                               np.asarray(head, dtype=np.float32), rule_hot])


def char_overlaps(start: int, end: int, golds: list[tuple[int, int]]) -> bool:
    """Whether the character range [start, end) overlaps any of ``golds``."""
    return any(start < ge and gs < end for gs, ge in golds)
