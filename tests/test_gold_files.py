"""Format checks for the hand-written evaluation data.

* ``data/gold/nlp_gold.jsonl``: gold mentions (frein, cas_usage, acteur) for the NLP stage.
* ``tests/data/nlp_dev2.jsonl``, ``nlp_dev3a/b/c.jsonl``: independently written development sets in the
  same format (dev3c: whole paragraphs of mostly neutral contribution text with sparse mentions).
* ``data/annotations/heldout/*.jsonl``: axis held-out sets in three writing styles.

The annotation guide is ``data/gold/README.md``; the label sets below are the ones it defines.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "data" / "gold" / "nlp_gold.jsonl"
DEV2 = REPO / "tests" / "data" / "nlp_dev2.jsonl"
DEV3 = {part: REPO / "tests" / "data" / f"nlp_dev3{part}.jsonl" for part in "abc"}
DEV4 = {part: REPO / "tests" / "data" / f"nlp_dev4{part}.jsonl" for part in "abcd"}
TRAIN_DIR = REPO / "data" / "annotations" / "nlp"
SECOND_ANNOTATOR = REPO / "data" / "gold" / "nlp_gold_annotator2.jsonl"
HELDOUT_DIR = REPO / "data" / "annotations" / "heldout"

LABELS = {
    "frein": {
        "disponibilite_donnees", "qualite_donnees", "circulation_partage", "competences",
        "moyens_financiers", "juridique_rgpd", "editeurs_logiciels", "gouvernance_organisation",
        "infrastructure_technique", "confiance_citoyens", "autre",
    },
    "cas_usage": {
        "energie", "mobilite", "eau_assainissement", "dechets", "urbanisme_foncier",
        "environnement_biodiversite", "social_solidarites", "education_enfance", "sante",
        "securite_tranquillite", "tourisme_culture", "finances_budget",
        "services_publics_relation_usager", "autre",
    },
    "acteur": {
        "etat_central", "operateur_etat", "regulateur", "collectivite", "reseau", "entreprise",
        "societe_civile", "recherche", "autre",
    },
}
STATUSES = {"realise", "en_projet", "impossible"}
AXES = {"gouvernance", "acces_donnees", "passage_echelle", "acculturation", "financement", "confiance", "hors_axe"}
STYLES = ("recommandations_formelles", "reponses_courtes_email", "rapports_terrain")
MIN_PER_LABEL = 5
MIN_GOLD_PASSAGES = 170
MIN_PASSAGES_WITHOUT_FREIN = 30
MIN_PER_AXIS_AND_STYLE = 10

# Mention files checked by the same format tests, with their own size requirements.
ANNOTATED_FILES = {
    "gold": {
        "path": GOLD, "source": "gold-v1", "min_passages": MIN_GOLD_PASSAGES,
        "min_per_label": {kind: MIN_PER_LABEL for kind in LABELS},
        "min_per_status": {status: MIN_PER_LABEL for status in STATUSES},
        "min_without_frein": MIN_PASSAGES_WITHOUT_FREIN,
    },
    "dev2": {
        "path": DEV2, "source": "dev-v2", "min_passages": 140,
        "min_per_label": {"frein": 6, "cas_usage": 4, "acteur": 4},
        "min_per_status": {"realise": 5, "en_projet": 20, "impossible": 15},
        "min_without_frein": MIN_PASSAGES_WITHOUT_FREIN,
    },
    # three more independent hands: formal contributions (a), e-mails / minutes / field notes (b), whole
    # paragraphs of mostly neutral contribution text with sparse mentions (c)
    **{f"dev3{part}": {
        "path": DEV3[part], "source": f"dev-v3{part}", "min_passages": 100 if part == "c" else 120,
        "min_per_label": {kind: 3 if part == "c" else 4 for kind in LABELS},
        "min_per_status": {status: 6 if part == "c" else 10 for status in STATUSES},
        "min_without_frein": 39 if part == "c" else 40, "hard_negative_words": ("manque",),
    } for part in "abc"},
    # four more hands (stop 14), the held-out sets of the learned tagger: formal paragraphs (a), whole sparse
    # paragraphs (b), e-mails / minutes / PDF extracts (c), answers to the call's questions 2-4 (d)
    **{f"dev4{part}": {
        "path": DEV4[part], "source": f"dev-v4{part}", "min_passages": 100,
        "min_per_label": {kind: 3 for kind in LABELS},
        "min_per_status": {status: 10 for status in STATUSES},
        "min_without_frein": 30, "hard_negative_words": ("manque",),
    } for part in "abcd"},
    # training sets of the learned components, one hand each (data/annotations/nlp/)
    **{path.stem: {
        "path": path, "source": "train-" + path.stem.split("_")[1], "min_passages": 100,
        "min_per_label": {kind: 3 for kind in LABELS},
        "min_per_status": {status: 10 for status in STATUSES},
        "min_without_frein": 20, "hard_negative_words": (),
    } for path in sorted(TRAIN_DIR.glob("train_*.jsonl"))},
    # the gold passages annotated a second time by a hand that had not seen the gold mentions
    "gold_annotator2": {
        "path": SECOND_ANNOTATOR, "source": "gold-v1-annotator2", "min_passages": MIN_GOLD_PASSAGES,
        "min_per_label": {kind: 3 for kind in LABELS},
        "min_per_status": {status: MIN_PER_LABEL for status in STATUSES},
        "min_without_frein": MIN_PASSAGES_WITHOUT_FREIN,
    },
}

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE_RE = re.compile(r"(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}")


def read_jsonl(path: Path) -> list[dict]:
    """Parse a JSONL file, failing with the line number on a malformed line."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            pytest.fail(f"{path.name}:{number}: invalid JSON ({error})")
    return rows


