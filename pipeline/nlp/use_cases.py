"""The ``cas_usage_detector`` (use cases, domain, status) and ``frein_cas_usage_linker`` components."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from pipeline.nlp.lexicon import CategoryLexicon, lemma_text, load_patterns
from pipeline.nlp.rules import dependency_candidates, token_candidates
from pipeline.nlp.spans import compile_matchers, make_span, register_extensions, select_non_overlapping, subject_of

MAX_TOKENS = 30
# The status walk climbs from the trigger to the verbs that govern it, but not across clauses.
CLAUSE_BREAKS = {"parataxis", "advcl", "acl:relcl", "root"}
CAPABILITY_RULES = {"neg_capability", "neg_capability_weak", "neg_possible", "neg_capability_aucun"}


class CasUsageDetector:
    """Find what an authority does or wants to do with data; label its domain and status."""

    def __init__(self, nlp: Language, max_tokens: int = MAX_TOKENS):
        register_extensions()
        spec = load_patterns("cas_usage")
        self.dep_matcher, self.tok_matcher, self.meta = compile_matchers(nlp, spec)
        self.lexicon = CategoryLexicon.from_mapping(spec["domains"])
        status = spec["status"]
        self.project_lemmas = {w.lower() for w in status["project_lemmas"]}
        self.blocking_lemmas = {w.lower() for w in status["blocking_lemmas"]}
        self.negations = {w.lower() for w in status["negations"]}
        self.analytics_verbs = {w.lower() for w in spec.get("analytics_verbs", [])}
        self.data_objects = {w.lower() for w in spec.get("data_objects", [])}
        self.foreign_heads = {w.lower() for w in spec.get("foreign_heads", [])}
        self.max_tokens = max_tokens

    def _negated(self, token: Token) -> bool:
        lemmas = {c.lemma_.lower() for c in token.children}
        return bool(lemmas & self.negations) and ("ne" in lemmas or "aucun" in lemmas or token.pos_ != "VERB")

    def status(self, anchor: Token) -> str:
        """``impossible`` if a negation or a blocking word governs the trigger, ``en_projet`` if a
        future, a conditional or a wish does, else ``realise``."""
        project = False
        token, steps = anchor, 0
        while steps < 5:
            if self._negated(token) or (token is not anchor and token.lemma_.lower() in self.blocking_lemmas):
                return "impossible"
            mood, tense = token.morph.get("Mood"), token.morph.get("Tense")
            if "Cnd" in mood or "Fut" in tense or token.lemma_.lower() in self.project_lemmas:
                project = True
            if token.dep_.lower() in CLAUSE_BREAKS or token.head is token:
                break
            token, steps = token.head, steps + 1
        return "en_projet" if project else "realise"

    def _passive_or_participle(self, anchor: Token, entry: dict) -> bool:
        """Passives and bare participles ("les données collectées", "restent peu sensibilisés")
        describe data or people; a non-negated passive publication ("les horaires sont publiés") is a use."""
        children = {c.dep_ for c in anchor.children}
        passive = anchor.dep_ == "acl" or bool(children & {"aux:pass", "nsubj:pass"})
        if passive and "nsubj:pass" in children and anchor.lemma_.lower() in entry.get("passive_ok", ()):
            # "les statistiques sont publiées en PDF" is a barrier, not a use
            in_barrier = any(f.start <= anchor.i < f.end for f in anchor.doc.spans.get("frein", []))
            return self._negated(anchor) or in_barrier
        bare_participle = ("Part" in anchor.morph.get("VerbForm") and not children & {"aux", "aux:tense", "aux:pass"}
                           and anchor.dep_ not in ("ROOT", "conj"))
        return passive or bare_participle

    def _acceptable(self, doc: Doc, cand) -> bool:
        """Generic actions count only with a data/service object; passives ("les données ne sont pas
        partagées", "publiées en PDF") describe data, not what the authority does with it."""
        entry = self.meta[cand.rule]
        anchor = cand.anchor
        if entry.get("skip_passive") and self._passive_or_participle(anchor, entry):
            return False
        if anchor.head.lower_ in entry.get("skip_head_text", ()) or (
                anchor.head.lemma_.lower() in self.foreign_heads and anchor.head is not anchor):
            return False
        if entry.get("not_reflexive") and anchor.lemma_.lower() in entry["not_reflexive"] and any(
                c.dep_.startswith("expl") for c in anchor.children):
            return False  # "le séminaire s'est tenu", not "tenir le registre"
        # The subject never supplies the data: "Le séminaire sur la donnée publique s'est tenu".
        subject = subject_of(anchor)
        in_subject = set() if subject is None else {t.i for t in subject.subtree}
        tokens = [t for t in doc[cand.start:cand.end] if t.i not in in_subject]
        if entry.get("needs_data_object") and not any(t.lemma_.lower() in self.analytics_verbs for t in tokens):
            words = {t.lemma_.lower() for t in tokens} | {t.lower_ for t in tokens}
            # a policy object counts too ("réduire la consommation d'énergie des écoles"): one strong term
            domain_scores = self.lexicon.scores([(lemma_text(tokens), 1.0)])
            return bool(words & self.data_objects) or max(domain_scores.values(), default=0) >= 3
        return True

    def __call__(self, doc: Doc) -> Doc:
        candidates = dependency_candidates(doc, self.dep_matcher, self.meta, self.max_tokens)
        candidates += token_candidates(doc, self.tok_matcher, self.meta, self.max_tokens)
        candidates = [c for c in candidates if self._acceptable(doc, c)]
        parsed = [c for c in candidates if self.meta[c.rule].get("extend") != "clause"]
        kept = select_non_overlapping(parsed)
        taken = {i for c in kept for i in range(c.start, c.end)}
        # token fallbacks (implausible parses) only where no parsed use case was found
        kept += [c for c in select_non_overlapping([c for c in candidates if c not in parsed])
                 if not taken & set(range(c.start, c.end))]
        doc.spans["cas_usage"] = [self.use_case_span(doc, c.start, c.end, c.anchor, c.rule, c.score)
                                  for c in sorted(kept, key=lambda c: c.start)]
        return doc

    def use_case_span(self, doc: Doc, start: int, end: int, anchor: Token, rule: str, confidence: float) -> Span:
        """A ``cas_usage`` span over tokens ``start:end`` with its domain (lexicon of the span, then of
        its sentence) and its status (read from ``anchor``); the score weighs ``confidence`` by how
        clearly the domain is named."""
        tokens = doc[start:end]
        texts = [(lemma_text(tokens), 1.0), (tokens.text, 0.5), (lemma_text(anchor.sent), 0.25)]
        label, share = self.lexicon.best(texts)
        return make_span(doc, start, end, "cas_usage", label, rule=rule, score=round(confidence * (0.7 + 0.3 * share), 3),
                         status=self.status(anchor))


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _distance(a: Span, b: Span) -> int:
    return 0 if _overlaps(a, b) else min(abs(a.start - b.end), abs(b.start - a.end))


def _link_key(span: Span) -> tuple[str, int, int]:
    return ("frein" if span.id == 1 else "cas_usage", span.start_char, span.end_char)


def link_impossible_use_cases(doc: Doc) -> Doc:
    """Link each impossible use case to the barrier that explains it (same sentence first, else the
    passage); a use case inside a barrier clause becomes impossible. A negated-capability barrier
    ("nous ne pouvons pas X") gives way to another barrier of its sentence ("faute de moyens"): the
    cause is the barrier."""
    freins = list(doc.spans.get("frein", []))
    cases = list(doc.spans.get("cas_usage", []))
    for case in cases:
        if case._.status != "impossible" and any(
                f.start <= case.root.i < f.end and f._.rule in CAPABILITY_RULES for f in freins):
            case._.status = "impossible"
    # "Faute de crédits, nous ne pouvons plus X": the cause is the barrier, not the inability (guide 1.2)
    dropped: set[int] = {
        id(f) for f in freins
        if f._.rule in CAPABILITY_RULES and doc[f.start].pos_ in ("PRON", "ADV")
        and any(g.sent == f.sent and g._.rule not in CAPABILITY_RULES and not _overlaps(f, g) for g in freins)}
    for case in cases:
        if case._.status != "impossible":
            continue
        same_sentence = [f for f in freins if f.sent == case.sent and id(f) not in dropped]
        causes = [f for f in same_sentence if not _overlaps(f, case)]
        for f in same_sentence:
            # only "nous ne pouvons pas X" gives way; "la bande passante ne permet pas X" is itself the cause
            if (causes and f._.rule in CAPABILITY_RULES and f.start <= case.start and case.end <= f.end
                    and doc[f.start].pos_ in ("PRON", "ADV")):
                dropped.add(id(f))
        pool = causes or same_sentence or [f for f in freins if id(f) not in dropped]
        if not pool:
            continue
        barrier = min(pool, key=lambda f: _distance(f, case))
        case._.link = _link_key(barrier)
        if barrier._.link is None:
            barrier._.link = _link_key(case)
    if dropped:
        doc.spans["frein"] = [f for f in freins if id(f) not in dropped]
    return doc


@Language.factory("cas_usage_detector", default_config={"max_tokens": MAX_TOKENS})
def make_cas_usage_detector(nlp: Language, name: str, max_tokens: int) -> CasUsageDetector:
    """spaCy factory of :class:`CasUsageDetector`."""
    return CasUsageDetector(nlp, max_tokens)


@Language.component("frein_cas_usage_linker")
def frein_cas_usage_linker(doc: Doc) -> Doc:
    """spaCy component wrapping :func:`link_impossible_use_cases`."""
    return link_impossible_use_cases(doc)
