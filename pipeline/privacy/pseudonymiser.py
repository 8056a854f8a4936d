"""Pseudonymisation of a contribution's texts with stable, per-contribution placeholders.

Every e-mail, phone number, postal address and private person's name becomes ``[EMAIL_n]``,
``[TELEPHONE_n]``, ``[ADRESSE_n]`` or ``[PERSONNE_n]``. Numbers count from 1 in each contribution
in order of first appearance (texts in the given order, then offsets), so the output depends only
on the contribution's texts and hints: re-running gives the same placeholders, and running again
on an output changes nothing. The same item gets the same number in every text of the
contribution: phones are compared by digits ("+33 (0)1 23…" = "01 23…"), addresses by street
(with or without postcode), persons by name, with "M. Dupont", "Dupont" and "J. Dupont" joined to
"Jean Dupont" when only one known person of the contribution bears that surname.
"""
from __future__ import annotations

import re
from collections import defaultdict

from pipeline.config import PrivacyConfig
from pipeline.privacy.detect import (PiiSpan, detect, find_names_in, name_detector,
                                     protected_ranges, resolve_overlaps)
from pipeline.privacy.lexicons import lexicons, name_key
from pipeline.privacy.ner import entities_of, is_common_word, load_ner

PLACEHOLDER = {"email": "EMAIL", "telephone": "TELEPHONE", "adresse": "ADRESSE", "personne": "PERSONNE"}
_PARTICLES = {"de", "du", "des", "d'", "le", "la", "da", "di", "van", "von", "del", "dos", "ben", "el", "al"}
ENTITY_LABELS_KEPT = ("ORG", "LOC")  # the labels the NLP stage's actor finder reads
_INITIAL_RE = re.compile(r"^[A-ZÀ-Þ]\.(?:-?[A-ZÀ-Þ]\.)?$")


def parse_name(surface: str) -> tuple[str, str, str]:
    """Split a person's name into folded ``(given, surname, initial)``: "Jean Dupont" ->
    ("jean", "dupont", ""), "DURAND Jean-Marc" -> ("jean-marc", "durand", ""), "J. Dupont" ->
    ("", "dupont", "j"), "Dupont" -> ("", "dupont", "")."""
    lex = lexicons()
    words = [w.strip(".,;:'’\"()") if not _INITIAL_RE.match(w) else w for w in surface.split()]
    words = [w for w in words if w]
    if not words:
        return "", "", ""
    if _INITIAL_RE.match(words[0]) and len(words) > 1:
        return "", name_key(" ".join(words[1:])), name_key(words[0][0])
    if name_key(words[0]) in _PARTICLES:  # "Le Roux", "De La Fontaine", "Da Silva"
        return "", name_key(" ".join(words)), ""
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        given = [w for w in words if w not in upper]
        return name_key(" ".join(given)), name_key(" ".join(upper)), ""
    given: list[str] = []
    for word in words[:-1]:
        if not lex.is_first_name(word, strict=False) or name_key(word) in _PARTICLES:
            break
        given.append(word)
    if not given and len(words) > 1:
        given = words[:1]
    return name_key(" ".join(given)), name_key(" ".join(words[len(given):])), ""


def cluster_persons(surfaces: list[str]) -> list[tuple]:
    """One cluster id per person mention; bare surnames and initials join the single full name
    of the contribution that matches them, and stay apart when none or several match."""
    parsed = [parse_name(s) for s in surfaces]
    givens: dict[str, set[str]] = defaultdict(set)
    for given, surname, _ in parsed:
        if given:
            givens[surname].add(given)
    ids = []
    for given, surname, initial in parsed:
        candidates = sorted(givens.get(surname, ()))
        if given:
            ids.append(("full", given, surname))
        elif initial:
            matching = [g for g in candidates if g.startswith(initial)]
            ids.append(("full", matching[0], surname) if len(matching) == 1 else ("initial", initial, surname))
        else:
            ids.append(("full", candidates[0], surname) if len(candidates) == 1 else ("surname", surname))
    return ids


