"""Contribution metadata: which organisation wrote it (name, type) and in which language.

Rules and lexicons live in ``organisations.yaml`` and ``language_stopwords.yaml``. The
organisation is taken from the strongest evidence available: the signature, then the
sender's domain, then the opening of the text, then the file name; a personal mailbox
alone means "particulier". Without evidence the type is "inconnu": no guessing.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ORG_TYPES = ("commune", "intercommunalite", "departement", "region", "syndicat", "association", "entreprise",
             "etat_operateur", "particulier", "inconnu")
LANGUAGES = ("fr", "en", "de", "es", "it", "nl", "pt")
ORGANISATIONS_FILE = Path(__file__).with_name("organisations.yaml")
STOPWORDS_FILE = Path(__file__).with_name("language_stopwords.yaml")
_MIN_LANGUAGE_HITS = 2  # below this many function words the text is too short to tell
_MIN_LANGUAGE_SHARE = 0.08  # share of the words that must be function words of the winner
_WORD = re.compile(r"[^\W\d_]+")
_PROPER_TOKEN = re.compile(r"(?:[dlDL][’'])?[A-ZÉÈÊÎÔÀÂÇ][\w’'-]*$")
# A mention after a locative preposition ("située dans la région X") describes a place or a partner.
_AFTER_PREPOSITION = re.compile(
    r"\b(?:dans|avec|sur|à|au|aux|en|entre|vers|chez|et|membres? d[eu]|partenaires? d[eu])\s+$", re.IGNORECASE)
_DESCRIPTIVE = re.compile(r"((?:[a-zàâçéèêëîïôûùüÿœ-]+ ){0,7}?)(?:(?=(?:[dl][’'])?[A-ZÉÈÎ])|(\(\s*[A-Z]{2,}\s*\)))")
_NOT_IN_NAME = {"le", "la", "les", "un", "une", "est", "sont", "a", "ont", "qui", "que", "nous", "vous"}
_TOKEN = re.compile(r"[^\s,.;:!?()«»\"/]+|[,.;:!?()«»\"/]")


@dataclass(frozen=True)
class _Rules:
    name_types: tuple[tuple[str, re.Pattern], ...]
    domain_rules: tuple[tuple[re.Pattern, str, str], ...]
    known_domains: dict[str, tuple[str, str]]
    personal_domains: frozenset[str]
    text_window: int
    head_rules: tuple[tuple[re.Pattern, str, bool], ...]
    filename_rules: tuple[tuple[re.Pattern, str, str], ...]
    pattern_rules: tuple[tuple[re.Pattern, str], ...]
    particles: frozenset[str]
    rewrites: tuple[tuple[re.Pattern, str], ...]


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    raw = yaml.safe_load(ORGANISATIONS_FILE.read_text(encoding="utf-8"))
    flags = re.IGNORECASE
    for kind, _ in raw["name_types"]:
        if kind not in ORG_TYPES:
            raise ValueError(f"{ORGANISATIONS_FILE.name}: unknown organisation type {kind!r}")
    return _Rules(
        name_types=tuple((kind, re.compile(p, flags)) for kind, p in raw["name_types"]),
        domain_rules=tuple((re.compile(r["pattern"], flags), r["type"], r["name"]) for r in raw["domain_rules"]),
        known_domains={d.lower(): (v[0], v[1]) for d, v in raw["known_domains"].items()},
        personal_domains=frozenset(d.lower() for d in raw["personal_domains"]),
        text_window=int(raw["text_window"]),
        head_rules=tuple((re.compile(r"\b" + r["head"], flags), r["type"], bool(r.get("descriptive")))
                         for r in raw["text_rules"] if "head" in r),
        filename_rules=tuple((re.compile(r["pattern"], flags), r["type"], r["name"]) for r in raw["filename_rules"]),
        pattern_rules=tuple((re.compile(r["pattern"], flags), r["type"]) for r in raw["text_rules"] if "pattern" in r),
        particles=frozenset(raw["name_particles"]),
        rewrites=tuple((re.compile(p, flags), r) for p, r in raw["name_rewrites"]),
    )


def organisation_type(name: str) -> str:
    """Type of an organisation from its name ("Communauté de communes ..." -> intercommunalite)."""
    for kind, pattern in _rules().name_types:
        if pattern.search(name):
            return kind
    return "inconnu"


def _title(slug: str) -> str:
    """'montreuil-sur-loire' -> 'Montreuil-sur-Loire' (particles stay lower-case)."""
    particles = _rules().particles
    parts = re.split(r"([-\s])", slug)
    return "".join(p if p in "- " or (p in particles and i) else p[:1].upper() + p[1:] for i, p in enumerate(parts))


def _from_domain(sender_email: str | None) -> tuple[str | None, str] | None:
    """(name, type) from the sender's domain, None when the domain says nothing."""
    if not sender_email or "@" not in sender_email:
        return None
    domain = sender_email.rsplit("@", 1)[1].strip().lower().rstrip(".>")
    rules = _rules()
    labels = domain.split(".")
    for i in range(len(labels) - 1):  # the domain itself, then its parents
        known = rules.known_domains.get(".".join(labels[i:]))
        if known:
            return known
    return _from_slug_rules(rules.domain_rules, domain)


