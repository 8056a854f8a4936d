"""The e-mail cleaning patterns of ``email_patterns.yaml``, compiled once, and the small text helpers
shared by the quote and signature cleaners."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PATTERNS_FILE = Path(__file__).with_name("email_patterns.yaml")


@dataclass(frozen=True)
class EmailPatterns:
    """Compiled patterns (case-insensitive) and signature size limits."""

    reply_headers: tuple[re.Pattern, ...]
    forward_markers: tuple[re.Pattern, ...]
    header_field: re.Pattern
    outlook_start: re.Pattern
    outlook_subject: re.Pattern
    forward_subject: re.Pattern
    separator_rule: re.Pattern
    signature_delimiter: re.Pattern
    closings: tuple[re.Pattern, ...]
    device_footers: tuple[re.Pattern, ...]
    trailing_notes: tuple[re.Pattern, ...]
    disclaimers: tuple[re.Pattern, ...]
    organisation_lines: tuple[re.Pattern, ...]
    signature_max_lines: int
    signature_max_line_chars: int


@lru_cache(maxsize=1)
def load_patterns() -> EmailPatterns:
    """The patterns of ``email_patterns.yaml``, read and compiled on first use."""
    raw = yaml.safe_load(PATTERNS_FILE.read_text(encoding="utf-8"))

    def many(key: str) -> tuple[re.Pattern, ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in raw[key])

    def one(key: str) -> re.Pattern:
        return re.compile(raw[key], re.IGNORECASE)

    return EmailPatterns(
        reply_headers=many("reply_headers"), forward_markers=many("forward_markers"),
        header_field=one("header_fields"), outlook_start=one("outlook_block_start"),
        outlook_subject=one("outlook_subject"), forward_subject=one("forward_subject_prefixes"),
        separator_rule=one("separator_rule"), signature_delimiter=one("signature_delimiter"),
        closings=many("closings"), device_footers=many("device_footers"), trailing_notes=many("trailing_notes"),
        disclaimers=many("disclaimers"), organisation_lines=many("organisation_lines"),
        signature_max_lines=int(raw["signature_max_lines"]),
        signature_max_line_chars=int(raw["signature_max_line_chars"]),
    )


def matches_any(patterns: tuple[re.Pattern, ...], line: str) -> bool:
    """True when one of ``patterns`` is found in ``line``."""
    return any(p.search(line) for p in patterns)


def split_paragraphs(lines: list[str]) -> list[list[str]]:
    """Lines grouped into paragraphs (runs of non-blank lines, right-stripped)."""
    groups: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            groups[-1].append(line.rstrip())
        elif groups[-1]:
            groups.append([])
    return [par for par in groups if par]
