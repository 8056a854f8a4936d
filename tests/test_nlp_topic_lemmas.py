"""The NLP parse gives the topic lemmatiser's entries (pipeline.nlp.topic_lemmas): passages are parsed once."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.config import NlpConfig
from pipeline.nlp import extract_mentions
from pipeline.topics import french
from pipeline.topics.french import Lemmatiser

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def dev_passages() -> pd.DataFrame:
    rows = [json.loads(line) for name in ("nlp_dev.jsonl", "nlp_dev2.jsonl")
            for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["text"] for r in rows]
    # one passage with pseudonymisation placeholders, as the passages table holds them
    texts.append("Contact : [PERSONNE_1] ([EMAIL_1]), chargée de mission données à la métropole.")
    return pd.DataFrame({"passage_id": [f"p{i:03d}" for i in range(len(texts))], "text": texts})


def test_entries_are_those_the_topic_lemmatiser_computes(dev_passages):
    """Same (lemmas, surface, phrases) as the lemmatiser's own parse, for every passage without placeholders."""
    found: dict = {}
    extract_mentions(dev_passages, NlpConfig(), found)
    texts = dev_passages["text"].tolist()
    plain = [t for t in texts if not french._PLACEHOLDER.search(t)]
    reference = Lemmatiser()
    reference.lemmatise(plain)
    keys = reference._keys(plain)
    assert len(plain) >= 100 and set(found) == set(keys)
    differing = [k for k in keys if found[k] != reference.cache[k]]
    assert differing == []
    assert any("donnée" in found[k][0].split() for k in keys)


def test_topics_find_the_passages_lemmatised(dev_passages, monkeypatch):
    """Once the NLP entries are in its cache, the lemmatiser parses only the placeholder passage."""
    found: dict = {}
    extract_mentions(dev_passages, NlpConfig(), found)
    lemmatiser = Lemmatiser(dict(found))
    parsed: list[str] = []
    real = french._lemma_docs
    monkeypatch.setattr(french, "_lemma_docs", lambda texts: parsed.extend(texts) or real(texts))
    lemmas, _ = lemmatiser.lemmatise(dev_passages["text"].tolist())
    assert parsed == [french.strip_placeholders(dev_passages["text"].iloc[-1])]
    assert "PERSONNE" not in lemmas[-1].upper() and "métropole" in lemmas[-1].split()
