"""Stable topic keys and the saved state of each topic model (``models/topics/<model>/``).

A directory holds the fitted BERTopic (safetensors, never pickle) under ``bertopic/``,
``registry.json`` (BERTopic index -> stable ``topic_key``, labels, words, hierarchy, metadata)
and ``centroids.safetensors`` (one unit vector per topic, rows in registry order).
"""
from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from pipeline.ids import content_hash

FORMAT_VERSION = 1


def topic_key_for(member_ids: Sequence[str]) -> str:
    """Key of a topic at creation: hash of its sorted member ids."""
    return "t-" + content_hash(*sorted(member_ids), n=12)


def divers_key(model: str) -> str:
    """The explicit 'Divers' topic of a model."""
    return f"{model}-divers"


@dataclass
class TopicEntry:
    """One topic of a model as remembered between runs."""

    key: str
    index: int | None  # BERTopic topic index; None for topics added by an update run
    label: str
    words: list[str]
    emerging: bool = False
    parent_key: str | None = None


@dataclass
class Registry:
    """Everything an update run needs to assign new items to the existing topics."""

    model: str
    embedder_id: str
    topics: list[TopicEntry]
    centroids: np.ndarray
    hierarchy: list[dict] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.topics]

    @property
    def divers_key(self) -> str:
        return divers_key(self.model)

    def save(self, directory: Path, topic_model=None) -> None:
        """Write the model directory atomically; ``topic_model`` None keeps the saved BERTopic."""
        from safetensors.numpy import save_file

        directory = Path(directory)
        tmp = directory.with_name(directory.name + ".tmp")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        if topic_model is not None:
            topic_model.save(tmp / "bertopic", serialization="safetensors", save_ctfidf=True,
                             save_embedding_model=self.embedder_id)
        elif (directory / "bertopic").is_dir():
            shutil.copytree(directory / "bertopic", tmp / "bertopic")
        save_file({"centroids": np.ascontiguousarray(self.centroids, dtype=np.float32)},
                  str(tmp / "centroids.safetensors"))
        payload = {"format_version": FORMAT_VERSION, "model": self.model, "embedder_id": self.embedder_id,
                   "divers_key": self.divers_key, "topics": [asdict(t) for t in self.topics],
                   "hierarchy": self.hierarchy, "meta": self.meta}
        (tmp / "registry.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True),
                                           encoding="utf-8")
        old = directory.with_name(directory.name + ".old")
        if old.exists():
            shutil.rmtree(old)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        if old.exists():
            shutil.rmtree(old)

    @classmethod
    def load(cls, directory: Path) -> "Registry | None":
        """The registry saved in ``directory``, or None when there is none."""
        from safetensors.numpy import load_file

        directory = Path(directory)
        path = directory / "registry.json"
        if not path.exists():
            return None
        payload = json.loads(path.read_text(encoding="utf-8"))
        if payload.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{path}: unknown registry format {payload.get('format_version')!r}")
        centroids = load_file(str(directory / "centroids.safetensors"))["centroids"]
        topics = [TopicEntry(**t) for t in payload["topics"]]
        if len(topics) != len(centroids):
            raise ValueError(f"{directory}: {len(topics)} topics but {len(centroids)} centroids")
        return cls(payload["model"], payload["embedder_id"], topics, centroids, payload.get("hierarchy", []),
                   payload.get("meta", {}))


def load_topic_model(directory: Path, backend):
    """The saved BERTopic of a model directory, with our embedder adapter as its backend."""
    from bertopic import BERTopic

    return BERTopic.load(str(Path(directory) / "bertopic"), embedding_model=backend)


def match_keys(new_centroids: np.ndarray, old: Registry | None, threshold: float,
               overlap: np.ndarray | None = None, min_score: float = 0.5) -> dict[int, str]:
    """Hungarian matching of new topics (rows) to old keys (columns); returns {new row: old key}.

    Without ``overlap`` the score is the centroid cosine similarity, kept when >= ``threshold``.
    With ``overlap`` (rows x old topics: share of the old topic's surviving items that the new
    topic holds, see :func:`member_overlap`) the score is the mean of cosine and overlap, kept when
    >= ``min_score``: a topic that kept most of its members keeps its key even if its centroid moved.
    """
    if old is None or len(old.topics) == 0 or len(new_centroids) == 0:
        return {}
    from scipy.optimize import linear_sum_assignment

    sims = new_centroids @ old.centroids.T
    if overlap is None:
        score, floor = sims, threshold
    else:
        score, floor = (np.clip(sims, 0, 1) + overlap) / 2, min_score
    rows, cols = linear_sum_assignment(-score)
    return {int(r): old.topics[c].key for r, c in zip(rows, cols) if score[r, c] >= floor}


def member_overlap(new_keys: Sequence[str], new_topics: Sequence[str], old_keys: Sequence[str],
                   old_topics: Sequence[str]) -> np.ndarray:
    """Share of each old topic's items (among items present in both runs) found in each new topic.

    ``new_keys``/``old_keys`` are per-item labels of the common items, aligned; the result has one
    row per ``new_topics`` entry and one column per ``old_topics`` entry.
    """
    new_index = {k: i for i, k in enumerate(new_topics)}
    old_index = {k: j for j, k in enumerate(old_topics)}
    counts = np.zeros((len(new_topics), len(old_topics)))
    for n, o in zip(new_keys, old_keys):
        if n in new_index and o in old_index:
            counts[new_index[n], old_index[o]] += 1
    totals = np.zeros(len(old_topics))
    for o in old_keys:
        if o in old_index:
            totals[old_index[o]] += 1
    return counts / np.maximum(totals, 1)