def hint_names(hints: dict | None, allow_list: tuple[str, ...]) -> list[str]:
    """Names worth looking for from the sender: the display name and the name in the address
    (jean.dupont@… -> "Jean Dupont", j.dupont@… -> "Dupont"). Generic mailboxes give nothing."""
    if not hints:
        return []
    detector, lex = name_detector(allow_list), lexicons()
    names: list[str] = []
    sender_name = re.sub(r"<[^>]*>|[\"']", " ", str(hints.get("sender_name") or "")).strip()
    if "," in sender_name:  # "Dupont, Jean"
        sender_name = " ".join(reversed([p.strip() for p in sender_name.split(",", 1)]))
    if sender_name:
        names.append(sender_name)
    local = str(hints.get("sender_email") or "").split("@")[0]
    parts = [p for p in re.split(r"[._\-+]+", re.sub(r"\d+", "", local)) if p]
    known_first = any(lex.is_first_name(p, strict=False) for p in parts)
    plausible = len(parts) == 2 and min(map(len, parts)) >= 2 and not all(is_common_word(p) for p in parts)
    if len(parts) >= 2 and (known_first or plausible):  # not "donnees.ouvertes"
        if known_first and not lex.is_first_name(parts[0], strict=False):
            parts = parts[1:] + parts[:1]  # dupont.jean
        names.append(" ".join(p.capitalize() for p in parts))
        if not known_first:  # order unknown (quintavalle.aurele): either part may be the surname
            names.extend(p.capitalize() for p in parts if len(p) >= 3)
    elif len(parts) == 2 and len(parts[0]) == 1 and len(parts[1]) >= 3:
        names.append(parts[1].capitalize())  # j.dupont
    kept = []
    for name in names:
        span = detector.validate(name, 0, len(name), strong=True)
        if span:
            kept.append(name[span[0]:span[1]])
    return kept


def propagation_names(surfaces: list[str], allow_list: tuple[str, ...]) -> list[str]:
    """Forms under which the persons found may appear elsewhere in the contribution: the full
    name in both orders and the bare surname, unless it is also a first name, an institution word,
    an allow-listed name or a particle followed by an organisation ("Julia de Datactivist")."""
    detector, lex = name_detector(allow_list), lexicons()
    forms: set[str] = set()
    for surface in surfaces:
        given, surname, _ = parse_name(surface)
        if not surname:
            continue
        if given:
            forms.update({f"{given} {surname}", f"{surname} {given}"})
        bare_ok = (len(surname) >= 3 and not lex.is_first_name(surname, strict=False)
                   and not (surname.split()[0] in _PARTICLES and surface.split()[-2:][0].islower())  # "Julia de Datactivist"
                   and surname not in lex.institution_words and not detector.is_allowed(surname))
        if bare_ok:
            forms.add(surname)
    return sorted(forms)


def _common_word_opening_sentence(text: str, candidate) -> bool:
    """A bare surname that is also a French word ("Petit", "Moulin") at the start of a sentence
    is most likely the word."""
    if " " in candidate.key.strip() or not is_common_word(candidate.key):
        return False
    before = text[:candidate.start].rstrip(" \u00a0\t\"«(")
    return not before or before[-1] in ".!?:;\n•-–"


