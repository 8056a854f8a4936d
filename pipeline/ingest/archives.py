"""Members of a zip archive, read within bounds (member count, total size, compression ratio,
nesting depth). Nested zips are recursed by the caller, who passes ``depth + 1``."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import PurePosixPath

from pipeline.config import IngestConfig
from pipeline.ingest.formats import ExtractionError

IGNORED_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
IGNORED_PREFIXES = ("__MACOSX/",)
# Members smaller than this are never called a bomb: a tiny file of blanks compresses very well.
RATIO_FLOOR_BYTES = 1024 * 1024
_CHUNK = 1024 * 1024
_UTF8_FLAG = 0x800
_UNICODE_PATH_EXTRA = 0x7075  # Info-ZIP Unicode Path extra field


def member_name(info: zipfile.ZipInfo) -> str:
    """Member name decoded properly: UTF-8 when flagged or valid, the Info-ZIP Unicode Path field
    when present, else cp850 (the DOS code page of French Windows), not Python's cp437 default."""
    name = info.filename
    if not info.flag_bits & _UTF8_FLAG:
        raw = name.encode("cp437")
        unicode_path = _unicode_path_extra(info.extra)
        if unicode_path is not None:
            name = unicode_path
        else:
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                name = raw.decode("cp850")
    return name.replace("\\", "/").lstrip("/")


def _unicode_path_extra(extra: bytes) -> str | None:
    offset = 0
    while offset + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, offset)
        body = extra[offset + 4 : offset + 4 + size]
        if header_id == _UNICODE_PATH_EXTRA and len(body) > 5 and body[0] == 1:
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        offset += 4 + size
    return None


def _is_ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or PurePosixPath(name).name in IGNORED_NAMES


def _check_headers(members: list[zipfile.ZipInfo], config: IngestConfig) -> None:
    if len(members) > config.max_zip_members:
        raise ExtractionError(
            "failed", f"zip has {len(members)} members, more than the limit of {config.max_zip_members}")
    declared = sum(info.file_size for info in members)
    if declared > config.max_zip_total_bytes:
        raise ExtractionError(
            "failed", f"zip would expand to {declared} bytes, more than the limit of {config.max_zip_total_bytes}")
    for info in members:
        if info.flag_bits & 0x1:
            raise ExtractionError("failed", f"zip member {member_name(info)!r} is encrypted (password required)")
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FLOOR_BYTES and ratio > config.max_zip_ratio:
            raise ExtractionError(
                "failed", f"zip bomb suspected: member {member_name(info)!r} expands {ratio:.0f} times "
                f"(limit {config.max_zip_ratio:.0f})")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, config: IngestConfig) -> bytes:
    """Read one member while counting: headers may lie about sizes."""
    name = member_name(info)
    ratio_cap = max(RATIO_FLOOR_BYTES, int(max(info.compress_size, 1) * config.max_zip_ratio))
    chunks, size = [], 0
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > budget:
                raise ExtractionError(
                    "failed", f"zip expands past the limit of {config.max_zip_total_bytes} bytes (at member {name!r})")
            if size > ratio_cap:
                raise ExtractionError(
                    "failed", f"zip bomb suspected: member {name!r} expands past "
                    f"{config.max_zip_ratio:.0f} times its compressed size")
            chunks.append(chunk)
    return b"".join(chunks)


def zip_members(data: bytes, config: IngestConfig, depth: int = 0) -> list[tuple[str, bytes]]:
    """(name, bytes) of the files in a zip, directories and system clutter (__MACOSX/, .DS_Store)
    left out. Raises ExtractionError("failed", …) for a corrupt or encrypted archive, too many
    members, too much expanded data, a suspicious compression ratio or nesting past the limit."""
    if depth > config.max_zip_depth:
        raise ExtractionError(
            "failed", f"zip nested {depth} levels deep, more than the limit of {config.max_zip_depth}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ExtractionError("failed", f"corrupt zip archive ({exc})") from exc
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir() and not _is_ignored(member_name(info))]
        _check_headers(members, config)
        result: list[tuple[str, bytes]] = []
        budget = config.max_zip_total_bytes
        for info in members:
            try:
                content = _read_member(archive, info, budget, config)
            except ExtractionError:
                raise
            except NotImplementedError as exc:
                raise ExtractionError("failed", f"zip member {member_name(info)!r}: {exc}") from exc
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                raise ExtractionError("failed", f"corrupt zip member {member_name(info)!r} ({exc})") from exc
            budget -= len(content)
            result.append((member_name(info), content))
    return result
