"""Turn pattern matches into clause-level candidate spans (shared by barriers and use cases)."""
from __future__ import annotations

from spacy.tokens import Doc, Span, Token

from pipeline.nlp.spans import (Candidate, bounded_range, complements, object_head, object_text, phrase,
                                subject_of)

PURPOSE_MARKERS = {"pour", "afin", "à", "de", "d'"}
NEGATIONS = {"pas", "aucun", "sans", "jamais", "nul"}


COPULA_LIKE = {"être", "rester", "demeurer", "sembler", "paraître", "devenir"}


def clause_subject(anchor: Token) -> Token | None:
    """Subject of ``anchor``, or of the verb it completes ("le cadre reste | flou", "le coût reste | trop élevé",
    "les élus restent | peu sensibilisés")."""
    subject = subject_of(anchor)
    if subject is None and anchor.head is not anchor and (
            (anchor.pos_ in ("ADJ", "ADV") and anchor.dep_ in ("xcomp", "advmod", "amod"))
            or ("Part" in anchor.morph.get("VerbForm") and anchor.dep_ == "xcomp"
                and anchor.head.lemma_.lower() in COPULA_LIKE)):
        subject = subject_of(anchor.head)
    return subject


def _subject_range(anchor: Token, pronoun_only: bool, max_tokens: int = 10) -> list[tuple[int, int]]:
    subject = clause_subject(anchor)
    if subject is None or subject.i > anchor.i:
        return []
    if pronoun_only and subject.pos_ != "PRON":
        return []
    start, end = bounded_range(subject, max_tokens)
    # copulas and negations sit between the subject and an adjective anchor
    return [(start, anchor.i)] if start < anchor.i else []


def _expand(anchor: Token, how: str, max_tokens: int, cut: bool = False) -> list[tuple[int, int]]:
    if how == "nsubj":
        return _subject_range(anchor, pronoun_only=False)
    if how == "nsubj_pron":
        return _subject_range(anchor, pronoun_only=True)
    if how == "cop_subject":
        return _subject_range(anchor, pronoun_only=False)
    if how == "determiner":  # "L'absence de…", "une vraie réticence…": the noun phrase starts at its determiner
        left = [c.i for c in anchor.children if c.i < anchor.i and c.dep_ in ("det", "amod", "nummod")]
        return [(min(left), anchor.i)] if left else []
    if how == "complement":
        return [bounded_range(c, max_tokens, cut) for c in complements(anchor)]
    if how == "object":
        return [bounded_range(c, max_tokens, cut) for c in complements(anchor)
                if c.dep_ in ("obj", "obl:arg", "nsubj:pass", "obl:mod", "obl", "fixed", "compound")]
    if how == "purpose_clause":
        ranges = []
        for child in anchor.children:
            if child.i > anchor.i and child.dep_ in ("advcl", "xcomp", "obl:mod", "obl") and any(
                    m.lower_ in PURPOSE_MARKERS for m in child.children if m.i < child.i):
                ranges.append(bounded_range(child, max_tokens, cut))
        return ranges
    raise ValueError(f"unknown expansion {how!r} in a pattern file")


def _qualified(anchor: Token, entry: dict, max_tokens: int) -> bool:
    """Nouns listed under ``needs_qualifier`` count only with one of the listed words nearby."""
    required = (entry.get("needs_qualifier") or {}).get(anchor.lemma_.lower())
    if not required:
        return True
    words = set()
    for child in anchor.children:
        if child.i > anchor.i or child.dep_ == "amod":
            start, end = bounded_range(child, max_tokens)
            words |= {t.lemma_.lower() for t in anchor.doc[start:end]}
    return bool(words & {w.lower() for w in required})


