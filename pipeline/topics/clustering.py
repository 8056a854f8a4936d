"""Clustering sizes that follow the corpus size, and the HDBSCAN guard against collapsed clusterings.

``cluster_params`` scales HDBSCAN and UMAP sizes with the logarithm of the number of items;
``guarded_hdbscan_class`` refits HDBSCAN with bounded clusters, then leaf selection, when the
default "eom" selection puts most items in one theme (``collapsed``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.config import TopicsConfig

OUTLIER = -1
MAX_MIN_SAMPLES = 5  # HDBSCAN min_samples stays small: larger values push dense regions into noise
COLLAPSE_CHECK_FROM = 1000  # below this size few topics are plausible and eom is kept
MAX_TOPIC_SHARE = 0.5  # one topic with more than this share of items = collapsed clustering
MAX_SIZE_DIVISOR = 10  # collapse fallback: no HDBSCAN cluster above n / this many items


@dataclass(frozen=True)
class ClusterParams:
    """Effective clustering parameters for one corpus size."""

    min_cluster_size: int
    min_samples: int
    n_neighbors: int
    n_components: int

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def cluster_params(n_items: int, config: TopicsConfig) -> ClusterParams:
    """Parameters growing with the logarithm of the corpus size (each overridable in the configuration).

    min_cluster_size = 3·ln n − 9 (5–40), n_neighbors = 4·ln n − 9 (5–30), min_samples =
    min_cluster_size // 2 (at most MAX_MIN_SAMPLES). A square-root rule gave 89-item minimum
    clusters and min_samples 44 on 50k passages, where HDBSCAN then found only 2 topics.
    """
    log_n = math.log(max(n_items, 2))
    mcs = config.min_cluster_size or int(np.clip(round(3 * log_n - 9), 5, 40))
    mcs = max(2, min(mcs, max(2, n_items // 2)))
    neighbours = config.n_neighbors or int(np.clip(round(4 * log_n - 9), 5, 30))
    neighbours = max(2, min(neighbours, n_items - 1))
    min_samples = config.min_samples or int(np.clip(mcs // 2, 1, MAX_MIN_SAMPLES))
    return ClusterParams(mcs, min(min_samples, mcs), neighbours, max(2, min(config.n_components, n_items - 2)))


def min_topics(n_items: int) -> int:
    """Fewest topics a corpus of this size should give before the clustering counts as collapsed."""
    return 0 if n_items < COLLAPSE_CHECK_FROM else int(round(2 * math.log10(n_items)))


def collapsed(labels: np.ndarray, n_items: int) -> bool:
    """Too few topics for the corpus size, or one topic holding more than MAX_TOPIC_SHARE of the items."""
    labels = np.asarray(labels)
    found = labels[labels != OUTLIER]
    if n_items < COLLAPSE_CHECK_FROM or len(found) == 0:
        return False
    sizes = np.bincount(found - found.min())
    return int((sizes > 0).sum()) < min_topics(n_items) or sizes.max() > MAX_TOPIC_SHARE * n_items


def guarded_hdbscan_class():
    import hdbscan

    class GuardedHDBSCAN(hdbscan.HDBSCAN):
        """HDBSCAN ("eom") that bounds cluster size, then selects leaves, when eom collapses.

        On the 5k benchmark eom gave 2 topics (one with all items); a bound of n/10 gave 38 topics
        and 7.9 % Divers after reassignment, leaf selection 50 topics and 12.8 %.
        """

        def fit(self, X, y=None):
            self.cluster_selection_method, self.max_cluster_size = "eom", 0
            super().fit(X, y)
            self.fallback_note = None
            found = len(set(self.labels_.tolist()) - {OUTLIER})
            for method, bound in (("eom", max(self.min_cluster_size + 1, len(X) // MAX_SIZE_DIVISOR)), ("leaf", 0)):
                if not collapsed(self.labels_, len(X)):
                    break
                self.cluster_selection_method, self.max_cluster_size = method, bound
                super().fit(X, y)
                self.fallback_note = (f"repli_hdbscan: {found} thème(s) en mode eom pour {len(X)} éléments, "
                                      f"{len(set(self.labels_.tolist()) - {OUTLIER})} en mode {method}"
                                      + (f" (groupes d'au plus {bound} éléments)" if bound else ""))
            return self

    return GuardedHDBSCAN
