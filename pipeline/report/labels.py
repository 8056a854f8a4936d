"""French display names of the ids found in the tables (``labels.yaml``; axis names from ``axes.yaml``)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

LABELS_FILE = Path(__file__).with_name("labels.yaml")
AXES_FILE = Path(__file__).resolve().parents[1] / "axes" / "axes.yaml"


@lru_cache(maxsize=1)
def display_labels() -> dict[str, dict[str, str]]:
    """French display names by kind (organisation_type, frein, cas_usage, axes_short, ...)."""
    labels = yaml.safe_load(LABELS_FILE.read_text(encoding="utf-8"))
    axes = dict(labels["axes_fallback"])
    if AXES_FILE.exists():
        raw = yaml.safe_load(AXES_FILE.read_text(encoding="utf-8")) or {}
        axes.update({a["id"]: a["nom"] for a in raw.get("axes", [])})
    labels["axes"] = axes
    return labels


def display_name(kind: str, key: object) -> str:
    """French name of ``key`` of a kind (``axes``, ``frein``, ``organisation_type``...); the key itself otherwise."""
    if key is None or key is pd.NA or (isinstance(key, float) and pd.isna(key)):
        return "non renseigné"
    return display_labels().get(kind, {}).get(str(key), str(key).replace("_", " "))
