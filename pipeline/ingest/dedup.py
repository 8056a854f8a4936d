"""Near-duplicate detection (template letters, campaigns) with MinHash over word shingles.

Exact duplicates are caught earlier by hashes; here documents whose estimated Jaccard
similarity of word shingles reaches the threshold are put in one group. Candidates come from
locality-sensitive hashing (bands of the signature), so the cost stays near-linear in the
number of documents. Groups are flagged, never dropped.
"""
from __future__ import annotations

import hashlib
import re
from typing import Sequence

import numpy as np

from pipeline.config import IngestConfig
from pipeline.ids import content_hash

_WORD = re.compile(r"\w+", re.UNICODE)
_PRIME = np.uint64((1 << 61) - 1)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _shingle_hashes(words: list[str], size: int, known: dict[str, int]) -> np.ndarray:
    """Sorted 32-bit hashes of the word ``size``-grams; ``known`` caches gram hashes across texts
    (campaign letters share most of their grams)."""
    if len(words) < size:
        grams = {" ".join(words)} if words else set()
    else:
        grams = {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}
    values = []
    for gram in grams:
        value = known.get(gram)
        if value is None:
            value = known[gram] = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest(), "little")
        values.append(value)
    return np.array(sorted(values), dtype=np.uint64)


def minhash_signatures(texts: Sequence[str], config: IngestConfig,
                       words: Sequence[list[str]] | None = None) -> np.ndarray:
    """(n, permutations) MinHash signatures; empty texts get a signature of max values.
    ``words``: the texts' casefolded words, when the caller has them already."""
    rng = np.random.default_rng(1)
    a = rng.integers(1, 1 << 31, size=config.minhash_permutations, dtype=np.uint64)
    b = rng.integers(0, 1 << 31, size=config.minhash_permutations, dtype=np.uint64)
    signatures = np.full((len(texts), config.minhash_permutations), np.iinfo(np.uint64).max, dtype=np.uint64)
    known: dict[str, int] = {}
    for row, text in enumerate(texts):
        shingles = _shingle_hashes(words[row] if words is not None else _words(text), config.shingle_size, known)
        if len(shingles):
            # a < 2^31 and shingles < 2^32: the product fits in 63 bits.
            signatures[row] = ((np.outer(shingles, a) + b) % _PRIME).min(axis=0)
    return signatures


def near_duplicate_groups(ids: Sequence[str], texts: Sequence[str], config: IngestConfig,
                          min_words: int = 30) -> dict[str, str]:
    """Map each id that has near-duplicates to a group id (``nd-`` + hash of the sorted members).

    Texts shorter than ``min_words`` are ignored: short notes are too alike to mean a campaign.
    """
    words = [_words(t) for t in texts]
    keep = [i for i, w in enumerate(words) if len(w) >= min_words]
    if len(keep) < 2:
        return {}
    signatures = minhash_signatures([texts[i] for i in keep], config, [words[i] for i in keep])
    rows_per_band = 4
    bands = config.minhash_permutations // rows_per_band
    parent = list(range(len(keep)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for band in range(bands):
        buckets: dict[bytes, list[int]] = {}
        chunk = signatures[:, band * rows_per_band:(band + 1) * rows_per_band]
        for row in range(len(keep)):
            buckets.setdefault(chunk[row].tobytes(), []).append(row)
        for members in buckets.values():
            for other in members[1:]:
                similarity = float(np.mean(signatures[members[0]] == signatures[other]))
                if similarity >= config.near_duplicate_threshold:
                    parent[find(other)] = find(members[0])
    groups: dict[int, list[str]] = {}
    for row in range(len(keep)):
        groups.setdefault(find(row), []).append(ids[keep[row]])
    result: dict[str, str] = {}
    for members in groups.values():
        if len(members) > 1:
            group_id = "nd-" + content_hash(*sorted(members), n=10)
            result.update({m: group_id for m in members})
    return result
