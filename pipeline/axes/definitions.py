"""The axes of the report, read from ``axes.yaml`` next to this module."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

AXES_FILE = Path(__file__).with_name("axes.yaml")


@dataclass(frozen=True)
class Axis:
    id: str
    nom: str
    definition: str
    inclut: tuple[str, ...]
    exclut: tuple[str, ...]

    def prototype_texts(self) -> list[str]:
        """Texts whose mean embedding stands for the axis in zero-shot mode."""
        return [f"{self.nom}. {self.definition}", *self.inclut]


@lru_cache(maxsize=4)
def load_axes(path: Path = AXES_FILE) -> tuple[Axis, ...]:
    """All axes, in the order of the YAML file (``hors_axe`` last)."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    axes = tuple(Axis(a["id"], a["nom"], " ".join(a["definition"].split()),
                      tuple(a.get("inclut", ())), tuple(a.get("exclut", ()))) for a in raw["axes"])
    ids = [a.id for a in axes]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate axis ids in {ids}")
    return axes


def axis_ids() -> list[str]:
    """Ids of the axes, in file order."""
    return [a.id for a in load_axes()]
