"""Ingestion of the project's sample corpus against its expected outcomes (pipeline/synth/sample/expected.yaml)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipeline.config import RunConfig
from pipeline.ingest import ingest
from pipeline.runner import list_raw_files
from pipeline.privacy.detect import PLACEHOLDER_RE
from pipeline.segment import segment
from pipeline.spacy_models import decode_entities

REPO = Path(__file__).resolve().parents[1]
RAW = REPO / "data" / "raw"
EXPECTED = REPO / "pipeline" / "synth" / "sample" / "expected.yaml"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+33\s?|0033\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b")


def _expected_items() -> list[dict]:
    items = []
    for entry in yaml.safe_load(EXPECTED.read_text(encoding="utf-8")):
        items.append(entry)
        stack = list(entry.get("parts", []))
        while stack:
            part = stack.pop()
            items.append(part)
            stack += part.get("parts", [])
    return items


@pytest.fixture(scope="module")
def sample():
    config = RunConfig()
    result = ingest(list_raw_files(RAW), config.ingest, config.privacy, show_progress=False)
    passages, rejects = segment(result.documents, config.segment)
    return result, passages


def test_every_raw_file_is_in_the_manifest(sample):
    result, _ = sample
    top = set(result.manifest.loc[result.manifest["parent_path"].isna(), "path"])
    on_disk = {f.path for f in list_raw_files(RAW)}
    assert top == on_disk
    assert result.manifest["status"].isin(["ok", "duplicate", "skipped", "failed"]).all()
    assert result.manifest.loc[result.manifest["status"] != "ok", "reason"].notna().all(), "every reject has a reason"


def test_formats_and_statuses_match_expectations(sample):
    result, _ = sample
    manifest = result.manifest.set_index("path")
    mismatches = []
    for item in _expected_items():
        path = "sample/" + item["path"]
        if path not in manifest.index:
            mismatches.append((path, "missing from manifest"))
            continue
        row = manifest.loc[path]
        if row["status"] != item["status"] or (item.get("format") and row["format"] != item["format"]):
            mismatches.append((path, f"{row['format']}/{row['status']} != {item.get('format')}/{item['status']}"))
    assert not mismatches, mismatches


def test_bad_inputs_are_recorded_with_clear_reasons(sample):
    result, _ = sample
    reasons = " | ".join(result.manifest["reason"].dropna())
    for expected in ("empty file", "zero-byte attachment", "encrypted PDF", "no text layer", "zip bomb",
                     "password-protected DOCX", "corrupt or truncated PDF", "same bytes as"):
        assert expected in reasons, expected


def test_contributions_metadata(sample):
    result, _ = sample
    contributions = result.contributions
    expected = {"sample/" + e["path"]: e for e in yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))}
    assert len(contributions) >= 40
    assert contributions["contribution_id"].is_unique
    assert set(contributions["language"]) >= {"fr", "en"}
    known = [(row.source_path, row.organisation_type) for row in contributions.itertuples()
             if row.source_path in expected and expected[row.source_path].get("org_type")]
    right = sum(expected[path]["org_type"] == org_type for path, org_type in known)
    assert right / len(known) >= 0.75, f"organisation type accuracy {right}/{len(known)}"
    groups = contributions["near_duplicate_group"].value_counts()
    assert (groups == 3).sum() == 2, "both template-letter campaigns are grouped, three letters each"
    assert contributions["date"].notna().mean() > 0.9


def test_passages_are_pseudonymised_slices(sample):
    result, passages = sample
    texts = dict(zip(result.documents["doc_id"], result.documents["text"]))
    for row in passages.itertuples():
        assert texts[row.doc_id][row.start:row.end] == row.text
    for text in list(result.documents["text"]) + list(result.contributions["subject"].dropna()):
        assert not EMAIL.search(text), EMAIL.search(text).group()
        assert not PHONE.search(text), PHONE.search(text).group()
    assert passages["text"].str.contains(r"\[PERSONNE_\d+\]").any()


def test_ingest_is_deterministic(sample):
    result, _ = sample
    config = RunConfig()
    again = ingest(list_raw_files(RAW), config.ingest, config.privacy, show_progress=False)
    for name in ("manifest", "contributions", "documents"):
        assert getattr(result, name).equals(getattr(again, name)), name


def test_documents_keep_the_entities_of_the_privacy_ner(sample):
    """Every document records the ORG/LOC entities found while pseudonymising, at offsets of its
    pseudonymised text; the NLP stage reuses them instead of running NER again."""
    result, _ = sample
    documents = result.documents
    assert documents["entities"].notna().all()
    surfaces = []
    for text, value in zip(documents["text"], documents["entities"]):
        for start, end, label in decode_entities(value):
            assert label in ("ORG", "LOC") and 0 <= start < end <= len(text)
            surface = text[start:end]
            assert surface.strip() == surface and not PLACEHOLDER_RE.search(surface)
            surfaces.append(surface)
    assert len(surfaces) >= 100
    assert {"DINUM", "CNIL"} & set(surfaces)
