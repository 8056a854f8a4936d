"""The project's fictional sample corpus: contributions to the 2023 "Data et Territoires" call.

The content lives in YAML files under ``pipeline/synth/sample/contributions/`` (one per
contribution, campaign, mbox or zip) and ``pipeline/synth/sample/malformed.yaml``; this module
turns them into raw files (eml, mbox, msg, pdf, docx, odt, txt, md, html, zip) and returns the
expected manifest that ingestion tests compare against. Every text carries a fictional marker.
"""
from __future__ import annotations

import os
import random
import shutil
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from pipeline.synth import writers
from pipeline.synth.sample_render import pdf_extraction_style, render_text, split_paragraphs

__all__ = [
    "MARKERS", "MIME", "MISSION_ADDRESS", "SPEC_DIR", "build_email", "build_item", "build_malformed",
    "build_sample_corpus", "dump_expected", "load_specs", "pdf_extraction_style", "render_text",
    "split_paragraphs", "with_marker",
]

SPEC_DIR = Path(__file__).resolve().parent / "sample"
MISSION_ADDRESS = "missiondataterritoires@modernisation.gouv.fr"
MARKERS = {
    "fr": "[Contribution fictive rédigée pour le projet — toute ressemblance avec une collectivité, "
          "une organisation ou une personne existante serait fortuite.]",
    "en": "[Fictional contribution written for the project — any resemblance to an existing "
          "authority, organisation or person is coincidental.]",
}
MIME = {"pdf": "application/pdf", "odt": "application/vnd.oasis.opendocument.text",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "txt": "text/plain", "eml": "message/rfc822"}


def with_marker(text: str, language: str = "fr", at: str = "end") -> str:
    """Return ``text`` with the fictional marker as its first or last paragraph."""
    marker = MARKERS.get(language, MARKERS["fr"])
    text = text.strip("\n")
    return f"{marker}\n\n{text}\n" if at == "start" else f"{text}\n\n{marker}\n"


