"""The ``ingest`` stage: raw items -> manifest, contributions and documents.

Every raw file, zip member and email attachment gets one manifest row saying what became of
it. A contribution is an email (with its attachments), one mbox message, or a single file.
A failure in one item is recorded and never stops the run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Callable, Iterable, Sequence

import pandas as pd

from pipeline.config import IngestConfig, PrivacyConfig
from pipeline.ids import bytes_hash, content_hash, doc_id_for
from pipeline.ingest import archives, emails, formats
from pipeline.ingest.dedup import near_duplicate_groups
from pipeline.ingest.metadata import detect_language, infer_organisation
from pipeline.schemas import validate

_NAME_DATE = re.compile(r"(?<!\d)(20\d\d)[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")
DOCUMENT_FORMATS = {"txt", "md", "html", "pdf", "docx", "odt"}
EMAIL_FORMATS = {"eml", "msg"}


@dataclass
class RawFile:
    """A file of the raw folder: its path relative to that folder and how to read it."""

    path: str
    read: Callable[[], bytes]


@dataclass
class IngestResult:
    """The three tables of the stage."""

    manifest: pd.DataFrame
    contributions: pd.DataFrame
    documents: pd.DataFrame


@dataclass
class _Contribution:
    contribution_id: str
    source_path: str
    source_format: str
    sender_email: str | None = None
    sender_name: str | None = None
    date: str | None = None
    subject: str | None = None
    signature_org: str | None = None
    problems: list[str] = field(default_factory=list)
    docs: list[dict] = field(default_factory=list)


def _date_from_name(name: str) -> str | None:
    """ISO date written in a file name (``2023-05-02_mairie.pdf``), the usual filing convention."""
    match = _NAME_DATE.search(name)
    return "-".join(match.groups()) if match else None


class _Ingestor:
    """Walks raw items depth-first, in path order, filling the tables' rows."""

    def __init__(self, config: IngestConfig):
        self.config = config
        self.manifest: list[dict] = []
        self.contributions: list[_Contribution] = []
        self.seen_files: dict[str, str] = {}
        self.seen_docs: dict[str, str] = {}

    # -- manifest ---------------------------------------------------------------
    def record(self, path: str, data: bytes, fmt: str, status: str, reason: str | None,
               parent: str | None, contribution: _Contribution | None,
               doc_ids: Iterable[str] = (), duplicate_of: str | None = None) -> None:
        self.manifest.append({
            "path": path, "parent_path": parent, "sha256": bytes_hash(data), "size": len(data),
            "format": fmt, "status": status, "reason": reason,
            "contribution_id": contribution.contribution_id if contribution else None,
            "doc_ids": " ".join(doc_ids) or None, "duplicate_of": duplicate_of,
        })

    def add_document(self, contribution: _Contribution, path: str, data: bytes, fmt: str, text: str,
                     role: str, parent: str | None, warning: str | None) -> str | None:
        """Register a document's text; empty or duplicate texts are recorded, not kept."""
        if not text.strip():
            what = "email has no text body" if role == "body" else "no text could be extracted"
            self.record(path, data, fmt, "skipped", what, parent, contribution)
            return None
        doc_id = doc_id_for(text)
        if doc_id in self.seen_docs:
            self.record(path, data, fmt, "duplicate", f"same text as {self.seen_docs[doc_id]}", parent,
                        contribution, [doc_id], self.seen_docs[doc_id])
            return None
        self.seen_docs[doc_id] = path
        contribution.docs.append({"doc_id": doc_id, "role": role, "path": path, "format": fmt, "text": text})
        self.record(path, data, fmt, "ok", warning, parent, contribution, [doc_id])
        return doc_id

    # -- dispatch ---------------------------------------------------------------
    def item(self, path: str, data: bytes, parent: str | None = None, depth: int = 0,
             contribution: _Contribution | None = None) -> None:
        """Process one raw item (file, member or attachment)."""
        name = PurePosixPath(path.split("!")[-1].split(":")[-1]).name
        if len(data) > self.config.max_file_bytes:
            self.record(path, data, "", "skipped", f"file over {self.config.max_file_bytes} bytes", parent, contribution)
            return
        try:
            fmt, warning = formats.sniff_format(name, data)
        except Exception as exc:  # a sniffing bug must not stop the run
            self.record(path, data, "unknown", "failed", f"format detection failed: {exc}", parent, contribution)
            return
        if contribution is None and parent is None:
            sha = bytes_hash(data)
            if sha in self.seen_files:
                first = self.seen_files[sha]
                self.record(path, data, fmt, "duplicate", f"same bytes as {first}", parent, None, duplicate_of=first)
                return
            self.seen_files[sha] = path
        if fmt == "empty":
            reason = "zero-byte attachment" if contribution is not None else "empty file (0 bytes)"
            self.record(path, data, fmt, "skipped", reason, parent, contribution)
        elif fmt in ("binary", "unknown"):
            ext = PurePosixPath(name).suffix or "(none)"
            reason = warning or f"unsupported or unrecognised content (extension {ext})"
            self.record(path, data, fmt, "skipped", reason, parent, contribution)
        elif fmt == "zip":
            self.zip(path, data, parent, depth, contribution, warning)
        elif fmt == "mbox":
            self.mbox(path, data, parent, contribution)
        elif fmt in EMAIL_FORMATS:
            self.email(path, data, fmt, parent, contribution, warning)
        elif fmt in DOCUMENT_FORMATS:
            self.document(path, data, fmt, name, parent, contribution, warning)
        else:
            self.record(path, data, fmt, "skipped", f"format {fmt} is not supported", parent, contribution)

    def zip(self, path, data, parent, depth, contribution, warning) -> None:
        try:
            members = archives.zip_members(data, self.config, depth)
        except formats.ExtractionError as exc:
            self.record(path, data, "zip", exc.status, exc.reason, parent, contribution)
            return
        self.record(path, data, "zip", "ok", warning or f"archive with {len(members)} member(s)", parent, contribution)
        for member_name, member_data in members:
            self.item(f"{path}!{member_name}", member_data, path, depth + 1, contribution)

    def mbox(self, path, data, parent, contribution) -> None:
        messages = emails.split_mbox(data)
        if not messages:
            self.record(path, data, "mbox", "failed", "mbox holds no message", parent, contribution)
            return
        self.record(path, data, "mbox", "ok", f"mailbox with {len(messages)} message(s)", parent, contribution)
        for index, message in enumerate(messages, start=1):
            self.email(f"{path}#{index}", message, "eml", path, contribution, None)

    def email(self, path, data, fmt, parent, contribution, warning) -> None:
        try:
            parsed = emails.parse_msg(data) if fmt == "msg" else emails.parse_eml(data)
        except Exception as exc:
            self.record(path, data, fmt, "failed", f"unreadable email: {exc}", parent, contribution)
            return
        nested = contribution is not None
        if not nested:
            contribution = _Contribution("c" + content_hash(data, n=15), path, fmt, parsed.sender_email,
                                         parsed.sender_name, parsed.date, parsed.subject, parsed.signature_org)
            self.contributions.append(contribution)
        contribution.problems.extend(f"{path}: {p}" for p in parsed.problems)
        reason = "; ".join(filter(None, [warning, *parsed.problems])) or None
        role = "attachment" if nested else "body"
        if parsed.body.strip():
            doc_id = doc_id_for(parsed.body)
            if doc_id in self.seen_docs:
                self.record(path, data, fmt, "duplicate", f"same text as {self.seen_docs[doc_id]}", parent,
                            contribution, [doc_id], self.seen_docs[doc_id])
            else:
                self.seen_docs[doc_id] = path
                contribution.docs.append({"doc_id": doc_id, "role": role, "path": path, "format": fmt, "text": parsed.body})
                self.record(path, data, fmt, "ok", reason, parent, contribution, [doc_id])
        else:
            self.record(path, data, fmt, "ok", reason or "email has no text body", parent, contribution)
        for index, attachment in enumerate(parsed.attachments, start=1):
            filename = attachment.filename or f"piece-jointe-{index}"
            self.item(f"{path}#{index}:{filename}", attachment.data, path, 0, contribution)

    def document(self, path, data, fmt, name, parent, contribution, warning) -> None:
        try:
            extracted = formats.extract_document(name, data, fmt, self.config)
        except formats.ExtractionError as exc:
            self.record(path, data, fmt, exc.status, exc.reason, parent, contribution)
            return
        except Exception as exc:  # a parser crash on hostile input is a failed file, not a failed run
            self.record(path, data, fmt, "failed", f"{fmt} could not be read: {type(exc).__name__}: {exc}", parent, contribution)
            return
        if contribution is None:
            contribution = _Contribution("c" + content_hash(data, n=15), path, fmt,
                                         date=_date_from_name(name),
                                         subject=extracted.meta.get("title") or PurePosixPath(name).stem)
            self.contributions.append(contribution)
            self.add_document(contribution, path, data, fmt, extracted.text, "file", parent, warning)
        else:
            self.add_document(contribution, path, data, fmt, extracted.text, "attachment", parent, warning)
