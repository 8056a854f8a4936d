"""Segmentation: passages are exact slices, long paragraphs are cut at sentence ends."""
import pandas as pd

from pipeline.config import SegmentConfig
from pipeline.ids import passage_id_for
from pipeline.segment import segment, segment_document

LONG = " ".join(f"La commune numéro {i} publie ses données budgétaires chaque année en open data." for i in range(30))
TEXT = f"""Question 1 : nos cas d'usage

Nous avons mis en place un tableau de bord de suivi énergétique des écoles. Il couvre 40 bâtiments.

{LONG}

Bonjour,

[Contribution fictive rédigée pour le projet]"""


def test_passages_are_slices_with_headings_and_rejects():
    passages, rejects = segment_document("d1", "c1", TEXT, SegmentConfig(max_words=120))
    assert passages, "a document with paragraphs yields passages"
    for p in passages:
        assert TEXT[p["start"]:p["end"]] == p["text"]
        assert p["passage_id"] == passage_id_for("d1", p["start"], p["end"])
        assert p["heading"] == "Question 1 : nos cas d'usage"
    assert [p["seq"] for p in passages] == list(range(len(passages)))
    assert all(p["n_words"] <= 120 for p in passages)
    long_chunks = [p for p in passages if "commune numéro" in p["text"]]
    assert len(long_chunks) >= 2 and all(p["text"].endswith(".") for p in long_chunks)
    reasons = {r["reason"] for r in rejects}
    assert any("fewer than" in r for r in reasons) and any("fictional" in r for r in reasons)
    assert not any("fictive" in p["text"] for p in passages)


def test_segment_table_is_schema_valid_and_stable():
    docs = pd.DataFrame({"doc_id": ["d1", "d2"], "contribution_id": ["c1", "c2"], "text": [TEXT, ""]})
    first, _ = segment(docs, SegmentConfig())
    second, _ = segment(docs, SegmentConfig())
    assert list(first["passage_id"]) == list(second["passage_id"])
    assert first["passage_id"].is_unique and set(first["doc_id"]) == {"d1"}
