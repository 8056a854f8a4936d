"""Excel workbook for rapporteurs (``export/analyse_contributions.xlsx``), one sheet per view.

The ``a_revoir`` sheet is the annotation sheet: rapporteurs fill ``axe_corrige`` (and
``commentaire``); ``train-axes`` reads the corrections back by these exact column names.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.report.cli import parse_out_and_load
from pipeline.report.common import mask_contacts
from pipeline.results import Results, display_name

REVIEW_COLUMNS = ["passage_id", "texte", "axe_propose", "probabilite", "axe_2", "axe_corrige", "commentaire"]
WIDE_COLUMNS = {"texte", "texte_passage", "extrait", "commentaire", "mots", "exemples", "problemes", "contenu"}
MAX_WIDTH, WIDE_WIDTH = 45, 90


def _org_type(series: pd.Series) -> pd.Series:
    return series.map(lambda k: display_name("organisation_type", k))


def _contributions(r: Results) -> pd.DataFrame:
    c = r.contributions
    n_passages = r.passages.groupby("contribution_id").size()
    return pd.DataFrame({"contribution_id": c["contribution_id"], "organisation": c["organisation"],
                         "type_organisation": _org_type(c["organisation_type"]), "date": c["date"],
                         "fichier": c["source_path"].where(c["organisation_type"] != "particulier", "(non affiché)"),
                         "format": c["source_format"], "langue": c["language"],
                         "n_documents": c["n_documents"],
                         "n_passages": c["contribution_id"].map(n_passages).fillna(0).astype(int),
                         "groupe_quasi_doublons": c["near_duplicate_group"], "problemes": c["problems"]})


def _passages(r: Results) -> pd.DataFrame:
    p = r.passages
    return pd.DataFrame({"passage_id": p["passage_id"], "contribution_id": p["contribution_id"],
                         "organisation": p["organisation"], "type_organisation": _org_type(p["organisation_type"]),
                         "date": p["date"], "source": p["locator"], "axe": p["axis"], "probabilite": p["probability"],
                         "axe_2": p["axis_2"], "a_revoir": p["a_revoir"], "theme": p["topic_label"],
                         "freins": p["frein"], "cas_usage": p["cas_usage"], "acteurs": p["acteurs"], "texte": p["text"]})


def _mentions(r: Results, kind: str) -> pd.DataFrame:
    m = r.mentions[r.mentions["kind"] == kind]
    topics = r.topics.set_index("topic_key")["label"]
    linked = r.mentions.set_index("mention_id")["text"]
    out = pd.DataFrame({"mention_id": m["mention_id"], "passage_id": m["passage_id"],
                        "contribution_id": m["contribution_id"], "organisation": m["organisation"],
                        "type_organisation": _org_type(m["organisation_type"]),
                        "categorie" if kind == "frein" else "domaine": m["label"].map(lambda k: display_name(kind, k)),
                        "extrait": m["text"]})
    if kind == "frein":
        out["objet"] = m["canonical"]
        out["cas_usage_lie"] = m["linked_mention_id"].map(linked)
    else:
        out["statut"] = m["status"].map(lambda k: display_name("status", k) if pd.notna(k) else "")
        out["frein_lie"] = m["linked_mention_id"].map(linked)
    out["axe"] = m["axis"]
    out["theme"] = m["topic_key"].map(topics)
    out["source"] = m["locator"]
    out["texte_passage"] = m["passage_text"]
    return out


def _themes(r: Results) -> pd.DataFrame:
    t = r.topics
    text_of = pd.concat([r.passages.set_index("passage_id")["text"], r.mentions.set_index("mention_id")["text"]])
    examples = t["representative_ids"].fillna("").map(
        lambda ids: "\n— ".join(str(text_of[i]) for i in ids.split()[:3] if i in text_of.index))
    return pd.DataFrame({"topic_key": t["topic_key"], "modele": t["model"], "libelle": t["label"], "taille": t["size"],
                         "mots": t["words"], "emergent": t["emerging"], "parent": t["parent_key"],
                         "exemples": examples.map(lambda s: f"— {s}" if s else "")})


def review_sheet(r: Results) -> pd.DataFrame:
    """Passages flagged ``a_revoir`` (least confident first), in the annotation sheet's columns."""
    p = r.passages[r.passages["a_revoir"].fillna(False).astype(bool)].sort_values(["probability", "passage_id"])
    return pd.DataFrame({"passage_id": p["passage_id"], "texte": p["text"], "axe_propose": p["axis"],
                         "probabilite": p["probability"], "axe_2": p["axis_2"], "axe_corrige": None,
                         "commentaire": None}, columns=REVIEW_COLUMNS)


