"""Evaluation of the NLP stage: gold loading, span matching, shared-corpus rates."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import NlpConfig
from pipeline.nlp import evaluate

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def write_gold(path: Path) -> Path:
    items = [
        {"id": "t1", "text": "Faute de moyens, nous ne pouvons pas mettre en place un observatoire de la mobilité.",
         "mentions": [{"kind": "frein", "text": "Faute de moyens", "label": "moyens_financiers"},
                      {"kind": "cas_usage", "text": "mettre en place un observatoire de la mobilité",
                       "label": "mobilite", "status": "impossible"}], "source": "test"},
        {"id": "t2", "text": "La DINUM aide la DINUM.",
         "mentions": [{"kind": "acteur", "text": "DINUM", "label": "etat_central", "canonical": "DINUM",
                       "occurrence": 2}], "source": "test"},
        {"id": "t3", "text": "Les élus ont voté.", "mentions": [], "source": "test"},
    ]
    path.write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items) + "\n", encoding="utf-8")
    return path


def test_load_gold_resolves_offsets_and_occurrences(tmp_path):
    passages, gold = evaluate.load_gold(write_gold(tmp_path / "gold.jsonl"))
    assert list(passages["passage_id"]) == ["t1", "t2", "t3"]
    dinum = gold[gold["kind"] == "acteur"].iloc[0]
    assert (dinum["start"], dinum["end"]) == (17, 22)


def test_load_gold_rejects_spans_missing_from_the_text(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "abc", "mentions": [{"kind": "frein", "text": "zz"}]}) + "\n")
    with pytest.raises(ValueError, match="not a substring"):
        evaluate.load_gold(path)


def test_score_exact_and_overlap_per_kind_and_label():
    gold = pd.DataFrame([
        {"passage_id": "a", "kind": "frein", "start": 0, "end": 10, "label": "competences", "status": None},
        {"passage_id": "a", "kind": "frein", "start": 20, "end": 30, "label": "juridique_rgpd", "status": None},
        {"passage_id": "b", "kind": "acteur", "start": 0, "end": 5, "label": "regulateur", "status": None},
    ])
    pred = pd.DataFrame([
        {"passage_id": "a", "kind": "frein", "start": 0, "end": 10, "label": "competences", "status": None},
        {"passage_id": "a", "kind": "frein", "start": 25, "end": 40, "label": "autre", "status": None},
        {"passage_id": "a", "kind": "frein", "start": 50, "end": 60, "label": "autre", "status": None},
    ])
    table = evaluate.score(gold, pred).set_index(["mode", "kind", "label"])
    overlap = table.loc[("overlap", "frein", "(tous)")]
    assert (overlap["precision"], overlap["recall"]) == (pytest.approx(2 / 3), 1.0)
    exact = table.loc[("exact", "frein", "(tous)")]
    assert (exact["precision"], exact["recall"]) == (pytest.approx(1 / 3), 0.5)
    assert table.loc[("overlap", "frein", "juridique_rgpd"), "recall"] == 0.0
    assert table.loc[("overlap", "frein", "competences"), "f1"] == 1.0
    assert table.loc[("overlap", "acteur", "(tous)"), "recall"] == 0.0


def test_split_paragraphs_drops_headings():
    text = "Diagnostic initial\n\nLa commune manque de moyens humains.\n \nDeuxième paragraphe ici."
    assert evaluate.split_paragraphs(text) == ["La commune manque de moyens humains.", "Deuxième paragraphe ici."]


def test_cli_on_a_small_gold_file(tmp_path, capsys):
    gold = write_gold(tmp_path / "gold.jsonl")
    assert evaluate.main(["--gold", str(gold), "--shared", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr().out
    assert "frein" in out and "cas_usage" in out and "acteur" in out
    passages, gold_df = evaluate.load_gold(gold)
    from pipeline.nlp import extract_mentions

    pred, _ = extract_mentions(passages, NlpConfig())
    table = evaluate.score(gold_df, pred).set_index(["mode", "kind", "label"])
    assert table.loc[("overlap", "frein", "(tous)"), "recall"] == 1.0
    assert table.loc[("overlap", "cas_usage", "(tous)"), "recall"] == 1.0


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / evaluate.BETAGOUV).exists(), reason="shared corpora absent")
def test_problem_sections_carry_more_barriers_than_solutions():
    rates = evaluate.shared_rates(SHARED, NlpConfig())["betagouv"].set_index("group")
    assert rates.loc["probleme", "taux_frein"] > 2 * rates.loc["solution", "taux_frein"]


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / evaluate.CARNETS).exists(), reason="shared corpora absent")
def test_the_extractor_agrees_with_the_hand_judged_diary_paragraphs():
    paragraphs = evaluate.hand_judged_paragraphs(SHARED)
    assert len(paragraphs) == 200 and set(paragraphs["phase"]) == {"day1", "later"}
    table = evaluate.hand_check(paragraphs, NlpConfig()).set_index("phase")
    assert (table["precision"] >= 0.7).all() and (table["rappel"] >= 0.65).all()
    # the extractor's rates stay within 0.1 of the hand's, in both phases
    assert ((table["taux_extracteur"] - table["taux_main"]).abs() <= 0.1).all()


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / evaluate.CARNETS).exists(), reason="shared corpora absent")
def test_a_hand_judged_key_that_names_no_paragraph_is_refused(tmp_path):
    labels = tmp_path / "labels.jsonl"
    labels.write_text('{"key": "challengedata3/armentieres.md#0#999", "phase": "day1", "frein": 1}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="names no paragraph"):
        evaluate.hand_judged_paragraphs(SHARED, labels)