def span_start(text: str, span: str, occurrence: int) -> int:
    """Start offset of the occurrence-th match of span (successive str.find from previous start + 1), or -1."""
    position = -1
    for _ in range(occurrence):
        position = text.find(span, position + 1)
        if position == -1:
            return -1
    return position


def count_matches(text: str, span: str) -> int:
    """Number of (possibly overlapping) substring matches of span in text."""
    count, position = 0, text.find(span)
    while position != -1:
        count += 1
        position = text.find(span, position + 1)
    return count


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    assert GOLD.exists(), f"missing {GOLD}"
    return read_jsonl(GOLD)


@pytest.fixture(scope="module")
def dev_sets() -> list[dict]:
    """Rows of the independently written development and training sets (all but the gold and its second
    annotation, which share the gold's ids and texts)."""
    paths = [spec["path"] for name, spec in ANNOTATED_FILES.items() if name not in ("gold", "gold_annotator2")]
    assert all(p.exists() for p in paths), f"missing one of {paths}"
    return [row for path in paths for row in read_jsonl(path)]


@pytest.fixture(scope="module", params=sorted(ANNOTATED_FILES))
def annotated(request) -> tuple[dict, list[dict]]:
    """(spec, rows) for each mention file; the format tests below run once per file."""
    spec = ANNOTATED_FILES[request.param]
    assert spec["path"].exists(), f"missing {spec['path']}"
    return spec, read_jsonl(spec["path"])


@pytest.fixture(scope="module")
def heldout() -> dict[str, list[dict]]:
    return {style: read_jsonl(HELDOUT_DIR / f"{style}.jsonl") for style in STYLES}


def test_gold_record_shape(annotated):
    spec, gold = annotated
    problems = []
    for row in gold:
        if set(row) != {"id", "text", "mentions", "source"}:
            problems.append(f"{row.get('id')}: keys {sorted(row)}")
        if row.get("source") != spec["source"]:
            problems.append(f"{row.get('id')}: source {row.get('source')!r}")
        if not isinstance(row.get("text"), str) or not row["text"].strip():
            problems.append(f"{row.get('id')}: empty text")
        if not isinstance(row.get("mentions"), list):
            problems.append(f"{row.get('id')}: mentions is not a list")
    assert not problems, problems


def test_gold_ids_unique_and_size(annotated):
    spec, gold = annotated
    ids = [row["id"] for row in gold]
    duplicates = [i for i, n in Counter(ids).items() if n > 1]
    assert not duplicates, duplicates
    assert len(gold) >= spec["min_passages"]
    texts = Counter(row["text"] for row in gold)
    assert not [t for t, n in texts.items() if n > 1], "duplicate passage texts"


def test_every_span_is_found_at_its_occurrence(annotated):
    _, gold = annotated
    problems = []
    for row in gold:
        text = row["text"]
        for mention in row["mentions"]:
            span = mention["text"]
            matches = count_matches(text, span)
            occurrence = mention.get("occurrence", 1)
            if span != span.strip() or not span:
                problems.append(f"{row['id']}: span with outer whitespace {span!r}")
            if matches == 0:
                problems.append(f"{row['id']}: span not in text {span!r}")
            elif matches > 1 and "occurrence" not in mention:
                problems.append(f"{row['id']}: {span!r} occurs {matches} times but has no occurrence")
            elif "occurrence" in mention and (matches == 1 or not 1 <= occurrence <= matches):
                problems.append(f"{row['id']}: bad occurrence {occurrence} for {span!r} ({matches} matches)")
            elif span_start(text, span, occurrence) < 0:
                problems.append(f"{row['id']}: occurrence {occurrence} of {span!r} not found")
    assert not problems, problems


def test_mention_fields_and_labels(annotated):
    _, gold = annotated
    problems = []
    allowed_keys = {"kind", "text", "label", "canonical", "status", "occurrence"}
    for row in gold:
        for m in row["mentions"]:
            where = f"{row['id']}: {m.get('text')!r}"
            if not {"kind", "text", "label", "canonical", "status"} <= set(m) <= allowed_keys:
                problems.append(f"{where}: keys {sorted(m)}")
                continue
            if m["kind"] not in LABELS:
                problems.append(f"{where}: kind {m['kind']!r}")
                continue
            if m["label"] not in LABELS[m["kind"]]:
                problems.append(f"{where}: label {m['label']!r} not allowed for {m['kind']}")
            if m["kind"] == "cas_usage":
                if m["status"] not in STATUSES:
                    problems.append(f"{where}: status {m['status']!r}")
                if m["canonical"] is not None:
                    problems.append(f"{where}: cas_usage has a canonical")
            elif m["status"] is not None:
                problems.append(f"{where}: status on a {m['kind']}")
            if m["kind"] == "acteur" and not m["canonical"]:
                problems.append(f"{where}: acteur without canonical")
            if m["canonical"] is not None and (not isinstance(m["canonical"], str) or not m["canonical"].strip()):
                problems.append(f"{where}: canonical must be null or a non-empty string")
    assert not problems, problems


