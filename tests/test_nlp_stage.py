"""The ``nlp`` stage: mentions table, rejects, offsets, links, actor network."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.config import NlpConfig
from pipeline.nlp import actor_links, extract_mentions
from pipeline.nlp.stage import mention_id
from pipeline.schemas import SCHEMAS, validate

TEXTS = {
    "p1": "Faute de moyens, nous ne pouvons pas mettre en place un observatoire de la mobilité.",
    "p2": "La DINUM et l’IGN nous accompagnent ; l'Insee  fournit\u00a0les données. Nous utilisons les données "
          "de fréquentation pour optimiser les horaires des bus.",
    "p3": "Les éditeurs de logiciels refusent de fournir un export de nos données à la Direction "
          "interministérielle du numérique et à l'IGN.",
    "p4": "   ",
    "p5": "Le conseil a voté le budget.",
}


@pytest.fixture(scope="module")
def passages():
    return pd.DataFrame({"passage_id": list(TEXTS), "text": list(TEXTS.values()),
                         "contribution_id": ["c1", "c1", "c2", "c3", "c3"]})


@pytest.fixture(scope="module")
def result(passages):
    return extract_mentions(passages, NlpConfig(batch_size=2))


def test_mentions_match_the_schema_and_ids(result):
    mentions, _ = result
    assert list(mentions.columns) == [c.name for c in SCHEMAS["mentions"].columns]
    validate(mentions, "mentions")
    for row in mentions.itertuples():
        assert row.mention_id == mention_id(row.passage_id, row.kind, row.start, row.end)
        assert row.mention_id.startswith("m") and len(row.mention_id) == 16
        assert row.kind in ("frein", "cas_usage", "acteur")
        assert 0 <= row.score <= 1


def test_offsets_are_exact_in_the_passage_text(result):
    mentions, _ = result
    assert len(mentions) >= 8
    for row in mentions.itertuples():
        assert TEXTS[row.passage_id][row.start:row.end] == row.text


def test_empty_passage_is_rejected_with_a_reason(result):
    mentions, rejects = result
    assert list(rejects.columns) == ["passage_id", "reason"]
    assert rejects.set_index("passage_id").loc["p4", "reason"] == "empty text"
    assert "p4" not in set(mentions["passage_id"])
    assert "p5" not in set(rejects["passage_id"])


def test_links_go_both_ways_between_barrier_and_impossible_use_case(result):
    mentions, _ = result
    p1 = mentions[mentions["passage_id"] == "p1"].set_index("kind")
    barrier, case = p1.loc["frein"], p1.loc["cas_usage"]
    assert case["status"] == "impossible"
    assert case["linked_mention_id"] == barrier["mention_id"]
    assert barrier["linked_mention_id"] == case["mention_id"]
    others = mentions[(mentions["passage_id"] != "p1") & mentions["linked_mention_id"].notna()]
    assert set(others["linked_mention_id"]) <= set(mentions["mention_id"])


def test_actor_canonicals_and_no_status_outside_use_cases(result):
    mentions, _ = result
    actors = mentions[mentions["kind"] == "acteur"]
    assert {"DINUM", "IGN", "INSEE", "Éditeurs de logiciels"} <= set(actors["canonical"])
    assert mentions.loc[mentions["kind"] != "cas_usage", "status"].isna().all()


def test_subsets_give_the_same_mentions(passages, result):
    mentions, _ = result
    alone, _ = extract_mentions(passages[passages["passage_id"] == "p3"], NlpConfig())
    expected = mentions[mentions["passage_id"] == "p3"].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone, expected)


def test_bad_inputs_are_recorded_not_dropped():
    bad = pd.DataFrame({"passage_id": ["a", "a", "b"], "text": ["La CNIL.", "La CNIL.", None]})
    mentions, rejects = extract_mentions(bad, NlpConfig())
    assert set(mentions["passage_id"]) == {"a"}
    reasons = dict(zip(rejects["passage_id"], rejects["reason"]))
    assert reasons["a"].startswith("duplicate") and reasons["b"].startswith("text is missing")
    with pytest.raises(ValueError, match="missing column"):
        extract_mentions(pd.DataFrame({"passage_id": ["x"]}), NlpConfig())


def test_no_passages_gives_empty_tables():
    mentions, rejects = extract_mentions(pd.DataFrame({"passage_id": [], "text": []}), NlpConfig())
    assert mentions.empty and rejects.empty
    validate(mentions, "mentions")


def test_actor_links_count_passages_and_contributions(passages, result):
    mentions, _ = result
    links = actor_links(mentions, passages)
    validate(links, "actor_links")
    assert (links["source"] < links["target"]).all()
    by_pair = links.set_index(["source", "target"])
    # DINUM and IGN: passage p2 (contribution c1) and p3 (contribution c2)
    assert by_pair.loc[("DINUM", "IGN"), "n_passages"] == 2
    assert by_pair.loc[("DINUM", "IGN"), "n_contributions"] == 2
    assert by_pair.loc[("DINUM", "INSEE"), "n_passages"] == 1
    assert ("IGN", "Éditeurs de logiciels") in by_pair.index  # code-point order
    assert actor_links(mentions[mentions["kind"] != "acteur"], passages).empty

