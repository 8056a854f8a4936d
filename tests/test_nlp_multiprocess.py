"""``NlpConfig.n_process``: the project's components run in spaCy worker processes and give
exactly the same mentions as a single process."""
from __future__ import annotations

import json
import logging
import pickle
from pathlib import Path

import pandas as pd
import pytest
from spacy.tokens.underscore import Underscore

from pipeline.config import NlpConfig
from pipeline.nlp import build_nlp, extract_mentions
from pipeline.nlp.build import COMPONENTS

DEV = Path(__file__).resolve().parent / "data" / "nlp_dev.jsonl"


@pytest.fixture(scope="module")
def dev_passages() -> pd.DataFrame:
    items = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return pd.DataFrame({"passage_id": [i["id"] for i in items[:48]], "text": [i["text"] for i in items[:48]]})


def test_span_extensions_pickle_for_spawned_workers():
    """spawn/forkserver workers receive the extension state (getters, setters) by pickling."""
    build_nlp(NlpConfig())
    state = pickle.loads(pickle.dumps(Underscore.get_state()))
    span_extensions = state[1]
    assert {"canonical", "rule", "score", "status", "link"} <= set(span_extensions)
    assert pickle.loads(pickle.dumps(build_nlp(NlpConfig()).get_pipe("frein_cas_usage_linker")))


@pytest.mark.slow
def test_components_pickle_and_behave_the_same_after_unpickling():
    """The detectors carry the vocab (tens of MB): pickled once, together, as spaCy does for workers."""
    nlp = build_nlp(NlpConfig())
    clones = dict(zip(COMPONENTS, pickle.loads(pickle.dumps([nlp.get_pipe(n) for n in COMPONENTS]))))
    assert all(type(clones[n]) is type(nlp.get_pipe(n)) for n in COMPONENTS)
    text = "Les données du cadastre sont de mauvaise qualité et l'éditeur refuse de nous fournir une API."
    found = []
    for detector in (nlp.get_pipe("frein_detector"), clones["frein_detector"]):
        doc = detector(nlp(text))
        found.append([(s.start, s.end, s.label_, s._.canonical) for s in doc.spans["frein"]])
    assert len(found[0]) == 2 and found[0] == found[1]


@pytest.mark.slow
def test_two_processes_give_the_same_mentions_as_one(dev_passages, caplog):
    single, single_rejects = extract_mentions(dev_passages, NlpConfig(n_process=1, batch_size=8))
    with caplog.at_level(logging.WARNING, logger="pipeline.nlp.stage"):
        double, double_rejects = extract_mentions(dev_passages, NlpConfig(n_process=2, batch_size=8))
    # the parallel stream really ran (no batch fell back to the one-by-one retry)
    assert not [r for r in caplog.records if "nlp batch failed" in r.getMessage()]
    assert len(single) > 40 and set(single["kind"]) == {"frein", "cas_usage", "acteur"}
    assert single["linked_mention_id"].notna().any()
    pd.testing.assert_frame_equal(single.reset_index(drop=True), double.reset_index(drop=True))
    assert single_rejects.empty and double_rejects.empty


def test_worker_count_follows_the_amount_of_work(monkeypatch):
    from pipeline.nlp import stage

    monkeypatch.setattr(stage.os, "cpu_count", lambda: 2)
    assert stage.worker_count(0, 300) == 1  # a small update stays in-process
    assert stage.worker_count(0, 2500) == 2
    assert stage.worker_count(0, 50_000) == 2  # never more workers than CPUs
    assert stage.worker_count(3, 10) == 3  # an explicit setting wins


def test_worker_cut_gives_half_of_a_large_batch_to_a_worker():
    from pipeline.nlp.stage import worker_cut

    config = NlpConfig(batch_size=64)
    assert worker_cut(config.worker_from_passages - 1, config) == config.worker_from_passages - 1  # in-process
    cut = worker_cut(25_707, config)
    assert cut % 64 == 0 and 12_800 <= cut <= 12_900
    assert worker_cut(25_707, NlpConfig(worker_from_passages=0)) == 25_707  # never
    assert worker_cut(25_707, NlpConfig(n_process=2)) == 25_707  # spaCy's own workers instead


@pytest.mark.slow
def test_a_worker_process_finds_the_same_mentions(dev_passages):
    from pipeline.nlp.stage import worker_cut

    single_lemmas, split_lemmas = {}, {}
    single, _ = extract_mentions(dev_passages, NlpConfig(batch_size=8), single_lemmas)
    split_config = NlpConfig(batch_size=8, worker_from_passages=10)
    assert worker_cut(len(dev_passages), split_config) == 24  # the worker parses the second half
    split, rejects = extract_mentions(dev_passages, split_config, split_lemmas)
    assert set(split["passage_id"]) & set(dev_passages["passage_id"].iloc[24:])  # its rows came back
    pd.testing.assert_frame_equal(single.reset_index(drop=True), split.reset_index(drop=True))
    assert rejects.empty
    assert split_lemmas == single_lemmas and len(single_lemmas) >= 40  # the worker's topic lemmas came back
