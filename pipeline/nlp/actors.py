"""The ``acteur_gazetteer`` component: named actors, generic actor types and NER fallback."""
from __future__ import annotations

import re

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from pipeline.nlp.lexicon import load_patterns
from pipeline.nlp.spans import make_span, register_extensions

PLACEHOLDER = re.compile(r"\[?\b[A-Z]+(?:_[A-Z]+)*_\d+\b\]?")
# Rule priority on ties (same length): gazetteer beats named places, generic nouns and NER.
PRIORITY = {"gazetteer": 0, "gazetteer_acronym": 0, "named_place": 1, "generic": 2, "ner_org": 3, "ner_loc": 4}
SCORES = {"gazetteer": 0.95, "gazetteer_acronym": 0.95, "named_place": 0.85, "generic": 0.75, "ner_org": 0.55,
          "ner_loc": 0.45}
LOC_ROLES = {"nsubj", "nsubj:pass", "obj", "iobj"}
POSSESSIVES = {"notre", "nos", "mon", "ma", "mes"}
SCALE_HEADS = {"échelle", "niveau", "maille", "périmètre", "ensemble", "totalité", "nombre", "plupart", "majorité"}
DISTRIBUTIVE = {"par", "chaque", "chacun", "chacune", "entre"}


def not_an_actor(doc: Doc, start: int, end: int, canonical: str, self_nouns: set[str]) -> bool:
    """Generic mentions the annotation guide excludes: self-references ("notre commune", "la
    collectivité"), counts and scales ("900 habitants", "à l'échelle des communes", "par commune"),
    and letters inside a compound word ("centre-ville")."""
    token = doc[start:end].root
    children = {c.lower_: c for c in token.children if c.i < token.i}
    if set(children) & POSSESSIVES:
        return True
    if any(c.dep_ == "nummod" or c.pos_ == "NUM" for c in token.children) or (
            start > 0 and (doc[start - 1].pos_ == "NUM" or doc[start - 1].text.isdigit())):
        return True
    previous = doc[start - 1] if start > 0 else None
    if previous is not None and (previous.lower_ in DISTRIBUTIVE or
                                 (previous.text.endswith("-") or doc[start].text.startswith("-"))
                                 or (previous.whitespace_ == "" and previous.text.isalpha())):
        return True
    if token.head is not token and token.head.lemma_.lower() in SCALE_HEADS and token.i > token.head.i:
        return True
    singular = "Sing" in token.morph.get("Number") or not token.text.lower().endswith(("s", "x"))
    if singular and token.lemma_.lower() in self_nouns and end - start == 1:
        # "la commune", "la collectivité", "une commune de notre taille": the author or a unit, not an actor
        return bool(set(children) & {"la", "le", "l'", "cette", "une", "un", "ce"}) or not children
    return False


