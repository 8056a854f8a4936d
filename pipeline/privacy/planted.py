"""A generated test corpus with planted personal data (fictional), for tests and evaluation.

Contributions are built from the templates of ``data/planted_templates.yaml``, fictional persons
(first names of the detection lexicon and rarer ones it lacks, surnames of ``last_names.yaml``),
phone numbers in every French format, e-mails and street addresses. Each planted item is recorded
with its offsets; hard negatives (places named after persons, institutions, allow-listed public
figures) record the strings that must stay untouched.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from pipeline.privacy.lexicons import load_yaml

PHONE_FORMATS = ["0{a} {b} {c} {d} {e}", "0{a}.{b}.{c}.{d}.{e}", "0{a}{b}{c}{d}{e}", "+33 {a} {b} {c} {d} {e}",
                 "+33 (0){a} {b} {c} {d} {e}", "0033 {a} {b} {c} {d} {e}", "0{a}-{b}-{c}-{d}-{e}",
                 "+33{a}{b}{c}{d}{e}", "+33 (0) {a} {b} {c} {d} {e}", "0{a} {b}{c} {d}{e}"]


@dataclass
class Planted:
    """One planted item: ``text[start:end]`` is the personal data; ``entity`` groups mentions of
    the same person (or the same number, address, e-mail) within a contribution."""

    doc: int
    start: int
    end: int
    kind: str
    entity: str


@dataclass
class PlantedContribution:
    texts: list[str]
    items: list[Planted]
    hints: dict | None
    negatives: list[tuple[int, int, int]] = field(default_factory=list)  # (doc, start, end) to keep


class _Builder:
    """Accumulates a text piece by piece and records the planted spans."""

    def __init__(self, doc: int) -> None:
        self.doc, self.parts, self.items, self.length = doc, [], [], 0

    def add(self, text: str, kind: str | None = None, entity: str = "", core: tuple[int, int] | None = None):
        if kind:
            start, end = core if core else (0, len(text))
            self.items.append(Planted(self.doc, self.length + start, self.length + end, kind, entity))
        self.parts.append(text)
        self.length += len(text)

    def text(self) -> str:
        return "".join(self.parts)


class PlantedCorpus:
    """Generator of the planted corpus; the same ``seed`` gives the same corpus."""

    def __init__(self, seed: int = 13) -> None:
        self.rng = random.Random(seed)
        self.spec = load_yaml("planted_templates.yaml")
        first = load_yaml("first_names.yaml")["common"]
        self.first_names = [n.title() for n in first if "'" not in n]
        self.surnames = load_yaml("last_names.yaml")["surnames"]

    def person(self) -> tuple[str, str]:
        rng = self.rng
        pool = self.spec["rare_first_names"] if rng.random() < 0.25 else self.first_names
        return rng.choice(pool), rng.choice(self.surnames)

    def phone(self) -> str:
        rng = self.rng
        digits = {"a": str(rng.choice([1, 2, 3, 4, 5, 6, 7, 9]))}
        digits.update({k: f"{rng.randint(0, 99):02d}" for k in "bcde"})
        return rng.choice(PHONE_FORMATS).format(**digits)

    def email(self, person: tuple[str, str]) -> str:
        first, last = (re.sub(r"[^a-z\-]", "", _ascii(p).lower().replace(" ", "-")) for p in person)
        local = self.rng.choice([f"{first}.{last}", f"{first[0]}.{last}", f"{last}.{first}", f"{first}_{last}",
                                 f"{first[0]}{last}", "contact", "accueil.mairie"])
        domain = self.rng.choice(self.spec["domains"])
        if self.rng.random() < 0.1:
            return f"{local} (at) {domain}"
        return f"{local}@{domain}"

    def address(self) -> tuple[str, tuple[int, int]]:
        """An address and the offsets of its street part (what must be replaced)."""
        rng = self.rng
        if rng.random() < 0.12:
            street = rng.choice([f"BP {rng.randint(1, 999)}", f"CS {rng.randint(10000, 99999)}"])
        else:
            number = str(rng.randint(1, 250)) + rng.choice(["", "", "", " bis", " ter"])
            kind = rng.choice(["rue", "avenue", "boulevard", "place", "allée", "impasse", "chemin", "quai", "av."])
            street = f"{number}{rng.choice(['', ','])} {kind} {rng.choice(self.spec['street_names'])}"
        tail = rng.choice(["", f", {rng.choice(self.spec['cities'])}", f"\n{rng.choice(self.spec['cities'])}"])
        return street + tail, (0, len(street))

    def mention(self, person: tuple[str, str], full: bool = False) -> tuple[str, tuple[int, int]]:
        """A mention of ``person`` and the offsets of the name in it (titles are not personal data)."""
        first, last = person
        forms = [("", f"{first} {last}")] if full else [
            ("", f"{first} {last}"), ("", f"{first} {last}"), ("M. ", last), ("Mme ", f"{first} {last}"),
            ("Madame ", last), ("Monsieur ", f"{first} {last}"), ("", f"{last.upper()} {first}"),
            ("", f"{first} {last.upper()}")]
        title, name = self.rng.choice(forms)
        return title + name, (len(title), len(title) + len(name))

    def contribution(self, n_docs: int = 2) -> PlantedContribution:
        rng = self.rng
        persons = [self.person() for _ in range(3)]
        builders, entities = [], {}
        for doc in range(n_docs):
            builder = _Builder(doc)
            for sentence in rng.sample(self.spec["sentences"], 4) + [rng.choice(self.spec["signatures"])]:
                self._fill(builder, sentence, persons, entities)
                builder.add("\n\n")
            builders.append(builder)
        hints = None
        if rng.random() < 0.5:
            hints = {"sender_email": self.email(persons[0]).replace(" (at) ", "@")}
        return PlantedContribution([b.text() for b in builders], [i for b in builders for i in b.items], hints)

    def _fill(self, builder: _Builder, template: str, persons, entities) -> None:
        org = self.rng.choice(self.spec["organisations"])
        for piece in re.split(r"(\{[A-Z_0-9]+\})", template):
            slot = piece[1:-1] if piece.startswith("{") else None
            if slot in ("P", "PF", "P2"):
                person = persons[1] if slot == "P2" else self.rng.choice(persons[:2] if slot == "P" else persons)
                text, core = self.mention(person, full=slot == "PF")
                builder.add(text, "personne", " ".join(person), core)
            elif slot == "E":
                address = self.email(self.rng.choice(persons))
                builder.add(address, "email", address)
            elif slot in ("T", "T2"):
                number = self.phone()
                builder.add(number, "telephone", re.sub(r"\D", "", number)[-9:])
            elif slot == "A":
                text, core = self.address()
                builder.add(text, "adresse", text[core[0]:core[1]], core)
            elif slot in ("ORG", "ORG_CAP"):
                builder.add(org[0].upper() + org[1:] if slot == "ORG_CAP" else org)
            else:
                builder.add(piece)

    def negatives(self) -> PlantedContribution:
        """One contribution per hard negative sentence, with the strings that must be kept."""
        texts, keeps = [], []
        for doc, item in enumerate(self.spec["negatives"]):
            texts.append(item["text"])
            for keep in item["keep"]:
                start = item["text"].index(keep)
                keeps.append((doc, start, start + len(keep)))
        return PlantedContribution(texts, [], None, keeps)


def _ascii(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def build_planted_corpus(n_contributions: int = 40, seed: int = 13) -> tuple[list[PlantedContribution], PlantedContribution]:
    """``n_contributions`` planted contributions and the hard-negative set."""
    corpus = PlantedCorpus(seed)
    return [corpus.contribution() for _ in range(n_contributions)], corpus.negatives()