def _from_slug_rules(rules: tuple[tuple[re.Pattern, str, str], ...], value: str) -> tuple[str, str] | None:
    """(name, type) from the first rule matching ``value`` (a domain or a file-name part)."""
    for pattern, kind, template in rules:
        match = pattern.match(value)
        if match:
            values = match.groupdict()
            name = template.format(slug=_title(values.get("slug") or ""), code=(values.get("code") or "").upper(),
                                   domain=value)
            return name, kind
    return None


def _proper_name(rest: str) -> str:
    """Capitalised words (with particles between them) at the start of ``rest``."""
    particles = _rules().particles
    tokens: list[str] = []
    pending: list[str] = []
    for match in _TOKEN.finditer(rest[:160].split("\n", 1)[0]):
        token = match.group()
        if token in "«\"" and not tokens:
            continue
        if _PROPER_TOKEN.match(token):
            tokens += pending + [token]
            pending = []
        elif token.lower().rstrip("’'") in particles and len(pending) < 2:
            pending.append(token)
        else:
            break
        if len(tokens) >= 8:
            break
    return " ".join(tokens).replace("’ ", "’").replace("' ", "'")


def _describes_a_place(text: str, start: int) -> bool:
    return bool(_AFTER_PREPOSITION.search(text[max(0, start - 20):start]))


def _descriptive_name(rest: str) -> str:
    """Lower-case words then a proper name or an acronym: "transports du bassin d'Orme"."""
    match = _DESCRIPTIVE.match(rest[:200].split("\n", 1)[0])
    if not match or _NOT_IN_NAME & set(match.group(1).split()):
        return ""
    lead = match.group(1)
    if match.group(2):  # "(RDTL)": the lower-case words are the whole name
        return lead.strip()
    proper = _proper_name(rest[len(lead):])
    return f"{lead}{proper}" if proper else ""


def _from_text(text: str) -> tuple[str | None, str] | None:
    """(name or None, type) from the earliest mention in ``text`` not governed by a preposition.

    A mention nested in the name of the earliest one ("le syndicat mixte du Parc naturel
    régional des ...") is more specific and wins.
    """
    found: list[tuple[int, int, str | None, str]] = []
    for pattern, kind, descriptive in _rules().head_rules:
        for match in pattern.finditer(text):
            rest = text[match.end():]
            proper = (_descriptive_name(rest) if descriptive else "") or _proper_name(rest)
            if proper and not _describes_a_place(text, match.start()):
                head = re.sub(r"^(?:la |le |l’|l')", "", match.group(), flags=re.IGNORECASE)
                name = head[:1].upper() + head[1:] + ("" if head.endswith(("’", "'", " ")) else " ") + proper
                found.append((match.start(), match.end() + len(proper), name, kind))
    for pattern, kind in _rules().pattern_rules:
        for match in pattern.finditer(text):
            if not _describes_a_place(text, match.start()):
                found.append((match.start(), match.end(), match.groupdict().get("name"), kind))
    if not found:
        return None
    found.sort(key=lambda item: (item[0], -item[1]))
    first = found[0]
    nested = [f for f in found[1:] if f[0] < first[1] and f[2]]
    _, _, name, kind = nested[0] if nested else first
    return name, kind