def _cell_value(value: object, mask: bool = True) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", mask_contacts(value) if mask else value)
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        return round(value, 4)
    return value


def _write_sheet(wb: Workbook, name: str, df: pd.DataFrame) -> None:
    ws = wb.create_sheet(name)
    ws.append(list(df.columns))
    masked = [not (c.endswith("_id") or c == "topic_key") for c in df.columns]  # ids are kept exact
    for row_number, row in enumerate(df.itertuples(index=False), start=2):
        values = [_cell_value(v, m) for v, m in zip(row, masked)]
        ws.append(values)
        for column, value in enumerate(values, start=1):
            if isinstance(value, str) and value.startswith("="):
                ws.cell(row_number, column).data_type = "s"  # text, never a formula
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F1")
    ws.freeze_panes = "A2"
    if len(df.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(df.columns))}{max(len(df) + 1, 2)}"
    for i, column in enumerate(df.columns, start=1):
        letter = get_column_letter(i)
        if column in WIDE_COLUMNS:
            ws.column_dimensions[letter].width = WIDE_WIDTH
            wrap = Alignment(wrap_text=True, vertical="top")
            for row_number in range(2, len(df) + 2):
                ws.cell(row_number, i).alignment = wrap
        else:
            longest = max([len(str(column))] + [len(str(v)) for v in df[column].head(500).dropna()])
            ws.column_dimensions[letter].width = min(MAX_WIDTH, max(10, longest + 2))


def _readme(r: Results) -> pd.DataFrame:
    lines = [("contributions", "Une ligne par contribution (courriel et pièces jointes, ou fichier)."),
             ("passages", "Une ligne par passage analysé, avec son axe, son thème et les freins, cas d'usage et acteurs repérés."),
             ("freins", "Freins repérés : extrait verbatim, catégorie, passage d'origine."),
             ("cas_usage", "Cas d'usage repérés : domaine, statut (réalisé, en projet, impossible), frein lié."),
             ("acteurs", "Acteurs cités, par nombre de contributions."), ("co_citations", "Paires d'acteurs cités dans un même passage."),
             ("themes", "Thèmes trouvés automatiquement, avec des exemples."),
             ("a_revoir", "Passages dont l'axe est incertain : indiquez l'axe juste dans axe_corrige (identifiants : "
                          + ", ".join(r.axis_names) + ") et, si besoin, un commentaire. "
                          "Ne renommez pas les colonnes : le réentraînement du classifieur les relit.")]
    return pd.DataFrame(lines, columns=["feuille", "contenu"])


def build_workbook(results: Results, out_path: Path) -> Path:
    """Write the workbook atomically (temporary file, then rename) and return its path."""
    out_path = Path(out_path)
    wb = Workbook()
    wb.remove(wb.active)
    sheets = {"contributions": _contributions(results), "passages": _passages(results),
              "freins": _mentions(results, "frein"), "cas_usage": _mentions(results, "cas_usage"),
              "acteurs": results.actors_top(n=100000), "co_citations": results.co_citations(n=100000),
              "themes": _themes(results), "a_revoir": review_sheet(results), "lisez_moi": _readme(results)}
    for name, df in sheets.items():
        _write_sheet(wb, name, df)
    review = wb["a_revoir"]
    choices = DataValidation(type="list", formula1='"' + ",".join(results.axis_names) + '"', allow_blank=True)
    review.add_data_validation(choices)
    choices.add(f"F2:F{max(review.max_row, 2)}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    try:
        wb.save(tmp_name)
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the workbook is meant to be shared
        os.replace(tmp_name, out_path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return out_path


def command(config, argv: list[str]) -> int:
    """``python -m pipeline export [--out FILE]``: build the Excel workbook from the processed folder."""
    loaded = parse_out_and_load(config, argv, command="export", description="Classeur Excel d'analyse.",
                                out_kind="fichier", default_out=Path("export") / "analyse_contributions.xlsx")
    if loaded is None:
        return 1
    results, out_path = loaded
    path = build_workbook(results, out_path)
    print(f"Classeur écrit : {path} ({len(results.passages)} passages, {int(results.passages['a_revoir'].fillna(False).sum())} à revoir)")
    return 0
