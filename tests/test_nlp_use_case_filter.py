"""The learned ``cas_usage_filter``: model file, features, mechanics, learned direction, training command."""
from __future__ import annotations

import json
import logging

import pytest

from pipeline.nlp.annotations import GOLD
from pipeline.nlp.train_use_case_filter import AFTER_DETECTORS, main as train_main
from pipeline.nlp.use_case_filter import MODEL_PATH, FilterModel, UseCaseFilter, span_features

from nlp_helpers import spans

USE = "Nous analysons les consommations d'eau des écoles pour détecter les fuites."
PRESENTATION = "La communauté de communes gère 12 crèches accueillant 480 enfants."


def _rule_spans(nlp, text):
    """The doc as the filter sees it in the pipeline: after the detectors, before the linker."""
    with nlp.select_pipes(disable=list(AFTER_DETECTORS)):
        return nlp(text)


def _constant_model(tmp_path, intercept):
    model = FilterModel.load(MODEL_PATH)
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    data.update(coef=[0.0] * len(model.names), intercept=intercept)
    path = tmp_path / f"constant{intercept}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_bundled_model_matches_the_rules_and_the_features(nlp):
    model = FilterModel.load(MODEL_PATH)
    data = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    # a rule added to cas_usage.yaml without retraining would get no weight: retrain the filter
    assert list(model.rules) == sorted(nlp.get_pipe("cas_usage_detector").meta)
    assert GOLD.name not in data["trained_on"] and 0.0 < model.threshold < 1.0
    doc = _rule_spans(nlp, USE)
    span = doc.spans["cas_usage"][0]
    assert list(span_features(span, list(model.rules))) == list(model.names)


def test_the_model_keeps_a_clear_use_and_drops_a_presentation(nlp):
    model = FilterModel.load(MODEL_PATH)
    use_doc, presentation_doc = _rule_spans(nlp, USE), _rule_spans(nlp, PRESENTATION)
    use, presentation = list(use_doc.spans["cas_usage"]), list(presentation_doc.spans["cas_usage"])
    assert len(use) == 1 and len(presentation) == 1  # the rules find both
    assert model.probability(use[0]) >= model.threshold > model.probability(presentation[0])
    assert spans(nlp, PRESENTATION, "cas_usage") == []  # the whole pipeline drops it
    assert [s.text for s in spans(nlp, USE, "cas_usage")] == [USE.rstrip(".")]


@pytest.mark.parametrize("intercept, kept", [(10.0, 1), (-10.0, 0)])
def test_the_threshold_decides(nlp, tmp_path, intercept, kept):
    component = UseCaseFilter(_constant_model(tmp_path, intercept))
    assert len(component(_rule_spans(nlp, USE)).spans["cas_usage"]) == kept


def test_without_a_model_file_every_rule_use_case_is_kept(nlp, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        component = UseCaseFilter(str(tmp_path / "absent.json"))
    assert "no model file" in caplog.text
    assert len(component(_rule_spans(nlp, PRESENTATION)).spans["cas_usage"]) == 1


def test_training_command_writes_a_model(tmp_path):
    out = tmp_path / "filter.json"
    assert train_main(["--train", "tests/data/nlp_dev2.jsonl", "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["trained_on"] == ["nlp_dev2.jsonl"] and 0 < data["n_positive"] < data["n_candidates"]
    assert len(data["coef"]) == len(data["features"]) == len(data["mean"])
    assert [p.name for p in tmp_path.iterdir()] == ["filter.json"]  # atomic write, no temporary left