def _words(name: str) -> set[str]:
    """Accent-free lower-case words of a name, for comparing two spellings."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return set(re.findall(r"[a-z0-9]+", plain))


def _canonical(name: str | None) -> str | None:
    for pattern, replacement in _rules().rewrites:
        name = pattern.sub(replacement, name) if name else name
    return name


def infer_organisation(sender_email: str | None, signature_org: str | None, text: str,
                       filename: str | None = None) -> tuple[str | None, str, str]:
    """Organisation name (or None), type (one of ``ORG_TYPES``) and the evidence used.

    Evidence, strongest first: "signature", "domain", "text", "filename"; "none" when
    nothing was found. A personal mailbox with no other evidence gives "particulier".
    Names get the canonical forms of ``organisations.yaml`` ("Mairie de X" -> "Commune de X").
    """
    name, kind, evidence = _infer(sender_email, signature_org, text, filename)
    return _canonical(name), kind, evidence


def _infer(sender_email: str | None, signature_org: str | None, text: str,
           filename: str | None) -> tuple[str | None, str, str]:
    domain = _from_domain(sender_email)
    if signature_org:
        kind = organisation_type(signature_org)
        if kind != "inconnu" or not domain:
            return signature_org, kind, "signature"
        # a service name ("Direction du numérique") without a type: the domain names the body
    text_hit = _from_text(text[: _rules().text_window]) if text else None
    if domain:
        if text_hit and text_hit[0] and text_hit[1] == domain[1] and _words(domain[0]) <= _words(text_hit[0]):
            return text_hit[0], domain[1], "domain"  # same body, spelled as its author writes it
        return domain[0], domain[1], "domain"
    if text_hit:
        return text_hit[0], text_hit[1], "text"
    if filename:
        stem = Path(filename).stem
        file_hit = _from_text(re.sub(r"[_.]+", " ", stem))
        if file_hit and file_hit[0]:
            return file_hit[0], file_hit[1], "filename"
        for part in stem.lower().split("_"):
            slug_hit = _from_slug_rules(_rules().filename_rules, part)
            if slug_hit:
                return slug_hit[0], slug_hit[1], "filename"
    if sender_email and sender_email.rsplit("@", 1)[-1].lower() in _rules().personal_domains:
        return None, "particulier", "domain"
    return None, "inconnu", "none"


@lru_cache(maxsize=1)
def _stopwords() -> dict[str, frozenset[str]]:
    raw = yaml.safe_load(STOPWORDS_FILE.read_text(encoding="utf-8"))
    return {lang: frozenset(str(w).lower() for w in raw[lang]) for lang in LANGUAGES}


def detect_language(text: str) -> str:
    """Language code among ``LANGUAGES`` by function-word counts, "und" when unsure.

    Deterministic and fast: only the first 5,000 characters are read. A tie between the
    two best languages, too few function words, or too small a share gives "und".
    """
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    if not words:
        return "und"
    counts = Counter(words)
    scores = sorted(((sum(counts[w] for w in stop if w in counts), lang) for lang, stop in _stopwords().items()),
                    reverse=True)
    (best, lang), (second, _) = scores[0], scores[1]
    if best < _MIN_LANGUAGE_HITS or best == second or best / len(words) < _MIN_LANGUAGE_SHARE:
        return "und"
    return lang
