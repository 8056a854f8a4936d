"""Names of private persons: NER PER spans filtered by rules, and rules for the places NER misses.

Rules: a civility title ("M. Dupont", "Mme Jeanne Leclerc"), a contact cue ("contact : Jean
Dupont"), a first name of the lexicon followed by a capitalised word ("Jean-Marc Durand",
"DURAND Jean-Marc"), and signature lines (a short capitalised line after a closing formula or
above a job title). Every candidate is checked: organisations, institutions and places ("Ville
de Saint-Aubin", "Préfecture du Rhône", "DINUM"), street and facility names ("collège Jean
Moulin"), job titles and allow-listed public figures are not persons.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.privacy.lexicons import fold, lexicons, name_key
from pipeline.privacy.ner import is_common_word

_UP = "A-ZÀ-ÖØ-ÞŒÆ"
_LOW = "a-zß-öø-ÿœæ\u0100-\u017f"
TOKEN = rf"(?:[{_UP}][{_LOW}'’]+|[{_UP}]{{2,}}|[{_UP}]['’][{_UP}][{_LOW}]+)(?:-(?:[{_UP}][{_LOW}'’]+|[{_UP}]{{2,}}))*"
INITIALS = rf"[{_UP}]\.(?:-?[{_UP}]\.)?[ \u00a0]*"
PARTICLE = r"(?:de|du|des|van|von|der|den|da|di|del|della|dos|ben|bin|el|al|le|la|ter)"
NAME_SEQ = rf"(?:{INITIALS})?{TOKEN}(?:[ \u00a0]+(?:{PARTICLE}[ \u00a0]+|d['’])?{TOKEN}){{0,3}}"
TITLE = r"(?:M\.|MM\.|Mr\.?|Mme\.?|Mmes|Mlle\.?|Monsieur|Madame|Mademoiselle|monsieur|madame|Docteur|Dr\.?|Maître|Me|Pr\.?|Professeur)"
_NAME_SEQ_RE = re.compile(rf"(?<![\w@.\-]){NAME_SEQ}")
_TITLE_RE = re.compile(rf"(?<![\w]){TITLE}[ \u00a0]+(?P<name>{NAME_SEQ})")
_WORD_RE = re.compile(r"[^\s,;:()\[\]«»\"]+")
_PLACE_HYPHEN = re.compile(r"^(?:saint|sainte|st|ste)-|-(?:sur|sous|les|en|le|la|de|du|des|d'|aux|l')-", re.I)
_NAME_SHAPE = re.compile(rf"^(?:[{_UP}{_LOW}]+(?:['’\-][{_UP}{_LOW}]+)*|[{_UP}]\.?(?:-[{_UP}]\.?)?)$")
_ROMAN = re.compile(r"^[IVXLC]+$")
_PARTICLES = {"de", "du", "des", "van", "von", "der", "den", "da", "di", "del", "della", "dos", "ben", "bin",
              "el", "al", "le", "la", "ter", "d'"}


def _strip(word: str) -> str:
    return word.strip(".,;:!?'’\"()«»")


class NameDetector:
    """Finds person-name spans in one text; ``allow_list`` names are public figures kept in clear."""

    def __init__(self, allow_list: Iterable[str] = ()) -> None:
        self.lex = lexicons()
        self.allowed = {name_key(n) for n in [*self.lex.public_figures, *allow_list]}
        # a bare surname ("M. Macron") is kept for the configured public figures only: the built-in
        # list (street and school names) holds common surnames such as Fontaine or Moulin
        self.allowed_surnames = {name_key(n).split()[-1] for n in allow_list if len(n.split()) > 1}
        cues = "|".join(re.escape(c) for c in self.lex.contact_cues)
        self.contact_re = re.compile(
            rf"(?i:\b(?:{cues}))[ \u00a0]*:[ \u00a0]*(?:{TITLE}[ \u00a0]+)?(?P<name>{NAME_SEQ})")
        headers = "|".join(re.escape(c) for c in self.lex.header_cues)
        self.header_re = re.compile(
            rf"^[ \t>]*(?i:{headers})[ \u00a0]*:[ \u00a0]*(?:{TITLE}[ \u00a0]+)?[\"']?(?P<name>{NAME_SEQ})", re.M)
        lists = "|".join(re.escape(c) for c in self.lex.list_cues)
        self.list_re = re.compile(rf"(?i:\b(?:{lists}))[ \u00a0]*:[ \u00a0]*(?P<items>[^\n]+)")
        self.signature_re = re.compile(rf"^[ \t]*(?:{TITLE}[ \t]+)?(?P<name>{NAME_SEQ})[ \t,]*$", re.M)

    # -- checks -----------------------------------------------------------------------------
    def is_allowed(self, name: str) -> bool:
        """True for an allow-listed public figure, or a bare surname of one ("Macron")."""
        key = name_key(name)
        if key in self.allowed or any(a in key for a in self.allowed if " " in a):
            return True
        return " " not in key and key in self.allowed_surnames

    def _is_job(self, word: str) -> bool:
        return name_key(_strip(word)) in self.lex.job_words

    def _is_institution(self, word: str) -> bool:
        key = name_key(_strip(word))
        return key in self.lex.institution_words or key in self.lex.institution_names

    def place_context(self, text: str, start: int) -> bool:
        """True when the words just before ``start`` make the name a street, facility or place."""
        line_start = text.rfind("\n", 0, start) + 1
        window = text[max(line_start, start - 60):start]
        if re.search(r"[,;:()]\s*$", window):
            return False  # "…numérique, Élise Durand": a list or an apposition, not "rue Élise Durand"
        before = [name_key(_strip(w)) for w in _WORD_RE.findall(window)]
        while before and before[-1] in {"de", "du", "des", "d'", "l'", "la", "le"}:
            before.pop()
        if not before:
            return False
        last = re.sub(r"^[ldcjs]'|[dl]'$", "", before[-1])  # "l'hôpital", "rue d'"
        return last in self.lex.facility_words or last in self.lex.institution_words

    def validate(self, text: str, start: int, end: int, strong: bool = False, source: str = "rule"):
        """Trim a candidate span and decide whether it names a private person.

        Returns ``(start, end)`` of the name or None. ``strong``: the context already says it is a
        person (title, contact cue, signature); ``source="ner"`` accepts capitalised word pairs
        without a known first name."""
        newline = text.find("\n", start, end)
        if newline != -1:
            end = newline
        words = list(_WORD_RE.finditer(text, start, end))
        while words and (not _strip(words[0].group())[:1].isupper() or self._is_job(words[0].group())
                         or name_key(_strip(words[0].group())) in self.lex.titles):
            if name_key(_strip(words[0].group())) in self.lex.titles:
                strong = True
            words.pop(0)
        while words and (not _strip(words[-1].group())[:1].isupper() or self._is_job(words[-1].group())
                         or self._is_institution(words[-1].group())):
            words.pop()
        if not words:
            return None
        start = words[0].start()
        end = words[0].start() + len(text[words[0].start():words[-1].end()].rstrip(".,;:!?'’\")»"))
        names = [_strip(w.group()) for w in words if name_key(_strip(w.group())) not in _PARTICLES]
        if not names or len(names) > 4 or any(self._is_institution(n) or self._is_job(n) for n in names):
            return None
        raw = [w.group().rstrip(",;:") for w in words]
        if any(not _NAME_SHAPE.match(w) or (_ROMAN.match(w) and len(w) > 1) for w in raw):
            return None  # "Data.gouv", "Umap | Nettoyer", "Chapitre VII"
        key = name_key(text[start:end])
        if key in self.lex.institution_names or any(_PLACE_HYPHEN.search(fold(n)) for n in names):
            return None
        if self.is_allowed(text[start:end]) or self.place_context(text, start):
            return None
        has_first = any(self.lex.is_first_name(n, strict=False) for n in names)
        if len(names) == 1:
            word = names[0]
            if not strong or (word.isupper() and len(word) <= 2):
                return None
            return (start, end)
        if all(n.isupper() for n in names) and not has_first and not strong:
            return None  # a run of acronyms
        if strong or has_first:
            return (start, end)
        if source == "ner" and names[0][:1].isupper() and not names[0].isupper() and not is_common_word(names[0]) \
                and not all(is_common_word(n) for n in names):
            return (start, end)  # "Kylian Fontaine"; not "Démarches Simplifiées", "Contribution Cartolien"
        return None

    # -- detectors --------------------------------------------------------------------------
    def _first_name_candidates(self, text: str):
        for match in _NAME_SEQ_RE.finditer(text):
            words = list(_WORD_RE.finditer(match.group()))
            for index, word in enumerate(words):
                if not self.lex.is_first_name(_strip(word.group())) or index + 1 >= len(words):
                    continue
                first = index
                if index > 0 and words[index - 1].group().isupper() and len(words[index - 1].group()) > 2:
                    first = index - 1  # "DURAND Jean-Marc"
                yield match.start() + words[first].start(), match.end()
                break
            else:
                # "DURAND Jean-Marc" at the end of the run
                if len(words) >= 2 and self.lex.is_first_name(_strip(words[-1].group())) \
                        and words[-2].group().isupper() and len(words[-2].group()) > 2:
                    yield match.start() + words[-2].start(), match.end()

    def _signature_candidates(self, text: str):
        lines = text.split("\n")
        offsets, pos = [], 0
        for line in lines:
            offsets.append(pos)
            pos += len(line) + 1
        for match in self.signature_re.finditer(text):
            line_no = text.count("\n", 0, match.start())
            previous = next((lines[i].strip() for i in range(line_no - 1, -1, -1) if lines[i].strip()), "")
            following = next((lines[i].strip() for i in range(line_no + 1, len(lines)) if lines[i].strip()), "")
            after_closing = name_key(previous.rstrip(",.!")) in self.lex.closings
            above_job = bool(following) and self._is_job(following.split()[0])
            if after_closing or above_job:
                yield match.start("name"), match.end("name")

    def rule_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Person-name spans found by the rules: ``(start, end, rule)``."""
        found: list[tuple[int, int, str]] = []
        for match in _TITLE_RE.finditer(text):
            span = self.validate(text, match.start("name"), match.end("name"), strong=True)
            if span:
                found.append((*span, "titre"))
        for match in [*self.contact_re.finditer(text), *self.header_re.finditer(text)]:
            span = self.validate(text, match.start("name"), match.end("name"), strong=True)
            if span:
                found.append((*span, "contact"))
        for match in self.list_re.finditer(text):  # "Participants : Jean Dupont, Kylian Ravanel (DINUM)"
            for item in re.finditer(r"[^,;()]+", match.group("items")):
                for name in _NAME_SEQ_RE.finditer(text, match.start("items") + item.start(), match.start("items") + item.end()):
                    span = self.validate(text, name.start(), name.end(), strong=len(name.group().split()) > 1)
                    if span:
                        found.append((*span, "liste"))
        for start, end in self._signature_candidates(text):
            span = self.validate(text, start, end, strong=True)
            if span:
                found.append((*span, "signature"))
        for start, end in self._first_name_candidates(text):
            span = self.validate(text, start, end)
            if span:
                found.append((*span, "prenom"))
        return found

    def ner_spans(self, text: str, entities: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """NER ``PER`` entities ``(start, end, label)`` that pass the checks."""
        found = []
        for start, end, label in entities:
            if label != "PER":
                continue
            for segment_start, segment in _segments(text, start, end):
                span = self.validate(text, segment_start, segment_start + len(segment), source="ner")
                if span:
                    found.append((*span, "ner"))
        return found


def _segments(text: str, start: int, end: int):
    pos = start
    for part in text[start:end].split("\n"):
        yield pos, part
        pos += len(part) + 1
