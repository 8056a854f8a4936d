"""Conventions shared by the file writers of :mod:`pipeline.synth`.

Every writer is deterministic: dates inside documents, zip timestamps, MIME boundaries and
Message-IDs are fixed or derived from the content, so writing the same input twice gives the same
bytes (where the underlying library allows it); :data:`FIXED_DATE` is the default date.

Paragraph convention shared by the document writers: a paragraph starting with ``"# "`` (or
``"## "``) is a heading, every other string is a body paragraph.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

FIXED_DATE = datetime(2023, 6, 30, 12, 0, 0, tzinfo=timezone.utc)


def heading_level(paragraph: str) -> int:
    """Return 1 or 2 for '# ' / '## ' headings, 0 for body text."""
    if paragraph.startswith("## "):
        return 2
    if paragraph.startswith("# "):
        return 1
    return 0


def strip_heading(paragraph: str) -> str:
    """The text of a heading paragraph, without its leading '#' marks."""
    return paragraph.lstrip("#").strip()


def write_file(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path``, creating the parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