class ActeurGazetteer:
    """Match the gazetteer (aliases case-insensitively, acronyms case-sensitively), generic actor
    nouns normalised by type, "<type> de <Lieu>" names, then NER ORG/LOC for the rest."""

    def __init__(self, nlp: Language):
        register_extensions()
        spec = load_patterns("acteurs")
        self.aliases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.acronyms = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.generic = Matcher(nlp.vocab)
        self.generic_phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.info: dict[str, tuple[str, str]] = {}
        for i, entry in enumerate(spec["named"]):
            key = f"named_{i}"
            self.info[key] = (entry["canonical"], entry["category"])
            names = [entry["canonical"]] + list(entry.get("aliases", []))
            acronyms = list(entry.get("acronyms", []))
            if entry["canonical"] in acronyms or entry["canonical"].isupper():
                names = names[1:]  # an acronym-like canonical must match case-sensitively
                acronyms.append(entry["canonical"])
            names += [n.replace("'", "’") for n in names if "'" in n]
            self.aliases.add(key, [nlp.make_doc(n) for n in names])
            if acronyms:
                self.acronyms.add(key, [nlp.make_doc(a) for a in acronyms])
        for i, entry in enumerate(spec["generic"]):
            key = f"generic_{i}"
            self.info[key] = (entry["canonical"], entry["category"])
            single = [w for w in entry["lemmas"] if " " not in w]
            single = sorted(set(single) | {w.lower() for w in single})
            multi = [w for w in entry["lemmas"] if " " in w]
            multi += [w.replace("'", "’") for w in multi if "'" in w]
            self.generic.add(key, [[{"LEMMA": {"IN": single}, "POS": {"IN": ["NOUN", "PROPN"]}}]])
            if multi:
                self.generic_phrases.add(key, [nlp.make_doc(w) for w in multi] +
                                         [nlp.make_doc(w.split(" ", 1)[0] + "s " + w.split(" ", 1)[1]) for w in multi])
        place_nouns = [w.lower() for w in spec["named_place_nouns"]]
        self.places = Matcher(nlp.vocab)
        self.places.add("named_place", [[
            {"LOWER": {"IN": place_nouns}}, {"POS": "ADJ", "OP": "*"},
            {"LOWER": {"IN": ["de", "d'", "du", "des"]}}, {"LOWER": {"IN": ["la", "l'", "les"]}, "OP": "?"},
            {"POS": "PROPN", "IS_TITLE": True, "OP": "+"}]], greedy="LONGEST")
        self.ner_stopwords = {w.lower() for w in spec["ner_stopwords"]}
        self.ner_categories = spec["ner_categories"]
        self.self_nouns = {w.lower() for w in spec.get("self_reference_nouns", [])}

    def _ner_category(self, text: str) -> str:
        lowered = text.lower()
        for category, words in self.ner_categories.items():
            if any(w in lowered for w in words):
                return category
        return "autre"

    def _candidates(self, doc: Doc) -> list[tuple[int, int, str, str, str]]:
        found = []
        for matcher, rule in ((self.aliases, "gazetteer"), (self.acronyms, "gazetteer_acronym"),
                              (self.generic_phrases, "generic"), (self.generic, "generic")):
            for match_id, start, end in matcher(doc):
                canonical, category = self.info[doc.vocab.strings[match_id]]
                found.append((start, end, rule, canonical, category))
        for _, start, end in self.places(doc):
            text = doc[start:end].text
            category = "recherche" if doc[start].lower_ in ("université", "laboratoire") else "collectivite"
            found.append((start, end, "named_place", text[0].upper() + text[1:], category))
        for ent in doc.ents:
            text = ent.text.strip()
            if (ent.label_ not in ("ORG", "LOC") or PLACEHOLDER.search(text) or text.lower() in self.ner_stopwords
                    or len(text) < 2 or text.islower()):
                continue
            if ent.label_ == "LOC":
                if ent.root.dep_ not in LOC_ROLES:
                    continue
                found.append((ent.start, ent.end, "ner_loc", text, "collectivite"))
            else:
                found.append((ent.start, ent.end, "ner_org", text, self._ner_category(text)))
        return found

    def __call__(self, doc: Doc) -> Doc:
        kept, taken = [], set()
        ordered = sorted(self._candidates(doc), key=lambda c: (-(c[1] - c[0]), PRIORITY[c[2]], c[0]))
        for start, end, rule, canonical, category in ordered:
            tokens = set(range(start, end))
            if tokens & taken or PLACEHOLDER.search(doc[start:end].text):
                continue
            if rule == "generic" and not_an_actor(doc, start, end, canonical, self.self_nouns):
                taken |= tokens  # the excluded words cannot be claimed by NER either
                continue
            taken |= tokens
            kept.append(make_span(doc, start, end, "acteur", category, canonical=canonical, rule=rule,
                                  score=SCORES[rule]))
        doc.spans["acteur"] = sorted(kept, key=lambda s: s.start)
        return doc


@Language.factory("acteur_gazetteer")
def make_acteur_gazetteer(nlp: Language, name: str) -> ActeurGazetteer:
    """spaCy factory of :class:`ActeurGazetteer`."""
    return ActeurGazetteer(nlp)