def _date(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _document(spec: dict, parent: dict) -> tuple[bytes, dict]:
    """Render a standalone document or attachment spec; return its bytes and expected entry."""
    language = spec.get("language", parent.get("language", "fr"))
    text = spec.get("text") or parent.get("body", "")
    if not spec.get("same_as_body"):
        text = with_marker(text, language, spec.get("marker", "end"))
    else:
        text = with_marker(parent["body"], language, parent.get("marker", "end"))
    date = _date(spec.get("date", parent.get("date")))
    data = render_text(text, spec["format"], title=spec.get("title"), date=date, spec={**spec, "language": language})
    status = "duplicate" if spec.get("same_as_body") else spec.get("expected", "ok")
    entry = {"name": spec.get("file") or spec["name"], "format": spec.get("sniffed_format", spec["format"]),
             "status": status}
    return data, entry


def build_email(spec: dict) -> tuple[bytes, list[dict]]:
    """Build the bytes of an e-mail spec (attachments, forwarded message, quoted thread)."""
    language = spec.get("language", "fr")
    body = with_marker(spec["body"], language, spec.get("marker", "end"))
    if "quoted" in spec:
        quoted = "\n".join("> " + line if line else ">" for line in spec["quoted"]["text"].strip().split("\n"))
        body = f"{body}\n{spec['quoted']['attribution']}\n{quoted}\n"
    attachments, parts = [], []
    if "forward" in spec:
        inner, inner_parts = build_email({**spec["forward"], "language": language})
        attachments.append(("message.eml", inner, "message/rfc822"))
        parts.append({"name": f"{spec['forward']['subject']}.eml", "format": "eml", "status": "ok",
                      "parts": inner_parts})
    for attachment in spec.get("attachments", []):
        if attachment.get("empty"):
            data, entry = b"", {"name": attachment["name"], "format": "empty",
                                "status": "skipped", "reason": "zero-byte attachment"}
        else:
            data, entry = _document(attachment, spec)
        attachments.append((attachment["name"], data, MIME[attachment["format"]]))
        parts.append(entry)
    sender = tuple(spec["sender"])
    raw = writers.build_eml(
        subject=spec["subject"], sender=sender, to=spec.get("to", MISSION_ADDRESS), date=spec["date"],
        body=body, attachments=attachments, charset=spec.get("charset", "utf-8"),
        transfer_encoding=spec.get("transfer_encoding", "quoted-printable"), cc=spec.get("cc", ()),
        in_reply_to=spec.get("in_reply_to"), subject_encoding=spec.get("subject_encoding", "q"))
    return raw, parts


def _msg(spec: dict) -> tuple[bytes, list[dict]]:
    from pipeline.synth.msg_writer import write_msg

    attachments, parts = [], []
    for attachment in spec.get("attachments", []):
        data, entry = _document(attachment, spec)
        attachments.append((attachment["name"], data))
        parts.append(entry)
    name, email = spec["sender"]
    raw = write_msg(None, subject=spec["subject"], sender_name=name, sender_email=email,
                    to=spec.get("to", MISSION_ADDRESS), date_iso=str(spec["date"]),
                    body=with_marker(spec["body"], spec.get("language", "fr")), attachments=attachments)
    return raw, parts


def _with_paths(parts: list[dict], parent: str) -> list[dict]:
    """Give attachments their manifest path (``mail.eml#1:file.pdf``, nested for forwarded mail)."""
    out = []
    for i, part in enumerate(parts, 1):
        path = f"{parent}#{i}:{part['name']}"
        entry = {"path": path, **part}
        if "parts" in part:
            entry["parts"] = _with_paths(part["parts"], path)
        out.append(entry)
    return out


def _entry(spec: dict, fmt: str, parts: list[dict] | None = None, **extra: Any) -> dict:
    entry = {"path": spec["file"], "format": fmt, "status": spec.get("expected", "ok"),
             "organisation": spec.get("organisation"), "org_type": spec.get("org_type"),
             "language": spec.get("language", "fr"), "date": str(spec.get("date", ""))[:10] or None,
             "exercises": spec.get("exercises", "")}
    if parts:
        entry["parts"] = parts
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


def _expand_campaign(spec: dict) -> list[dict]:
    """A template letter sent by several organisations: one spec per variant."""
    variants = []
    for variant in spec["variants"]:
        values = variant.get("values", {})
        body = spec["template"].format(**values)
        base = {k: v for k, v in spec.items() if k not in ("template", "variants", "format", "group")}
        item = {**base, "format": "eml", **variant, "body": body, "text": body,
                "near_duplicate_group": spec["group"]}
        variants.append(item)
    return variants


def build_item(spec: dict, out_dir: Path) -> list[dict]:
    """Write the file(s) of one spec into ``out_dir``; return their expected manifest entries."""
    kind = spec["format"]
    if kind == "campaign":
        return [entry for variant in _expand_campaign(spec) for entry in build_item(variant, out_dir)]
    path = out_dir / spec["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    parts: list[dict] | None = None
    if kind == "eml":
        data, parts = build_email(spec)
        parts = _with_paths(parts, spec["file"])
    elif kind == "msg":
        data, parts = _msg(spec)
        parts = _with_paths(parts, spec["file"])
    elif kind == "mbox":
        messages = [build_email(m) for m in spec["messages"]]
        data = writers.render_mbox([raw for raw, _ in messages])
        parts = []
        for i, (message, (_, attachments)) in enumerate(zip(spec["messages"], messages), 1):
            message_path = f"{spec['file']}#{i}"
            parts.append(_entry({**message, "file": message_path}, "eml", _with_paths(attachments, message_path)))
    elif kind == "zip":
        members, parts = {}, []
        for member in spec["members"]:
            members[member["file"]], _ = _document(member, member)
            parts.append(_entry({**member, "file": f"{spec['file']}!{member['file']}"}, member["format"]))
        data = writers.render_zip(members)
    else:
        data, _ = _document(spec, spec)
    path.write_bytes(data)
    stamp = _date(spec.get("date", "2023-06-30T12:00:00+00:00")).timestamp()
    os.utime(path, (stamp, stamp))
    entries = [_entry(spec, spec.get("sniffed_format", kind), parts,
                      near_duplicate_group=spec.get("near_duplicate_group"), reason=spec.get("reason"))]
    for copy in spec.get("copies", []):
        shutil.copyfile(path, out_dir / copy)
        os.utime(out_dir / copy, (stamp, stamp))
        entries.append(_entry({**spec, "file": copy, "exercises": "exact duplicate (same bytes, other name)"},
                              kind, parts, status="duplicate", duplicate_of=spec["file"]))
    return entries


def _malformed_bytes(spec: dict) -> bytes:
    """Bytes of a deliberately broken file (see ``malformed.yaml``)."""
    kind = spec["kind"]
    text = with_marker(spec.get("text", ""), spec.get("language", "fr"))
    date = _date(spec.get("date", "2023-06-30T12:00:00+00:00"))
    if kind == "empty":
        return b""
    if kind == "junk":
        return random.Random(spec.get("seed", 7)).randbytes(spec.get("size", 4096))
    if kind == "truncated_pdf":
        data = writers.render_pdf(split_paragraphs(text), title=spec.get("title"), created=date)
        return data[: int(len(data) * spec.get("keep", 0.6))]
    if kind == "encrypted_pdf":
        data = writers.render_pdf(split_paragraphs(text), title=spec.get("title"), created=date)
        return writers.encrypt_pdf(data, spec["password"])
    if kind == "scanned_pdf":
        return writers.render_scanned_pdf(pages=spec.get("pages", 1), created=date)
    if kind == "truncated_eml":
        raw, _ = build_email(spec["email"])
        return raw[: int(len(raw) * spec.get("keep", 0.7))]
    if kind == "unknown_container":
        return b"XYZF\x00\x01" + zlib.compress(text.encode("utf-8"), 9)
    if kind == "zip_bomb":
        return writers.render_zip({spec["member"]: bytes(spec["member_bytes"])})
    if kind == "encrypted_docx":
        return writers.render_encrypted_office(render_text(text, "docx", title=spec.get("title"), date=date, spec={}))
    raise ValueError(f"unknown malformed kind: {kind}")


def build_malformed(spec: dict, out_dir: Path) -> list[dict]:
    """Write one malformed file (or delegate ordinary formats to :func:`build_item`)."""
    if "kind" not in spec:
        return build_item(spec, out_dir)
    path = out_dir / spec["file"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_malformed_bytes(spec))
    return [_entry(spec, spec["sniffed_format"], spec.get("parts"), reason=spec.get("reason"))]


def load_specs(spec_dir: Path = SPEC_DIR) -> list[dict]:
    """All contribution specs, in file-name order."""
    return [yaml.safe_load(p.read_text(encoding="utf-8"))
            for p in sorted((spec_dir / "contributions").glob("*.yaml"))]


def build_sample_corpus(out_dir: Path, spec_dir: Path = SPEC_DIR) -> list[dict]:
    """(Re)generate the whole sample corpus in ``out_dir``; return the expected manifest entries."""
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    entries = [entry for spec in load_specs(spec_dir) for entry in build_item(spec, out_dir)]
    malformed = yaml.safe_load((spec_dir / "malformed.yaml").read_text(encoding="utf-8"))
    entries += [entry for spec in malformed for entry in build_malformed(spec, out_dir)]
    return sorted(entries, key=lambda e: e["path"])


def dump_expected(entries: list[dict]) -> str:
    """The expected manifest as YAML text (what ``expected.yaml`` holds)."""
    header = ("# Expected ingestion result of data/raw/sample/ (generated by scripts/make_sample_corpus.py).\n"
              "# One entry per raw file; `parts` lists e-mail attachments, mbox messages and zip members.\n")
    return header + yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=120)
