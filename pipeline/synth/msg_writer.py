"""Minimal writer of Outlook ``.msg`` files (MS-OXMSG inside an OLE2 compound file, MS-CFB).

olefile and extract_msg only read compound files, so this module carries its own
small compound-file writer (version 3, 512-byte sectors, mini stream for streams
under 4096 bytes, DIFAT sectors when the FAT outgrows the header). It writes the
properties the ingestion reads: subject, body, sender, recipients, dates,
transport headers and attachments by value. Output is deterministic.
"""
from __future__ import annotations

import math
import struct
from datetime import datetime, timezone
from email.header import Header
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Iterable, Sequence

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECT, DIFAT_SECT, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC, 0xFFFFFFFF
MESSAGE_CLSID = bytes.fromhex("0b0d020000000000c000000000000046")

# Property types (MS-OXCDATA).
PT_INT32, PT_BOOL, PT_TIME, PT_STRING, PT_BINARY, PT_OBJECT = 0x0003, 0x000B, 0x0040, 0x001F, 0x0102, 0x000D
_FIXED_TYPES = {PT_INT32, PT_BOOL, PT_TIME}
_READ_WRITE = 0x00000006

Tree = dict  # name -> bytes (stream) or Tree (storage)


# ---------------------------------------------------------------- compound file

def _entry_order(name: str) -> tuple[int, str]:
    """Sibling order of MS-CFB: shorter names first, then upper-cased comparison."""
    return len(name), name.upper()


def _flatten(tree: Tree) -> list[dict]:
    """Directory entries (root first) with children linked as balanced binary trees."""
    entries: list[dict] = [{"name": "Root Entry", "type": 5, "data": b"", "left": NO_STREAM,
                            "right": NO_STREAM, "child": NO_STREAM, "clsid": MESSAGE_CLSID}]

    def add_children(parent: int, children: Tree) -> None:
        ids = []
        for name in sorted(children, key=_entry_order):
            if len(name) > 31:
                raise ValueError(f"compound-file entry name too long: {name!r}")
            value = children[name]
            is_storage = isinstance(value, dict)
            entries.append({"name": name, "type": 1 if is_storage else 2, "data": b"" if is_storage else bytes(value),
                            "left": NO_STREAM, "right": NO_STREAM, "child": NO_STREAM, "clsid": bytes(16)})
            ids.append(len(entries) - 1)
            if is_storage:
                add_children(ids[-1], value)

        def balance(lo: int, hi: int) -> int:
            if lo >= hi:
                return NO_STREAM
            mid = (lo + hi) // 2
            entries[ids[mid]]["left"] = balance(lo, mid)
            entries[ids[mid]]["right"] = balance(mid + 1, hi)
            return ids[mid]

        entries[parent]["child"] = balance(0, len(ids))

    add_children(0, tree)
    return entries


def _chain(fat: list[int], start: int, count: int) -> None:
    for sector in range(start, start + count):
        fat[sector] = sector + 1 if sector < start + count - 1 else END_OF_CHAIN