class Pseudonymiser:
    """Replaces personal data in the texts of contributions (see the module docstring)."""

    def __init__(self, config: PrivacyConfig | None = None, nlp=None, batch_size: int = 32) -> None:
        self.config = config or PrivacyConfig()
        self.allow_list = tuple(self.config.allow_list)
        self._nlp = nlp
        self._own_model = nlp is None  # a worker process can load the same model
        self.batch_size = batch_size

    @property
    def nlp(self):
        """The spaCy pipeline (``fr_core_news_md``, NER only), loaded on first use."""
        if self._nlp is None:
            self._nlp = load_ner()
        return self._nlp

    def analyse_many(self, contributions: list[list[str]], hints: list[dict | None] | None = None
                     ) -> list[list[list[tuple[PiiSpan, str]]]]:
        """For every text of every contribution, its personal-data spans with their placeholder."""
        return self._analyse_all(contributions, hints)[0]

    def _analyse_all(self, contributions: list[list[str]], hints: list[dict | None] | None
                     ) -> tuple[list[list[list[tuple[PiiSpan, str]]]], list[list[tuple[int, int, str]]]]:
        """``analyse_many``'s result and the NER entities of every text (flattened, in order)."""
        hints = list(hints) if hints is not None else [None] * len(contributions)
        if len(hints) != len(contributions):
            raise ValueError(f"{len(contributions)} contributions but {len(hints)} hints")
        flat: list[str] = []
        for c_no, texts in enumerate(contributions):
            for t_no, text in enumerate(texts):
                if not isinstance(text, str):
                    raise TypeError(f"contribution {c_no}, text {t_no}: expected str, got {type(text).__name__}")
                flat.append(text)
        # the second core only for the project's own model (a pipeline given by the caller stays in-process)
        processes = self.config.ner_processes if self._own_model else 1
        entities = entities_of(self.nlp, flat, self.batch_size, processes=processes)
        result, pos = [], 0
        for texts, hint in zip(contributions, hints):
            result.append(self._analyse(list(texts), entities[pos:pos + len(texts)], hint))
            pos += len(texts)
        return result, entities

    def _analyse(self, texts: list[str], entities: list, hints: dict | None) -> list[list[tuple[PiiSpan, str]]]:
        extra = hint_names(hints, self.allow_list)
        found = [detect(text, ents, self.allow_list, extra) for text, ents in zip(texts, entities)]
        detector = name_detector(self.allow_list)
        surfaces = [c.key for cands in found for c in cands if c.kind == "personne"]
        forms = propagation_names(surfaces + extra, self.allow_list)
        if forms:
            for i, text in enumerate(texts):
                more = [c for c in find_names_in(text, forms, "propagation")
                        if not detector.place_context(text, c.start) and not detector.is_allowed(c.key)
                        and not _common_word_opening_sentence(text, c)]
                if more:
                    found[i] = resolve_overlaps(found[i] + more, protected_ranges(text))
        persons = [c for cands in found for c in cands if c.kind == "personne"]
        person_ids = iter(cluster_persons([c.key for c in persons]))  # same order as the loop below
        numbers: dict[str, dict] = defaultdict(dict)
        out: list[list[tuple[PiiSpan, str]]] = []
        for text, cands in zip(texts, found):
            spans = []
            for cand in cands:
                item = next(person_ids) if cand.kind == "personne" else cand.key
                table = numbers[cand.kind]
                table.setdefault(item, len(table) + 1)
                placeholder = f"[{PLACEHOLDER[cand.kind]}_{table[item]}]"
                spans.append((PiiSpan(cand.start, cand.end, cand.kind, text[cand.start:cand.end]), placeholder))
            out.append(spans)
        return out

    def pseudonymise_many(self, contributions: list[list[str]], hints: list[dict | None] | None = None
                          ) -> list[list[str]]:
        """Pseudonymise many contributions at once (one batched NER pass); the result equals calling
        :meth:`pseudonymise_contribution` on each."""
        if not self.config.enabled:
            return [list(texts) for texts in contributions]
        analysed = self.analyse_many(contributions, hints)
        return [[replace_spans(text, spans) for text, spans in zip(texts, per_text)]
                for texts, per_text in zip(contributions, analysed)]

    def pseudonymise_with_entities(self, contributions: list[list[str]], hints: list[dict | None] | None = None,
                                   labels: tuple[str, ...] = ENTITY_LABELS_KEPT
                                   ) -> list[list[tuple[str, list[tuple[int, int, str]] | None]]]:
        """Like :meth:`pseudonymise_many`, each output text paired with the NER entities of
        ``labels`` found on the way, their offsets moved into the output text (entities that
        overlap a replaced span are dropped). The NLP stage reuses them instead of running NER
        again. Entities are ``None`` when pseudonymisation is disabled (no NER ran)."""
        if not self.config.enabled:
            return [[(text, None) for text in texts] for texts in contributions]
        analysed, found = self._analyse_all(contributions, hints)
        entities = iter(found)
        result = []
        for texts, per_text in zip(contributions, analysed):
            pairs = []
            for text, spans in zip(texts, per_text):
                kept = kept_entities(text, next(entities), labels)
                pairs.append((replace_spans(text, spans), shift_entities(kept, spans)))
            result.append(pairs)
        return result

    def pseudonymise_contribution(self, texts: list[str], hints: dict | None = None) -> list[str]:
        """Pseudonymise all texts of one contribution; ``hints`` may hold ``sender_email`` and
        ``sender_name``, whose names are then replaced wherever they appear."""
        return self.pseudonymise_many([list(texts)], [hints])[0]


def shift_entities(entities: list[tuple[int, int, str]], spans: list[tuple[PiiSpan, str]]
                   ) -> list[tuple[int, int, str]]:
    """Entity offsets of a text moved to the text :func:`replace_spans` makes of it; an entity
    overlapping a replaced span is dropped (it would hold a placeholder)."""
    ordered = sorted(spans, key=lambda s: s[0].start)
    moved = []
    for start, end, label in sorted(entities):
        if any(start < span.end and span.start < end for span, _ in ordered):
            continue
        delta = sum(len(placeholder) - (span.end - span.start) for span, placeholder in ordered if span.end <= start)
        moved.append((start + delta, end + delta, label))
    return moved


def kept_entities(text: str, entities: list[tuple[int, int, str]], labels: tuple[str, ...] = ENTITY_LABELS_KEPT
                  ) -> list[tuple[int, int, str]]:
    """The entities of ``labels`` found in ``text``, without the spaces and line ends the NER may
    include at their edges (an entity left empty is dropped)."""
    kept = []
    for start, end, label in entities:
        if label not in labels:
            continue
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            kept.append((start, end, label))
    return kept


def replace_spans(text: str, spans: list[tuple[PiiSpan, str]]) -> str:
    """``text`` with every span replaced by its placeholder."""
    parts, pos = [], 0
    for span, placeholder in sorted(spans, key=lambda s: s[0].start):
        parts.append(text[pos:span.start])
        parts.append(placeholder)
        pos = span.end
    parts.append(text[pos:])
    return "".join(parts)