def _clip(doc: Doc, sent: Span, start: int, end: int, anchor: Token, max_tokens: int) -> tuple[int, int]:
    start, end = max(start, sent.start), min(end, sent.end)
    # a line break ends a statement even when the parser runs on (lists, headings)
    for token in doc[start:anchor.i]:
        if "\n" in token.text or "\n" in token.whitespace_:
            start = token.i + 1
    for token in doc[anchor.i:end]:
        if "\n" in token.whitespace_ or ("\n" in token.text and token.i > anchor.i):
            end = token.i + (0 if "\n" in token.text else 1)
            break
    if end - start > max_tokens:
        start = max(start, anchor.i - max_tokens // 3)
        end = min(end, start + max_tokens)
    start, end = phrase_edges(doc, start, end, anchor)
    return start, end


def phrase_edges(doc: Doc, start: int, end: int, anchor: Token) -> tuple[int, int]:
    """Drop punctuation and dangling conjunctions at both edges, never past the anchor."""
    while start < anchor.i and (doc[start].is_punct or doc[start].pos_ in {"CCONJ"}):
        start += 1
    while end - 1 > anchor.i and (doc[end - 1].is_punct or doc[end - 1].pos_ in {"CCONJ", "ADP", "DET"}):
        end -= 1
    return start, end


def _object_for(anchor: Token, entry: dict, end: int) -> Token | None:
    """The barrier's object: a nominal subject for adjectives ("les bases sont difficiles d'accès")
    and causative verbs ("le coût des licences freine..."), else the complement."""
    subject = clause_subject(anchor)
    nominal_subject = subject is not None and subject.pos_ in ("NOUN", "PROPN") and subject.i < anchor.i
    if nominal_subject and ("cop_subject" in entry.get("expand", []) or
                            anchor.lemma_.lower() in entry.get("subject_is_object_for", [])):
        return subject
    obj = object_head(anchor)
    return obj if obj is not None and obj.i < end else None


def is_negated(token: Token) -> bool:
    """True when ``token`` carries a negation (pas, aucun, sans, jamais), or is the object of a
    negated verb ("il n'y a pas de problème")."""
    if any(c.lemma_.lower() in NEGATIONS and c.dep_ in ("advmod", "det", "case") for c in token.children):
        return True
    lemmas = {c.lemma_.lower() for c in token.children}
    if token.pos_ == "ADJ" and any(c.lower_ == "peu" and c.dep_ == "advmod" for c in token.children):
        return True  # "peu coûteux" is an advantage
    if {"ne", "plus"} <= lemmas:  # "il ne manque plus que la signature"
        return True
    if "ne" in lemmas and any(c.dep_ in ("obj", "nsubj") and any(d.lemma_.lower() in ("aucun", "nul") and d.dep_ == "det"
                                                                for d in c.children) for c in token.children):
        return True  # "ne nous a posé aucune difficulté"
    return token.dep_ == "obj" and token.head is not token and any(
        c.lemma_.lower() in NEGATIONS and c.dep_ == "advmod" for c in token.head.children)


def dependency_candidates(doc: Doc, matcher, meta: dict[str, dict], max_tokens: int,
                          cut_clauses: bool = False) -> list[Candidate]:
    """Candidates from the DependencyMatcher: trigger nodes plus their expansions (without
    coordinated or relative clauses when ``cut_clauses``: each conjunct is its own statement)."""
    found = []
    for match_id, token_ids in matcher(doc):
        rule = doc.vocab.strings[match_id]
        entry = meta[rule]
        names = [node["RIGHT_ID"] for node in entry["pattern"]]
        nodes = {name: doc[i] for name, i in zip(names, token_ids)}
        anchor = nodes[entry.get("anchor", names[0])]
        if not _qualified(anchor, entry, max_tokens) or (entry.get("skip_if_negated") and is_negated(anchor)):
            continue
        if anchor.lemma_.lower() in entry.get("skip_anchor_in", ()):
            continue
        core = [nodes[n] for n in entry.get("span", [names[0]])]
        ranges = [(t.i, t.i + 1) for t in core]
        for how in entry.get("expand", []):
            if how == "head_object":  # objects the parser hung on the governing verb
                last = max(t.i for t in core)
                ranges += [r for r in _expand(anchor, "object", max_tokens, cut_clauses) if r[0] > last]
                continue
            for token in core:
                ranges += _expand(token, how, max_tokens, cut_clauses)
        start, end = min(r[0] for r in ranges), max(r[1] for r in ranges)
        if entry.get("stop_at_comma"):
            end = next((t.i for t in doc[max(core[-1].i, start):end] if t.text == ","), end)
        pivot = core[0]  # the anchor may lie outside the span ("permettre de | suivre ...")
        start, end = _clip(doc, pivot.sent, start, end, pivot, max_tokens)
        if end <= start:
            continue
        subject = clause_subject(anchor)
        if subject is not None and subject.lemma_.lower() in entry.get("skip_if_subject_in", ()):
            continue  # "ce qui empêche…" is a consequence; "l'absence de X bloque…" is found from its noun
        obj = nodes[entry["object"]] if "object" in entry else _object_for(anchor, entry, end)
        if obj is not None and obj.lemma_.lower() in entry.get("skip_if_object_in", ()):
            continue
        found.append(Candidate(start, end, rule, float(entry.get("score", 0.6)), anchor, obj, entry.get("label")))
    return found


CLAUSE_BREAK_WORDS = {"mais", "car", "or", "donc", "puisque", "lorsque", "quand", "si", "tandis", "alors"}


def clause_around(doc: Doc, start: int, end: int, max_tokens: int) -> tuple[int, int]:
    """The clause around a token range: from the previous punctuation or clause connector to the next
    one, inside the sentence (a fallback when the parse is unusable)."""
    sent = doc[start].sent
    left = start
    while left > sent.start and not (doc[left - 1].is_punct or doc[left - 1].lower_ in CLAUSE_BREAK_WORDS
                                     or "\n" in doc[left - 1].whitespace_) and start - left < max_tokens // 2:
        left -= 1
    right = end
    while right < sent.end and not (doc[right].is_punct or doc[right].lower_ in CLAUSE_BREAK_WORDS
                                    or "\n" in doc[right].text) and right - left < max_tokens:
        right += 1
    return phrase_edges(doc, left, right, doc[start])


def token_candidates(doc: Doc, matcher, meta: dict[str, dict], max_tokens: int) -> list[Candidate]:
    """Candidates from the token Matcher, extended to the noun they qualify ("données de mauvaise qualité")."""
    found = []
    if len(matcher) == 0:
        return found
    for match_id, start, end in matcher(doc):
        rule = doc.vocab.strings[match_id]
        entry = meta[rule]
        root = doc[start:end].root
        obj = root
        head = root.head
        if entry.get("extend") == "clause":
            skip = {w.lower() for w in entry.get("skip_lemmas", [])}
            if start > 0 and doc[start - 1].lemma_.lower() in entry.get("skip_after", ()):
                continue  # "pour ne vider que…", "afin de ne plus dépendre…": a purpose, not an obstacle
            if end < len(doc) and doc[end].lower_ in entry.get("skip_before", ()):
                continue  # "n'a eu qu'à supprimer…": "only had to", an ease, not an obstacle
            c_start, c_end = clause_around(doc, start, end, max_tokens)
            if "clause_from" in entry:  # the span starts inside the match ("souhaite de | cartographier…")
                c_start = start + int(entry["clause_from"])
            if skip & {t.lemma_.lower() for t in doc[c_start:c_end]}:
                continue
            found.append(Candidate(c_start, c_end, rule, float(entry.get("score", 0.5)), root, None,
                                   entry.get("label")))
            continue
        if root.dep_ not in ("conj", "ROOT") and head.pos_ in ("NOUN", "PROPN") and head.i < start and start - head.i <= 4 and head.sent == root.sent:
            start, obj = head.i, head
        found.append(Candidate(start, end, rule, float(entry.get("score", 0.6)), root, obj, entry.get("label")))
    return found


def canonical_object(cand: Candidate, max_tokens: int = 12) -> str | None:
    """Text of the candidate's object (its bounded subtree, without leading determiners), extended
    to the de-phrases the parser attached to the trigger instead ("absence de gouvernance | de la donnée")."""
    obj = cand.obj
    if obj is None:
        return None
    doc = obj.doc
    start, end = bounded_range(obj, max_tokens, always_cut=True)
    if obj.head == cand.anchor and obj.i > cand.anchor.i:
        for sibling in sorted(cand.anchor.children, key=lambda t: t.i):
            if sibling.i > obj.i and sibling.dep_ == "nmod" and sibling.left_edge.i == end:
                s_start, s_end = bounded_range(sibling, max_tokens, always_cut=True)
                if s_end - start > max_tokens:
                    break
                end = s_end
    start, end = phrase(doc, start, end)
    if not start <= obj.i < end:
        return object_text(obj)
    return doc[start:end].text.strip() or None


