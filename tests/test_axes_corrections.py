"""The rapporteurs' correction loop end to end: annotate -> fill ``axe_corrige`` (CSV or workbook) ->
``train-axes`` -> classify again; plus the readers of the sheets (Excel-saved CSV, workbooks, bad files)."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from pipeline.axes import classify_passages, export_for_annotation, load_model, load_training_set, model_dir, train_axes
from pipeline.axes.annotate import SHEET_COLUMNS
from pipeline.axes.commands import annotate_command, free_sheet_path, train_command
from pipeline.axes.stage import predict
from pipeline.config import load_config
from test_axes import FASTEST, _copy_examples, cache, embedder  # noqa: F401  (session fixtures of test_axes)

# The rapporteurs decide that the solar cadastre, a project many territories copy, belongs to
# "passage à l'échelle"; the model trained on the project's examples scatters these passages.
TARGET = "passage_echelle"
SOLAR = [
    "Notre cadastre solaire recense le potentiel photovoltaïque de chaque toiture de la commune.",
    "Le cadastre solaire de l'agglomération aide les habitants à estimer la production de leurs panneaux.",
    "Grâce aux données du cadastre solaire, nous avons équipé trois écoles d'ombrières photovoltaïques.",
    "Les habitants consultent en ligne le potentiel solaire de leur toit grâce au cadastre solaire.",
    "Une carte du gisement solaire des bâtiments publics a guidé nos investissements photovoltaïques.",
    "Le cadastre solaire nous a permis de prioriser les toitures des gymnases et des médiathèques.",
]
OTHERS = [
    "Nous suivons la consommation d'eau des bâtiments communaux grâce à des compteurs connectés.",
    "Le jumeau numérique de la ville sert à simuler les îlots de chaleur.",
    "Nous utilisons les données de fréquentation des bus pour adapter les horaires.",
    "La commune a cartographié les arbres d'alignement et leur état sanitaire.",
    "Notre observatoire de l'habitat croise les fichiers fonciers et les permis de construire.",
    "Les données de la mobilité douce servent à planifier les pistes cyclables.",
    "Nous n'avons pas les moyens de recruter un administrateur de données.",
    "Le coût des licences de notre logiciel de SIG pèse lourd sur le budget de la communauté de communes.",
    "Les élus connaissent mal les usages possibles de la donnée et il faudrait les former.",
    "Nos agents n'ont jamais été sensibilisés à la qualité des données qu'ils saisissent.",
    "Nous demandons une instance régionale de dialogue entre l'État et les collectivités sur la donnée.",
    "Le partage des rôles entre la région et les départements sur les données n'est pas clair.",
    "Les données de la CAF ne nous sont pas transmises à la maille communale.",
    "Le gestionnaire du réseau électrique refuse de nous communiquer les consommations par bâtiment.",
    "Les habitants craignent que les capteurs installés dans les rues servent à les surveiller.",
    "Le respect du RGPD inquiète nos services quand il s'agit de croiser des fichiers.",
    "Nous vous prions d'agréer nos salutations distinguées.",
    "Veuillez trouver ci-joint la contribution de notre syndicat mixte.",
    "Une subvention dédiée aux projets de données aiderait les petites communes.",
    "Le dispositif expérimenté dans notre département pourrait être généralisé à toute la région.",
    "Il faudrait mutualiser les outils développés par les métropoles au profit des territoires ruraux.",
    "Un référentiel commun des adresses faciliterait les échanges entre services.",
]
PARAPHRASES = [  # never shown to the model
    "Chaque propriétaire peut vérifier sur le cadastre solaire si son toit convient à des panneaux.",
    "Le potentiel photovoltaïque des toitures des écoles a été calculé avec le cadastre solaire régional.",
    "Nous aimerions disposer d'un cadastre solaire pour orienter les projets d'énergie renouvelable.",
    "La communauté de communes publie un cadastre solaire pour repérer les toitures favorables au photovoltaïque.",
]
BAD_VALUE = "énergie"


@pytest.fixture(scope="module")
def base(embedder, cache, tmp_path_factory):  # noqa: F811
    """A processed folder (passages, axes, embedding cache) classified by a model trained on the examples."""
    root = tmp_path_factory.mktemp("loop")
    annotations = _copy_examples(root / "annotations")
    train_axes(annotations, root / "models", FASTEST, embedder, cache)
    texts = SOLAR + OTHERS
    passages = pd.DataFrame({"passage_id": [f"p{i:02d}" for i in range(len(texts))], "text": texts})
    axes, _ = classify_passages(passages, FASTEST, embedder, cache, root / "models", annotations)
    processed = root / "processed"
    processed.mkdir()
    passages.to_parquet(processed / "passages.parquet")
    axes.to_parquet(processed / "axes.parquet")
    cache.save(processed / "embeddings")  # as after a run: train-axes re-embeds nothing
    paraphrases_before = predict(load_model(model_dir(root / "models")), PARAPHRASES, FASTEST, embedder, cache)
    return {"root": root, "passages": passages, "axes": axes, "paraphrases_before": list(paraphrases_before["axis"])}


def _config(base, tmp_path):
    """Run config on copies of the base folders; models go to a fresh folder, fast training settings."""
    shutil.copytree(base["root"] / "annotations", tmp_path / "annotations")
    shutil.copytree(base["root"] / "processed", tmp_path / "processed")
    config = load_config(None, annotations=tmp_path / "annotations", processed=tmp_path / "processed",
                         models=tmp_path / "models")
    return dataclasses.replace(config, axes=FASTEST)


def _fill(sheet: pd.DataFrame) -> tuple[pd.DataFrame, list[str], int]:
    """Rapporteur's edits: every solar passage not already proposed as TARGET -> TARGET; one bad value.

    Returns the filled sheet, the corrected passage ids and the sheet position of the bad row.
    """
    sheet = sheet.copy()
    solar = sheet["texte"].isin(SOLAR) & (sheet["axe_propose"] != TARGET)
    assert solar.sum() >= 4, sheet[["texte", "axe_propose"]]  # the loop must have something to correct
    sheet.loc[solar, "axe_corrige"] = TARGET
    sheet.loc[solar, "commentaire"] = "projet reproductible ailleurs"
    bad = int(sheet.index[~sheet["texte"].isin(SOLAR)][0])
    sheet.loc[bad, "axe_corrige"] = BAD_VALUE
    return sheet, list(sheet.loc[solar, "passage_id"]), bad


def _retrain_and_check(config, base, corrected: list[str], bad_id: str, bad_where: str, capsys, emb, emb_cache) -> None:
    """train-axes, then: the model learnt the corrections, paraphrases follow, the bad value was reported."""
    assert train_command(config, []) == 0
    err = capsys.readouterr().err
    assert f"ligne rejetée {bad_where} — unknown axis {BAD_VALUE!r}" in err, err
    model = load_model(model_dir(config.paths.models))
    texts = base["passages"].set_index("passage_id")["text"]
    learnt = predict(model, list(texts[corrected]), FASTEST, emb, emb_cache)
    assert (learnt["axis"] == TARGET).all(), learnt  # the model itself, without the passage_id override
    passages = pd.concat([base["passages"], pd.DataFrame({"passage_id": [f"new{i}" for i in range(len(PARAPHRASES))],
                                                          "text": PARAPHRASES})], ignore_index=True)
    axes, _ = classify_passages(passages, FASTEST, emb, emb_cache, config.paths.models, config.paths.annotations)
    axes = axes.set_index("passage_id")
    assert (axes.loc[corrected, "axis"] == TARGET).all() and (axes.loc[corrected, "probability"] == 1.0).all()
    assert axes.loc[bad_id, "probability"] < 1.0  # the bad row overrides nothing
    after = list(axes.loc[[f"new{i}" for i in range(len(PARAPHRASES))], "axis"])
    moved = [p for p, b, a in zip(PARAPHRASES, base["paraphrases_before"], after) if b != TARGET and a == TARGET]
    assert moved, list(zip(base["paraphrases_before"], after))


def test_csv_review_sheet_round_trip_retrains_the_classifier(base, embedder, cache, tmp_path, capsys):  # noqa: F811
    config = _config(base, tmp_path)
    assert annotate_command(config, []) == 0
    path = config.paths.annotations / "a_revoir.csv"
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(sheet.columns) == SHEET_COLUMNS
    assert set(sheet["passage_id"]) == set(base["passages"]["passage_id"]) and (sheet["axe_corrige"] == "").all()
    filled, corrected, bad = _fill(sheet)
    filled.to_csv(path, index=False, encoding="utf-8-sig")
    saved = path.read_bytes()
    capsys.readouterr()

    assert annotate_command(config, []) == 0  # a sheet being filled is never overwritten
    assert path.read_bytes() == saved
    out = capsys.readouterr().out
    second = config.paths.annotations / "a_revoir-2.csv"
    assert str(second) in out and "conservé" in out
    again = pd.read_csv(second, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert not set(again["passage_id"]) & set(corrected) and len(again) == len(sheet) - len(corrected)

    _retrain_and_check(config, base, corrected, filled.loc[bad, "passage_id"], f"a_revoir.csv:{bad + 2}", capsys,
                       embedder, cache)


def test_workbook_a_revoir_sheet_retrains_the_classifier(base, embedder, cache, tmp_path, capsys):  # noqa: F811
    config = _config(base, tmp_path)
    sheet = export_for_annotation(base["passages"], base["axes"], n=50)
    filled, corrected, bad = _fill(sheet)
    workbook = Workbook()
    workbook.active.title = "passages"
    workbook.active.append(["passage_id", "texte", "axe"])
    workbook.active.append(["p00", SOLAR[0], "confiance"])  # another sheet with an axis column: not read
    review = workbook.create_sheet("a_revoir")
    review.append(SHEET_COLUMNS)
    for row in filled.itertuples(index=False):
        review.append([value if value != "" else None for value in row])  # empty cells, as Excel leaves them
    review.append([None] * len(SHEET_COLUMNS))  # formatted empty row after the data
    workbook.save(config.paths.annotations / "analyse_contributions.xlsx")
    (config.paths.annotations / "~$analyse_contributions.xlsx").write_bytes(b"\x00lock")  # Excel's lock file

    training = load_training_set(config.paths.annotations)
    assert set(training.corrections["passage_id"]) == set(corrected)
    assert training.unannotated == len(filled) - len(corrected) - 1
    _retrain_and_check(config, base, corrected, filled.loc[bad, "passage_id"],
                       f"analyse_contributions.xlsx!a_revoir:{bad + 2}", capsys, embedder, cache)


def test_sheet_saved_by_a_french_excel_is_read(tmp_path):
    sheet = pd.DataFrame({"passage_id": ["p1", "p2", "p3", "p4"],
                          "texte": ["Les données de la CAF arrivent trop tard.", "Former les élus.",
                                    "Le budget manque.", "Un comité régional."],
                          "axe_propose": "confiance", "probabilite": "0,41", "axe_2": "hors_axe",
                          "axe_corrige": ["Accès données", "", "financement ", "gouvernance"],
                          "commentaire": ["vu en réunion", "", "", ""]})
    sheet.to_csv(tmp_path / "a_revoir.csv", sep=";", index=False, encoding="cp1252")
    training = load_training_set(tmp_path)
    corrections = training.corrections.set_index("passage_id")
    assert corrections.loc["p1", "text"] == "Les données de la CAF arrivent trop tard."
    assert dict(corrections["axis"]) == {"p1": "acces_donnees", "p3": "financement", "p4": "gouvernance"}
    assert training.unannotated == 1 and training.rejects.empty


def test_unusable_correction_files_are_reported(tmp_path):
    wb = Workbook()
    wb.active.title = "passages"
    wb.save(tmp_path / "sans_feuille.xlsx")
    (tmp_path / "abime.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    pd.DataFrame({"passage_id": ["p1"], "texte": ["Le budget manque."]}).to_csv(tmp_path / "corrections_x.csv", index=False)
    rejects = load_training_set(tmp_path).rejects
    reasons = dict(zip(rejects["file"], rejects["reason"]))
    assert set(reasons) == {"sans_feuille.xlsx", "abime.xlsx", "corrections_x.csv"}
    assert "no sheet 'a_revoir'" in reasons["sans_feuille.xlsx"]
    assert reasons["abime.xlsx"].startswith("unreadable workbook")
    assert "no axis column" in reasons["corrections_x.csv"]


def test_a_sheet_being_filled_is_never_replaced(tmp_path):
    target = tmp_path / "a_revoir.csv"
    assert free_sheet_path(target) == target
    blank = pd.DataFrame({c: ["x"] if c == "passage_id" else [""] for c in SHEET_COLUMNS})
    blank.to_csv(target, index=False)
    assert free_sheet_path(target) == target  # nobody started: replaced
    blank.assign(commentaire="à discuter").to_csv(target, index=False)
    assert free_sheet_path(target) == tmp_path / "a_revoir-2.csv"
    blank.assign(axe_corrige="confiance").to_csv(tmp_path / "a_revoir-2.csv", index=False)
    (tmp_path / "a_revoir-3.csv").write_text("pas une feuille\n", encoding="utf-8")
    assert free_sheet_path(target) == tmp_path / "a_revoir-4.csv"


def test_two_rapporteurs_disagreeing_the_later_file_wins_and_it_is_reported(tmp_path):
    row = {"passage_id": "p1", "texte": "Le budget manque.", "axe_propose": "hors_axe", "probabilite": 0.3,
           "axe_2": "confiance", "commentaire": None}
    pd.DataFrame([{**row, "axe_corrige": "confiance"}], columns=SHEET_COLUMNS).to_csv(tmp_path / "a_revoir.csv", index=False)
    workbook = Workbook()
    workbook.active.title = "a_revoir"
    workbook.active.append(SHEET_COLUMNS)
    workbook.active.append([{**row, "axe_corrige": "financement"}[c] for c in SHEET_COLUMNS])
    workbook.save(tmp_path / "relecture_marie.xlsx")
    training = load_training_set(tmp_path)
    assert training.corrections.to_dict("records") == [{"passage_id": "p1", "text": "Le budget manque.", "axis": "financement"}]
    assert training.examples["axis"].tolist() == ["financement"]
    [reject] = training.rejects.to_dict("records")
    assert (reject["file"], reject["line"]) == ("a_revoir.csv", 2)
    assert "'confiance' overridden by 'financement' (relecture_marie.xlsx!a_revoir:2)" in reject["reason"]
