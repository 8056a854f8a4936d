"""Excel workbook: sheets, columns, frozen headers, filters, full passage text, review sheet."""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from pipeline.config import load_config
from pipeline.report.common import EMAIL_RE, PHONE_RE
from pipeline.report.excel import REVIEW_COLUMNS, build_workbook, command
from pipeline.results import load_results
from results_fixture import SENDER_EMAILS, build_processed

REAL_PROCESSED = Path(__file__).resolve().parents[1] / "data" / "processed"
SHEETS = ["contributions", "passages", "freins", "cas_usage", "acteurs", "themes", "a_revoir"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    processed = build_processed(tmp_path_factory.mktemp("processed"))
    results = load_results(processed)
    path = build_workbook(results, processed / "export" / "analyse_contributions.xlsx")
    return results, openpyxl.load_workbook(path)


def _rows(ws) -> list[dict]:
    header = [c.value for c in ws[1]]
    return [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]


def test_sheets_frozen_filtered_and_sized(built):
    _, wb = built
    assert set(SHEETS) <= set(wb.sheetnames)
    for name in SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        widths = [ws.column_dimensions[c.column_letter].width for c in ws[1]]
        assert all(8 <= w <= 90 for w in widths), (name, widths)


def test_passages_sheet_has_full_text_and_joins(built):
    results, wb = built
    rows = {r["passage_id"]: r for r in _rows(wb["passages"])}
    assert len(rows) == len(results.passages)
    for p in results.passages.itertuples():
        assert rows[p.passage_id]["texte"] == p.text
    caf = next(r for r in rows.values() if "CAF pour son observatoire" in r["texte"])
    assert (caf["axe"], caf["theme"], caf["freins"], caf["acteurs"]) == ("acces_donnees", "Données d'énergie et d'accès",
                                                                         "juridique_rgpd", "CAF")
    text_column = [c.column_letter for c in wb["passages"][1] if c.value == "texte"][0]
    assert wb["passages"][f"{text_column}2"].alignment.wrap_text


def test_mentions_sheets(built):
    _, wb = built
    freins = _rows(wb["freins"])
    assert {r["categorie"] for r in freins} >= {"Compétences", "Juridique et RGPD"}
    cas = {r["extrait"]: r for r in _rows(wb["cas_usage"])}
    assert cas["observatoire social"]["statut"] == "impossible"
    assert cas["observatoire social"]["frein_lie"] == "absence de convention avec la CAF"
    assert {r["acteur"] for r in _rows(wb["acteurs"])} == {"ANCT", "CAF", "CNFPT", "Enedis", "Préfecture"}
    assert any(r["emergent"] for r in _rows(wb["themes"]))


def test_review_sheet_columns_and_rows(built):
    results, wb = built
    ws = wb["a_revoir"]
    assert [c.value for c in ws[1]] == REVIEW_COLUMNS
    rows = _rows(ws)
    assert len(rows) == int(results.passages["a_revoir"].sum()) == 2
    assert [r["probabilite"] for r in rows] == sorted(r["probabilite"] for r in rows)
    assert all(r["axe_corrige"] is None and r["commentaire"] is None for r in rows)
    assert ws.data_validations.dataValidation and "gouvernance" in ws.data_validations.dataValidation[0].formula1


def test_no_personal_data_and_no_formulas(built):
    _, wb = built
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not EMAIL_RE.search(cell.value) and not PHONE_RE.search(cell.value), cell.value
                    assert cell.data_type != "f"
                    assert not any(email in cell.value for email in SENDER_EMAILS)
                    assert "Marie Leroy" not in cell.value and "marie-leroy" not in cell.value  # a private person


def test_command_writes_atomically(tmp_path):
    processed = build_processed(tmp_path / "p")
    assert command(load_config(processed=processed), []) == 0
    export = processed / "export"
    assert [p.name for p in export.iterdir()] == ["analyse_contributions.xlsx"]


@pytest.mark.skipif(not (REAL_PROCESSED / "contributions.parquet").exists(), reason="data/processed not built")
def test_real_workbook(tmp_path):
    results = load_results(REAL_PROCESSED)
    wb = openpyxl.load_workbook(build_workbook(results, tmp_path / "a.xlsx"), read_only=True)
    assert set(SHEETS) <= set(wb.sheetnames)
    assert wb["passages"].max_row == len(results.passages) + 1
