"""NER runs once: the NLP stage reuses the entities found at ingestion (pipeline.nlp.given_entities)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import NlpConfig
from pipeline.nlp import extract_mentions
from pipeline.nlp.given_entities import entities_as_ingested, passage_entities
from pipeline.spacy_models import decode_entities, encode_entities

DATA = Path(__file__).parent / "data"
SAMPLE = Path(__file__).parent.parent / "data" / "raw" / "sample"


@pytest.fixture(scope="module")
def dev_passages() -> pd.DataFrame:
    """The NLP dev passages and the paragraphs of the sample corpus's plain-text contributions
    (these name many organisations and places)."""
    rows = [json.loads(line) for name in ("nlp_dev.jsonl", "nlp_dev2.jsonl")
            for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    for path in sorted([*SAMPLE.glob("*.txt"), *SAMPLE.glob("*.md")]):
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # the sample corpus holds a Windows-1252 file on purpose
            text = data.decode("cp1252")
        texts += [p.strip() for p in text.split("\n\n") if len(p.split()) >= 3]
    return pd.DataFrame({"passage_id": [f"p{i:03d}" for i in range(len(texts))], "text": texts})


def test_given_entities_give_the_mentions_ner_gives(dev_passages):
    """On passages that are whole documents, the ingest entities give nearly all the actors of the NLP
    stage's own NER run, and so nearly all its barriers and use cases (the span tagger reads where the
    actors are). (Ingestion runs the NER without the parser, so an entity may run across a line end
    where the parser would have put a sentence boundary.)"""
    computed, _ = extract_mentions(dev_passages, NlpConfig())
    given_passages = dev_passages.assign(entities=entities_as_ingested(dev_passages["text"].tolist()))
    given, _ = extract_mentions(given_passages, NlpConfig())
    assert len(dev_passages) >= 300
    key = ["passage_id", "kind", "start", "end", "canonical", "label", "status"]

    def rows(frame, actors):
        return set(map(tuple, frame.loc[(frame["kind"] == "acteur") == actors, key].astype(str).to_numpy().tolist()))

    actors = [rows(frame, True) for frame in (computed, given)]
    assert len(actors[0]) >= 150 and (computed["rule"].isin(["ner_org", "ner_loc"])).sum() >= 5
    assert len(actors[0] ^ actors[1]) <= 0.02 * len(actors[0])
    others = [rows(frame, False) for frame in (computed, given)]
    assert len(others[0]) >= 300 and len(others[0] ^ others[1]) <= 0.01 * len(others[0])


def test_ner_does_not_run_when_entities_are_given():
    text = "Nous travaillons avec Zorglub Conseil et la Banque des Territoires depuis 2021 à Brest."
    passages = pd.DataFrame({"passage_id": ["p1", "p2", "p3"], "text": [text] * 3,
                             "entities": [encode_entities([(22, 37, "ORG")]), encode_entities([]), None]})
    mentions, rejects = extract_mentions(passages, NlpConfig())
    assert rejects.empty
    ner_actors = mentions[mentions["rule"].str.startswith("ner")]
    by_passage = {pid: sorted(group["text"]) for pid, group in ner_actors.groupby("passage_id")}
    assert by_passage.get("p1") == ["Zorglub Conseil"], "the given entity, and nothing the NER would add"
    assert "p2" not in by_passage, "no entity given: no NER actor"
    assert by_passage.get("p3"), "no entities recorded (null): NER runs"
    gazetteer = mentions[mentions["rule"] == "gazetteer"].groupby("passage_id")["canonical"].apply(set)
    assert gazetteer["p1"] == gazetteer["p2"] == gazetteer["p3"], "the other components are unchanged"


def test_passage_entities_are_sliced_from_their_document():
    text = "La DINUM et Lyon.\n\nLe Cerema à Brest, avec la Région Bretagne."
    documents = pd.DataFrame({"doc_id": ["d1", "d2"], "text": [text, "Sans NER."],
                              "entities": [encode_entities([(3, 8, "ORG"), (12, 16, "LOC"), (15, 22, "ORG"),
                                                            (22, 28, "ORG"), (31, 36, "LOC")]), None]})
    passages = pd.DataFrame({"passage_id": ["p1", "p2", "p3"], "doc_id": ["d1", "d1", "d2"],
                             "start": [0, 19, 0], "end": [17, 62, 9]})
    found = passage_entities(passages, documents)
    first, second = decode_entities(found[0]), decode_entities(found[1])
    assert [(text[s:e], label) for s, e, label in first] == [("DINUM", "ORG"), ("Lyon", "LOC")]
    assert [(text[19:62][s:e], label) for s, e, label in second] == [("Cerema", "ORG"), ("Brest", "LOC")]
    assert found[2] is None, "a document without recorded entities leaves its passages to the NER"
