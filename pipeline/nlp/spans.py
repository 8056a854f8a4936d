"""Span extensions and the shared machinery of the rule-based detectors.

A detector reads dependency patterns (spaCy ``DependencyMatcher`` syntax) and token patterns
(``Matcher``) from YAML, and turns each match into a clause span: the trigger tokens plus the
bounded subtrees of their complements, kept inside the sentence.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from spacy.tokens import Doc, Span, Token

from pipeline.nlp.matching import GatedDependencyMatcher, GatedMatcher
from pipeline.nlp.repairs import with_both_apostrophes

KINDS = ("frein", "cas_usage", "acteur")
# span_id keeps the extension storage of spans of different kinds apart (same offsets, same label).
KIND_IDS = {kind: i + 1 for i, kind in enumerate(KINDS)}
EXTENSIONS = ("canonical", "rule", "score", "status", "link")

COMPLEMENT_DEPS = {"obj", "xcomp", "obl:arg", "obl:mod", "obl", "ccomp", "csubj", "nmod", "acl", "dep",
                   "amod", "iobj", "nsubj:pass", "acl:relcl", "fixed", "flat:name", "flat:foreign", "compound"}
OBJECT_PRIORITY = ("obj", "obl:arg", "nmod", "xcomp", "nsubj:pass", "ccomp", "csubj", "dep", "obl:mod", "obl", "acl",
                   "amod")
CUT_DEPS = {"conj", "cc", "parataxis", "advcl", "appos", "acl:relcl", "punct"}
LEADING_FILLER_POS = {"DET", "ADP", "SCONJ", "CCONJ", "PUNCT", "ADV", "PRON"}


def _key(name: str, span: Span) -> tuple:
    return ("nlp_span_attr", name, span.id, span.start_char, span.end_char)


# spaCy keys span extension values by offsets only, so a barrier and a use case over the same
# characters would share them: key them by kind (span id) too, in the doc's user_data. Module-level
# functions bound with ``partial`` (not closures) so that spaCy can pickle the extension state into
# the worker processes of ``nlp.pipe(n_process=2)`` under the spawn/forkserver start methods.
def _get_attribute(name: str, span: Span):
    return span.doc.user_data.get(_key(name, span))


def _set_attribute(name: str, span: Span, value) -> None:
    span.doc.user_data[_key(name, span)] = value


def register_extensions() -> None:
    """Span attributes set by the project's components (idempotent)."""
    for name in EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, getter=partial(_get_attribute, name), setter=partial(_set_attribute, name))


def make_span(doc: Doc, start: int, end: int, kind: str, label: str, **attrs) -> Span:
    """A span of ``kind`` with its label and extension attributes."""
    span = Span(doc, start, end, label=label, span_id=KIND_IDS[kind])
    for name, value in attrs.items():
        setattr(span._, name, value)
    return span


def _own_statement(conjunct: Token) -> bool:
    """A coordinated part that states something of its own (a verb, an adjective, a negation),
    unlike a plain list of nouns ("les données de l'IGN et de l'INSEE")."""
    return any(t.pos_ in ("VERB", "ADJ") or t.lemma_.lower() in ("pas", "aucun", "sans") for t in conjunct.subtree)


def bounded_range(token: Token, max_tokens: int, always_cut: bool = False) -> tuple[int, int]:
    """Token range [start, end) of ``token``'s subtree, cut before clauses when it is too long
    (or always, with ``always_cut``)."""
    left, right = token.left_edge.i, token.right_edge.i + 1
    if right - left <= max_tokens and not always_cut:
        return left, right
    kept = [token]
    stack = [token]
    while stack:
        current = stack.pop()
        for child in current.children:
            if child.dep_ in CUT_DEPS and (child.dep_ != "conj" or not always_cut or _own_statement(child)):
                continue
            kept.append(child)
            stack.append(child)
    left, right = min(t.i for t in kept), max(t.i for t in kept) + 1
    # still too long: keep the window that starts at the head
    if right - left > max_tokens:
        left = max(left, token.i - max_tokens // 3)
        right = min(right, left + max_tokens)
    return left, right


def complements(anchor: Token) -> list[Token]:
    """Children of ``anchor`` that complete it, on its right (objects, infinitives, de-phrases)."""
    return [c for c in anchor.children if c.i > anchor.i and c.dep_ in COMPLEMENT_DEPS]


def object_head(anchor: Token) -> Token | None:
    """The complement that carries the object of ``anchor``; follows infinitives one level down."""
    comps = complements(anchor)
    for dep in OBJECT_PRIORITY:
        for child in comps:
            if child.dep_ == dep:
                if child.pos_ == "VERB":
                    inner = object_head(child)
                    return inner if inner is not None else child
                return child
    return None


def subject_of(token: Token) -> Token | None:
    """Nominal subject of ``token`` (or of the copula construction it heads)."""
    for child in token.children:
        if child.dep_ in ("nsubj", "nsubj:pass", "expl:subj"):
            return child
    return None


def phrase(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Trim leading fillers (determiners, prepositions) and trailing punctuation of a range."""
    while start < end - 1 and (doc[start].pos_ in LEADING_FILLER_POS or doc[start].is_punct):
        start += 1
    while end > start + 1 and (doc[end - 1].is_punct or doc[end - 1].pos_ in {"CCONJ", "ADP", "DET"}):
        end -= 1
    return start, end


def object_text(token: Token | None, max_tokens: int = 12) -> str | None:
    """Canonical text of an object: its bounded subtree without leading determiners."""
    if token is None:
        return None
    start, end = phrase(token.doc, *bounded_range(token, max_tokens, always_cut=True))
    if token.i < start or token.i >= end:
        start, end = token.i, token.i + 1
    text = token.doc[start:end].text.strip()
    return text or None


@dataclass
class Candidate:
    """A detector hit before overlap resolution."""

    start: int
    end: int
    rule: str
    score: float
    anchor: Token
    obj: Token | None
    label: str | None = None


def compile_matchers(nlp, spec: dict) -> tuple[GatedDependencyMatcher, GatedMatcher, dict[str, dict]]:
    """Dependency and token matchers loaded with the patterns of a YAML spec (each pattern runs only
    on passages holding its required words, see matching.py), plus pattern metadata."""
    dep_matcher = GatedDependencyMatcher(nlp.vocab)
    tok_matcher = GatedMatcher(nlp.vocab)
    meta: dict[str, dict] = {}
    for entry in spec.get("dependency_patterns", []):
        dep_matcher.add(entry["id"], with_both_apostrophes(entry["pattern"]))
        meta[entry["id"]] = entry
    for entry in spec.get("token_patterns", []):
        tok_matcher.add(entry["id"], with_both_apostrophes(entry["pattern"]))
        meta[entry["id"]] = entry
    return dep_matcher, tok_matcher, meta


def select_non_overlapping(candidates: list[Candidate]) -> list[Candidate]:
    """Longest candidates first (then highest score); drop any that overlaps one already kept."""
    kept: list[Candidate] = []
    taken: set[int] = set()
    for cand in sorted(candidates, key=lambda c: (-(c.end - c.start), -c.score, c.start)):
        tokens = set(range(cand.start, cand.end))
        if tokens & taken:
            continue
        kept.append(cand)
        taken |= tokens
    return sorted(kept, key=lambda c: c.start)
