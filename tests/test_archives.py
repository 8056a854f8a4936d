"""Zip members read within bounds, on archives built in the tests."""
from __future__ import annotations

import dataclasses
import io
import struct
import zipfile

import pytest

from pipeline.config import IngestConfig
from pipeline.ingest.archives import zip_members
from pipeline.ingest.formats import ExtractionError

CONFIG = IngestConfig()


def make_zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def patch_central_directory(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    """Overwrite one field of every central-directory entry (offset from the entry signature)."""
    patched = bytearray(data)
    start = patched.find(b"PK\x01\x02")
    while start != -1:
        struct.pack_into(fmt, patched, start + offset, value)
        start = patched.find(b"PK\x01\x02", start + 4)
    return bytes(patched)


def failure(data: bytes, config: IngestConfig = CONFIG, depth: int = 0) -> str:
    with pytest.raises(ExtractionError) as error:
        zip_members(data, config, depth)
    assert error.value.status == "failed"
    return error.value.reason


def test_members_in_order_without_clutter():
    data = make_zip({
        "lot/": b"", "lot/contribution.txt": "Notre contribution.".encode(), "lot/annexe.pdf": b"%PDF-1.4",
        "__MACOSX/lot/._contribution.txt": b"\x00\x05", "lot/.DS_Store": b"\x00\x00", "vide.txt": b"",
    })
    assert zip_members(data, CONFIG) == [
        ("lot/contribution.txt", "Notre contribution.".encode()), ("lot/annexe.pdf", b"%PDF-1.4"), ("vide.txt", b""),
    ]


def test_member_names_decoded():
    # Python flags non-ASCII names as UTF-8; a French Windows zip stores cp850 bytes without the flag.
    assert zip_members(make_zip({"synthèse été.txt": b"x"}), CONFIG)[0][0] == "synthèse été.txt"
    placeholder = make_zip({"rXsumX.txt": b"x"}, compression=zipfile.ZIP_STORED)
    windows = placeholder.replace(b"rXsumX.txt", "résumé.txt".encode("cp850"))
    assert zip_members(windows, CONFIG)[0][0] == "résumé.txt"
    utf8_placeholder = make_zip({"rXXsumXX.txt": b"x"}, compression=zipfile.ZIP_STORED)
    mac = utf8_placeholder.replace(b"rXXsumXX.txt", "résumé.txt".encode("utf-8"))  # UTF-8 bytes, no flag
    assert zip_members(mac, CONFIG)[0][0] == "résumé.txt"


def test_zip_bomb_rejected_by_ratio():
    bomb = make_zip({"rapport.txt": bytes(50 * 1024 * 1024)})
    assert len(bomb) < 200_000
    assert "zip bomb" in failure(bomb)


def test_too_many_members():
    config = dataclasses.replace(CONFIG, max_zip_members=5)
    reason = failure(make_zip({f"f{i}.txt": b"texte" for i in range(6)}), config)
    assert "6 members" in reason and "5" in reason
    assert len(zip_members(make_zip({f"f{i}.txt": b"texte" for i in range(5)}), config)) == 5


def test_total_size_limit_from_headers_and_while_reading():
    config = dataclasses.replace(CONFIG, max_zip_total_bytes=1000)
    members = {"a.txt": b"a" * 600, "b.txt": b"b" * 600}
    assert "limit of 1000" in failure(make_zip(members, zipfile.ZIP_STORED), config)
    # Headers that lie (sizes set to 10) pass the header check; reading then fails, either on our
    # byte count or on zipfile's CRC check of the declared size: never a silent truncation.
    lying = patch_central_directory(make_zip(members, zipfile.ZIP_STORED), 24, "<I", 10)
    assert "corrupt zip member" in failure(lying, config) or "limit" in failure(lying, config)


def test_nesting_depth():
    inner = make_zip({"note.txt": b"texte"})
    assert zip_members(inner, CONFIG, depth=CONFIG.max_zip_depth) == [("note.txt", b"texte")]
    assert "nested" in failure(inner, depth=CONFIG.max_zip_depth + 1)


def test_encrypted_member():
    encrypted = patch_central_directory(make_zip({"secret.txt": b"texte"}), 8, "<H", 0x1)
    assert "encrypted" in failure(encrypted)


def test_corrupt_archives():
    assert "corrupt zip archive" in failure(b"PK\x03\x04" + bytes(200))
    good = make_zip({"texte.txt": "Les données publiques locales. " .encode() * 50})
    position = good.find(b"texte.txt") + len("texte.txt") + 5  # inside the compressed data
    damaged = good[:position] + bytes([good[position] ^ 0xFF]) + good[position + 1:]
    assert "corrupt zip member 'texte.txt'" in failure(damaged)
