"""Choose the passages rapporteurs should review first and lay them out as a correction sheet.

The sheet has the columns of the workbook's ``a_revoir`` sheet (``pipeline/report/excel.py``), so a
filled CSV and a filled workbook are read back the same way by ``load_training_set``.
"""
from __future__ import annotations

import pandas as pd

from pipeline.report.common import mask_contacts

SHEET_COLUMNS = ["passage_id", "texte", "axe_propose", "probabilite", "axe_2", "axe_corrige", "commentaire"]


def export_for_annotation(passages: pd.DataFrame, axes: pd.DataFrame, passage_topics: pd.DataFrame | None = None,
                          n: int = 50, exclude_ids: set[str] | frozenset = frozenset()) -> pd.DataFrame:
    """The ``n`` most useful passages to review, as a sheet to fill (``axe_corrige``, ``commentaire``).

    Usefulness = smallest margin between the two best axes, then lowest top probability. When
    ``passage_topics`` is given, the most uncertain passage of every topic comes first (while ``n``
    allows), so each theme gets at least one review. ``exclude_ids`` are passages already corrected.
    Columns: :data:`SHEET_COLUMNS`; contact details left in a text are masked, as in the workbook.
    """
    frame = axes.merge(passages[["passage_id", "text"]], on="passage_id", how="inner")
    frame = frame[~frame["passage_id"].isin(set(exclude_ids))].copy()
    frame["margin"] = frame["probability"].astype(float) - frame["probability_2"].astype(float)
    frame = frame.sort_values(["margin", "probability", "passage_id"]).reset_index(drop=True)
    chosen: list[str] = []
    if passage_topics is not None and len(frame):
        with_topic = frame.merge(passage_topics[["passage_id", "topic_key"]], on="passage_id", how="inner")
        per_topic = with_topic.drop_duplicates("topic_key", keep="first")  # already sorted by usefulness
        chosen = list(per_topic["passage_id"][:n])
    rest = [p for p in frame["passage_id"] if p not in set(chosen)]
    chosen += rest[: max(0, n - len(chosen))]
    sheet = frame.set_index("passage_id").loc[chosen].reset_index()
    sheet = sheet.sort_values(["margin", "probability"]).reset_index(drop=True)
    return pd.DataFrame({"passage_id": sheet["passage_id"].astype(str), "texte": sheet["text"].map(mask_contacts),
                         "axe_propose": sheet["axis"], "probabilite": sheet["probability"].astype(float).round(3),
                         "axe_2": sheet["axis_2"], "axe_corrige": "", "commentaire": ""}, columns=SHEET_COLUMNS)