def build_compound_file(tree: Tree) -> bytes:
    """Serialise a tree of storages (dicts) and streams (bytes) as an OLE2 compound file."""
    entries = _flatten(tree)
    mini_stream, mini_fat, big_streams = bytearray(), [], []
    for entry in entries[1:]:
        data = entry["data"]
        if entry["type"] != 2 or not data:
            entry["start"] = END_OF_CHAIN if entry["type"] == 2 else 0
        elif len(data) < MINI_CUTOFF:
            first = len(mini_stream) // MINI_SECTOR
            count = math.ceil(len(data) / MINI_SECTOR)
            mini_fat.extend(range(first + 1, first + count))
            mini_fat.append(END_OF_CHAIN)
            mini_stream += data.ljust(count * MINI_SECTOR, b"\x00")
            entry["start"] = first
        else:
            big_streams.append(entry)

    def sectors(n_bytes: int) -> int:
        return math.ceil(n_bytes / SECTOR)

    n_dir = sectors(len(entries) * 128)
    n_minifat = sectors(len(mini_fat) * 4)
    n_ministream = sectors(len(mini_stream))
    n_data = n_dir + n_minifat + n_ministream + sum(sectors(len(e["data"])) for e in big_streams)
    n_fat = n_difat = 0
    while True:  # the FAT must also map its own sectors and the DIFAT's
        needed_fat = math.ceil((n_data + n_fat + n_difat) / (SECTOR // 4))
        needed_difat = math.ceil(max(0, needed_fat - 109) / (SECTOR // 4 - 1))
        if (needed_fat, needed_difat) == (n_fat, n_difat):
            break
        n_fat, n_difat = needed_fat, needed_difat

    fat = [FREE] * (n_fat * SECTOR // 4)
    fat_sectors = list(range(n_fat))
    for s in fat_sectors:
        fat[s] = FAT_SECT
    difat_start = n_fat
    for s in range(difat_start, difat_start + n_difat):
        fat[s] = DIFAT_SECT
    cursor = n_fat + n_difat
    body = bytearray()

    def place(data: bytes, count: int) -> int:
        nonlocal cursor
        start = cursor
        if count:
            _chain(fat, start, count)
            body.extend(bytes(data).ljust(count * SECTOR, b"\x00"))
        cursor += count
        return start if count else END_OF_CHAIN

    for entry in big_streams:
        entry["start"] = place(entry["data"], sectors(len(entry["data"])))
    entries[0]["start"] = place(bytes(mini_stream), n_ministream)
    entries[0]["size"] = len(mini_stream)
    minifat_start = place(b"".join(struct.pack("<I", v) for v in mini_fat), n_minifat)
    directory = b"".join(_dir_entry(e) for e in entries).ljust(n_dir * SECTOR, b"\x00")
    # Unused directory slots must still read as empty entries with no siblings.
    free_entry = _dir_entry({"name": "", "type": 0, "data": b"", "left": NO_STREAM, "right": NO_STREAM,
                             "child": NO_STREAM, "clsid": bytes(16), "start": 0, "size": 0})
    directory = directory[: len(entries) * 128] + free_entry * (n_dir * 4 - len(entries))
    dir_start = place(directory, n_dir)

    difat = fat_sectors[:109] + [FREE] * (109 - min(109, n_fat))
    difat_blocks = bytearray()
    overflow = fat_sectors[109:]
    for i in range(n_difat):
        chunk = overflow[i * 127:(i + 1) * 127]
        chunk += [FREE] * (127 - len(chunk))
        next_block = difat_start + i + 1 if i < n_difat - 1 else END_OF_CHAIN
        difat_blocks += struct.pack("<128I", *chunk, next_block)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("d0cf11e0a1b11ae1"), bytes(16), 0x003E, 0x0003, 0xFFFE, 9, 6,
        bytes(6), 0, n_fat, dir_start, 0, MINI_CUTOFF, minifat_start if n_minifat else END_OF_CHAIN, n_minifat,
        difat_start if n_difat else END_OF_CHAIN, n_difat,
    ) + struct.pack("<109I", *difat)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + bytes(difat_blocks) + bytes(body)


def _dir_entry(entry: dict) -> bytes:
    name = entry["name"].encode("utf-16-le")
    size = entry.get("size", len(entry["data"]) if entry["type"] == 2 else 0)
    return struct.pack(
        "<64sHBBIII16sIQQIQ", name.ljust(64, b"\x00"), len(name) + 2 if name else 0, entry["type"], 1,
        entry["left"], entry["right"], entry["child"], entry["clsid"], 0, 0, 0, entry.get("start", 0), size,
    )


# ---------------------------------------------------------------- MS-OXMSG

def _filetime(value: datetime) -> int:
    return int((value - datetime(1601, 1, 1, tzinfo=timezone.utc)).total_seconds() * 10_000_000)


def _object(props: Iterable[tuple[int, int, object]], header: bytes) -> Tree:
    """A property object: the __properties_version1.0 stream and one stream per variable property."""
    storage: Tree = {}
    table = bytearray(header)
    for prop_id, prop_type, value in props:
        tag = (prop_id << 16) | prop_type
        if prop_type in _FIXED_TYPES:
            table += struct.pack("<IIQ", tag, _READ_WRITE, int(value))
            continue
        data = value.encode("utf-16-le") if prop_type == PT_STRING else bytes(value)
        storage[f"__substg1.0_{tag:08X}"] = data
        table += struct.pack("<IIII", tag, _READ_WRITE, len(data) + (2 if prop_type == PT_STRING else 0), 0)
    storage["__properties_version1.0"] = bytes(table)
    return storage


def _addresses(to: str | Sequence[str]) -> list[tuple[str, str]]:
    items = [to] if isinstance(to, str) else list(to)
    return [parseaddr(item) for item in items if item]


def _encoded(name: str, address: str) -> str:
    return formataddr((str(Header(name, "utf-8")) if not name.isascii() else name, address))


def _message_tree(*, subject: str, sender_name: str, sender_email: str, to: str | Sequence[str], date_iso: str,
                  body: str, attachments: Iterable[tuple[str, bytes | dict]] = (), embedded: bool = False) -> Tree:
    """Storages and streams of one message; an embedded message has a shorter header and no name map."""
    sent = datetime.fromisoformat(date_iso)
    sent = sent if sent.tzinfo else sent.replace(tzinfo=timezone.utc)
    recipients = _addresses(to)
    attachments = list(attachments)
    headers = "".join(f"{k}: {v}\r\n" for k, v in [
        ("From", _encoded(sender_name, sender_email)),
        ("To", ", ".join(_encoded(n, a) for n, a in recipients)),
        ("Subject", Header(subject, "utf-8").encode() if not subject.isascii() else subject),
        ("Date", format_datetime(sent)),
        ("MIME-Version", "1.0"),
    ]) + "\r\n"
    message_props = [
        (0x001A, PT_STRING, "IPM.Note"), (0x0037, PT_STRING, subject), (0x1000, PT_STRING, body),
        (0x0C1A, PT_STRING, sender_name), (0x0C1F, PT_STRING, sender_email), (0x0C1E, PT_STRING, "SMTP"),
        (0x5D01, PT_STRING, sender_email), (0x0042, PT_STRING, sender_name), (0x0065, PT_STRING, sender_email),
        (0x0E04, PT_STRING, "; ".join(n or a for n, a in recipients)), (0x007D, PT_STRING, headers),
        (0x0039, PT_TIME, _filetime(sent)), (0x0E06, PT_TIME, _filetime(sent)),
        (0x0E07, PT_INT32, 0x1), (0x3FFD, PT_INT32, 65001), (0x340D, PT_INT32, 0x00040000),
    ]
    n_recip, n_attach = len(recipients), len(attachments)
    header = bytes(8) + struct.pack("<IIII", n_recip, n_attach, n_recip, n_attach) + (b"" if embedded else bytes(8))
    tree = _object(message_props, header)
    if not embedded:
        tree["__nameid_version1.0"] = {"__substg1.0_00020102": b"", "__substg1.0_00030102": b"",
                                       "__substg1.0_00040102": b""}
    for i, (name, address) in enumerate(recipients):
        tree[f"__recip_version1.0_#{i:08X}"] = _object([
            (0x3001, PT_STRING, name or address), (0x3003, PT_STRING, address), (0x39FE, PT_STRING, address),
            (0x3002, PT_STRING, "SMTP"), (0x0C15, PT_INT32, 1), (0x3000, PT_INT32, i),
        ], bytes(8))
    for i, (filename, data) in enumerate(attachments):
        tree[f"__attach_version1.0_#{i:08X}"] = _attachment(i, filename, data)
    return tree


def _attachment(index: int, filename: str, data: bytes | dict) -> Tree:
    """An attachment by value (bytes) or an embedded message (dict of ``write_msg`` keyword arguments)."""
    extension = filename[filename.rfind("."):][:4] if "." in filename else ""
    short = filename if len(filename) <= 12 else filename[:8] + extension  # 8.3 name
    props = [(0x3707, PT_STRING, filename), (0x3704, PT_STRING, short), (0x3001, PT_STRING, filename),
             (0x0E21, PT_INT32, index), (0x370B, PT_INT32, 0xFFFFFFFF)]
    if isinstance(data, dict):
        storage = _object(props + [(0x3705, PT_INT32, 5)], bytes(8))
        # PtypObject entry: the value is the embedded storage, its size field is unused
        storage["__properties_version1.0"] += struct.pack("<IIII", (0x3701 << 16) | PT_OBJECT, _READ_WRITE,
                                                          0xFFFFFFFF, 0)
        storage[f"__substg1.0_3701{PT_OBJECT:04X}"] = _message_tree(**data, embedded=True)
        return storage
    return _object(props + [(0x3701, PT_BINARY, data), (0x3705, PT_INT32, 1), (0x0E20, PT_INT32, len(data))], bytes(8))


def write_msg(path_or_none: str | Path | None, *, subject: str, sender_name: str, sender_email: str,
              to: str | Sequence[str], date_iso: str, body: str,
              attachments: Iterable[tuple[str, bytes | dict]] = ()) -> bytes:
    """Write a minimal valid Outlook ``.msg`` and return its bytes (also saved to the path if given).

    ``to`` is one address or a list ("Name <addr>" or "addr"); ``date_iso`` an ISO 8601
    timestamp (UTC assumed when naive); ``attachments`` (filename, bytes) pairs, or
    (filename, dict of these keyword arguments) for an embedded Outlook message.
    """
    payload = build_compound_file(_message_tree(subject=subject, sender_name=sender_name, sender_email=sender_email,
                                                to=to, date_iso=date_iso, body=body, attachments=attachments))
    if path_or_none is not None:
        Path(path_or_none).write_bytes(payload)
    return payload
