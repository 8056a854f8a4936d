"""Lexicons of the privacy module (YAML files in ``data/`` next to the code) and accent folding."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'"})


def _fold_char(char: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)).lower()
    return base if len(base) == 1 else char


_FOLD_TABLE: dict[int, str] = {}


def fold(text: str) -> str:
    """Lowercase ``text`` and strip accents, keeping its length (offsets stay valid)."""
    missing = {ord(c) for c in set(text)} - _FOLD_TABLE.keys()
    for code in missing:
        _FOLD_TABLE[code] = _fold_char(chr(code))
    return text.translate(_FOLD_TABLE).translate(_APOSTROPHES)


@lru_cache(maxsize=200_000)
def name_key(name: str) -> str:
    """Comparable form of a name: folded, apostrophes unified, single spaces."""
    return " ".join(fold(name).split())


def load_yaml(name: str) -> dict:
    """Read one lexicon file of ``data/``."""
    path = DATA_DIR / name
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise ValueError(f"{path}: expected a mapping of lists")
    return loaded


def _keys(values) -> frozenset[str]:
    return frozenset(name_key(str(v)) for v in values)


@dataclass(frozen=True)
class Lexicons:
    """Every word list the detectors use, folded for accent-insensitive lookups."""

    first_names: frozenset[str]
    ambiguous_first_names: frozenset[str]
    titles: frozenset[str]
    contact_cues: tuple[str, ...]
    header_cues: tuple[str, ...]
    list_cues: tuple[str, ...]
    institution_words: frozenset[str]
    institution_names: frozenset[str]
    facility_words: frozenset[str]
    job_words: frozenset[str]
    public_figures: tuple[str, ...]
    closings: frozenset[str]
    protected_line_prefixes: tuple[str, ...]
    address: dict

    def is_first_name(self, token: str, strict: bool = True) -> bool:
        """True for a first name of the lexicon ("Jean-Marc", "Émilie"); ``strict`` excludes
        the ambiguous ones (Florence, Nancy)."""
        key = name_key(token)
        return key in self.first_names or (not strict and key in self.ambiguous_first_names)


@lru_cache(maxsize=1)
def lexicons() -> Lexicons:
    """The lexicons, loaded once per process."""
    first = load_yaml("first_names.yaml")
    context = load_yaml("context.yaml")
    return Lexicons(
        first_names=_keys(first["common"]),
        ambiguous_first_names=_keys(first["ambiguous"]),
        titles=_keys(context["titles"]),
        contact_cues=tuple(sorted({str(c) for c in context["contact_cues"]}, key=len, reverse=True)),
        header_cues=tuple(sorted({str(c) for c in context["header_cues"]}, key=len, reverse=True)),
        list_cues=tuple(sorted({str(c) for c in context["list_cues"]}, key=len, reverse=True)),
        institution_words=_keys(context["institution_words"]),
        institution_names=_keys(context["institution_names"]),
        facility_words=_keys(context["facility_words"]),
        job_words=_keys(context["job_words"]),
        public_figures=tuple(str(p) for p in context["public_figures"]),
        closings=_keys(context["closings"]),
        protected_line_prefixes=tuple(str(p) for p in context["protected_line_prefixes"]),
        address=load_yaml("address.yaml"),
    )


def alternation(words) -> str:
    """A regex alternation of literal words, longest first (so "boulevard" beats "bd")."""
    return "|".join(re.escape(str(w)) for w in sorted(set(words), key=len, reverse=True))
