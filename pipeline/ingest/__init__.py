"""Ingestion: raw files of many formats -> manifest, contributions and documents."""
from pipeline.ingest.run import ingest
from pipeline.ingest.stage import IngestResult, RawFile

__all__ = ["ingest", "IngestResult", "RawFile"]
