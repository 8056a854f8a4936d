"""The command line shared by the NLP trainers refuses the gold set and files both trained on and held out."""
from __future__ import annotations

import pytest

from pipeline.nlp import train_span_tagger, train_use_case_filter
from pipeline.nlp.annotations import ANNOTATED_FILES, GOLD


@pytest.mark.parametrize("trainer", [train_use_case_filter, train_span_tagger], ids=["filter", "tagger"])
def test_gold_set_and_heldout_overlap_are_refused(trainer, tmp_path, capsys):
    with pytest.raises(SystemExit):
        trainer.main(["--train", str(GOLD), "--out", str(tmp_path / "gold.json")])
    assert "gold test set" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        trainer.main(["--train", "tests/data/nlp_dev2.jsonl", "--heldout", "tests/data/nlp_dev2.jsonl",
                      "--out", str(tmp_path / "same.json")])
    assert "both trained on and held out" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_default_training_files_are_the_dev_and_training_sets_never_the_gold():
    names = {p.name for p in ANNOTATED_FILES}
    assert GOLD.name not in names and "nlp_gold_annotator2.jsonl" not in names
    assert {"nlp_dev.jsonl", "nlp_dev4d.jsonl", "train_1.jsonl", "train_10.jsonl"} <= names
