"""Stable identifiers: short content hashes, identical across runs and machines."""
from __future__ import annotations

import hashlib
import re
import unicodedata

_SPACES = re.compile(r"\s+")


def content_hash(*parts: object, n: int = 16) -> str:
    """Hex prefix of the SHA-256 of the parts, joined by a separator that cannot occur in text."""
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        digest.update(data)
        digest.update(b"\x1f")
    return digest.hexdigest()[:n]


def bytes_hash(data: bytes) -> str:
    """Full SHA-256 of raw bytes (manifest checksum)."""
    return hashlib.sha256(data).hexdigest()


def text_key(text: str) -> str:
    """Normalised form of a text for identity: NFC, case-folded, whitespace collapsed."""
    normalised = unicodedata.normalize("NFC", text).casefold()
    return _SPACES.sub(" ", normalised).strip()


def doc_id_for(text: str) -> str:
    """``doc_id``: hash of the document's normalised content."""
    return "d" + content_hash(text_key(text), n=15)


def passage_id_for(doc_id: str, start: int, end: int) -> str:
    """``passage_id``: hash of the document id and the passage's offsets."""
    return "p" + content_hash(doc_id, start, end, n=15)