def test_no_duplicate_mentions(annotated):
    _, gold = annotated
    problems = []
    for row in gold:
        keys = Counter((m["kind"], m["text"], m.get("occurrence", 1)) for m in row["mentions"])
        problems += [f"{row['id']}: {k}" for k, n in keys.items() if n > 1]
    assert not problems, problems


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_every_label_has_enough_examples(annotated, kind):
    spec, gold = annotated
    minimum = spec["min_per_label"][kind]
    counts = Counter(m["label"] for row in gold for m in row["mentions"] if m["kind"] == kind)
    too_few = {label: counts[label] for label in LABELS[kind] if counts[label] < minimum}
    assert not too_few, f"{spec['path'].name} {kind}: labels under {minimum} examples: {too_few}"


def test_every_status_is_represented(annotated):
    spec, gold = annotated
    counts = Counter(m["status"] for row in gold for m in row["mentions"] if m["kind"] == "cas_usage")
    assert all(counts[s] >= spec["min_per_status"][s] for s in STATUSES), counts


def test_enough_passages_without_barrier(annotated):
    spec, gold = annotated
    without = [row for row in gold if not any(m["kind"] == "frein" for m in row["mentions"])]
    assert len(without) >= spec["min_without_frein"]
    # hard negatives: barrier-looking words used without a barrier
    for word in spec.get("hard_negative_words", ("manque", "cadastre")):
        assert any(word in row["text"] for row in without), word


def test_hard_negative_acronyms_are_not_actors(annotated):
    """Acronym-like letters inside words (cadastre, signalement) must never be acteur spans."""
    _, gold = annotated
    for row in gold:
        for m in row["mentions"]:
            if m["kind"] != "acteur":
                continue
            start = span_start(row["text"], m["text"], m.get("occurrence", 1))
            end = start + len(m["text"])
            before = row["text"][start - 1] if start > 0 else " "
            after = row["text"][end] if end < len(row["text"]) else " "
            assert not before.isalnum() and not after.isalnum(), f"{row['id']}: {m['text']!r} cuts a word"


@pytest.mark.parametrize("style", STYLES)
def test_heldout_file_is_valid(heldout, style):
    rows = heldout[style]
    problems = []
    for row in rows:
        if set(row) != {"id", "text", "axis", "source"}:
            problems.append(f"{row.get('id')}: keys {sorted(row)}")
            continue
        if row["axis"] not in AXES:
            problems.append(f"{row['id']}: axis {row['axis']!r}")
        if row["source"] != f"heldout-{style}":
            problems.append(f"{row['id']}: source {row['source']!r}")
        if not row["text"].strip():
            problems.append(f"{row['id']}: empty text")
    assert not problems, problems
    counts = Counter(row["axis"] for row in rows)
    too_few = {axis: counts[axis] for axis in AXES if counts[axis] < MIN_PER_AXIS_AND_STYLE}
    assert not too_few, f"{style}: axes under {MIN_PER_AXIS_AND_STYLE}: {too_few}"


def test_heldout_styles_keep_their_shape(heldout):
    for row in heldout["rapports_terrain"]:
        words = len(row["text"].split())
        assert 80 <= words <= 180, f"{row['id']}: {words} words"
    for row in heldout["reponses_courtes_email"]:
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", row["text"]) if re.search(r"\w", s)]
        assert 1 <= len(sentences) <= 3, f"{row['id']}: {len(sentences)} sentences"
    recommendations = [row for row in heldout["recommandations_formelles"] if row["axis"] != "hors_axe"]
    assert all(row["text"].startswith("Recommandation n°") for row in recommendations)


def test_ids_and_texts_unique_across_all_files(gold, dev_sets, heldout):
    rows = gold + dev_sets + [row for rows in heldout.values() for row in rows]
    ids = Counter(row["id"] for row in rows)
    texts = Counter(row["text"] for row in rows)
    assert not [i for i, n in ids.items() if n > 1]
    assert not [t[:60] for t, n in texts.items() if n > 1]


def test_second_annotation_covers_the_gold_passages(gold):
    second = read_jsonl(SECOND_ANNOTATOR)
    assert [(r["id"], r["text"]) for r in second] == [(r["id"], r["text"]) for r in gold]


def test_no_contact_details_in_texts(gold, dev_sets, heldout):
    rows = gold + dev_sets + [row for rows in heldout.values() for row in rows]
    leaks = [row["id"] for row in rows if EMAIL_RE.search(row["text"]) or PHONE_RE.search(row["text"])]
    assert not leaks, leaks
