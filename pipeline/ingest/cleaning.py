"""Text cleaning that keeps meaning: Unicode normalisation, paragraphs rebuilt from PDF lines,
page headers/footers removed. Lexicons and patterns live in ``cleaning_rules.yaml``."""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

RULES_PATH = Path(__file__).with_name("cleaning_rules.yaml")

_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_LAST_WORD_CUT = re.compile(r"([^\W\d_]+(?:-[^\W\d_]+)*)-$")
_FIRST_WORD = re.compile(r"^([^\W\d_]+(?:-[^\W\d_]+)*)")
_TERMINAL = re.compile(r"[.!?…:;][\s»”\"’)\]]*$")
_ELISION = re.compile(r"(?:^|[^\w])(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)['’]$", re.IGNORECASE)
_OPENING = "«“\"'‘([*_"
_SHORT_LINE = 0.7  # share of the local line width under which a line is "short" (heading, last line)
_LAST_LINE = 0.85  # a line ending a sentence and shorter than this ends its paragraph


@dataclass(frozen=True)
class _Rules:
    translation: dict[int, str | None]  # single-character replacements and removals
    keep_compounds: frozenset[str]
    keep_first_parts: frozenset[str]
    keep_second_parts: frozenset[str]
    continuation_words: frozenset[str]
    decoration: re.Pattern
    list_item: re.Pattern
    page_numbers: tuple[re.Pattern, ...]
    page_edge_lines: int
    repeated_line_share: float


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    raw = yaml.safe_load(RULES_PATH.read_text(encoding="utf-8"))
    hyph = raw["hyphenation"]
    return _Rules(
        translation=_translation(raw["replacements"], raw["removed_characters"]),
        keep_compounds=frozenset(w.lower() for w in hyph["keep_compounds"]),
        keep_first_parts=frozenset(hyph["keep_first_parts"]),
        keep_second_parts=frozenset(hyph["keep_second_parts"]),
        continuation_words=frozenset(raw["continuation_words"]),
        decoration=re.compile(raw["decoration_line"]),
        list_item=re.compile(raw["list_item"], re.IGNORECASE),
        page_numbers=tuple(re.compile(p, re.IGNORECASE) for p in raw["page_number_patterns"]),
        page_edge_lines=int(raw["page_edge_lines"]),
        repeated_line_share=float(raw["repeated_line_share"]),
    )


def _translation(replacements: dict[str, str], removed: str) -> dict[int, str | None]:
    controls = [*range(0x00, 0x09), *range(0x0E, 0x20), *range(0x7F, 0xA0)]
    table: dict[int, str | None] = {code: None for code in controls}
    table.update({ord(ch): None for ch in removed})
    table.update({ord(source): target for source, target in replacements.items()})
    return table


def normalise_unicode(text: str) -> str:
    """NFC text with ligatures expanded, odd spaces made plain, invisible characters removed,
    LF line ends and no trailing spaces. Curly quotes, « », œ and æ are kept."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_rules().translation)
    text = unicodedata.normalize("NFC", text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def tidy_paragraphs(paragraphs: list[str]) -> str:
    """Join paragraphs with a blank line: inner whitespace runs collapsed, empty ones dropped."""
    cleaned = []
    for paragraph in paragraphs:
        lines = [" ".join(line.split()) for line in paragraph.split("\n")]
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            cleaned.append(paragraph)
    return "\n\n".join(cleaned)


@dataclass
class _Line:
    text: str
    ends_paragraph: bool  # extractor hint: sentence end followed by 2+ trailing spaces


def _starts_lower(line: str) -> bool:
    stripped = line.lstrip(_OPENING + " ")
    return bool(stripped) and (stripped[0].islower() or stripped[0] in ",;.)]»”")


def _ends_terminal(line: str) -> bool:
    return bool(_TERMINAL.search(line))


def _last_word(line: str) -> str:
    words = _WORD.findall(line.lower())
    return words[-1] if words and re.search(r"[^\W\d_]$", line) else ""


def _is_continuation(prev: str, nxt: str) -> bool:
    """True when a line obviously goes on: no final punctuation and the next starts lower-case."""
    return not _ends_terminal(prev) and _starts_lower(nxt)


def _pairs(lines: list[str], gap: int) -> list[tuple[str, str]]:
    """Pairs of non-blank lines separated by exactly ``gap`` blank lines."""
    stripped = [line.strip() for line in lines]
    pairs = []
    for i in range(len(stripped) - gap - 1):
        if stripped[i] and stripped[i + gap + 1] and not any(stripped[i + 1 : i + gap + 1]):
            pairs.append((stripped[i], stripped[i + gap + 1]))
    return pairs


def _is_double_spaced(lines: list[str]) -> bool:
    """PDF text where a blank line follows every line, even inside sentences."""
    pairs = _pairs(lines, 1)
    continuations = sum(_is_continuation(a, b) for a, b in pairs)
    return continuations >= 3 and continuations >= 0.2 * len(pairs)


def looks_line_broken(text: str) -> bool:
    """True when plain text looks extracted from a PDF or hard-wrapped: many lines that stop
    in the middle of a sentence (with or without a blank line after them)."""
    lines = text.split("\n")
    if _is_double_spaced(lines):
        return True
    pairs = _pairs(lines, 0)
    continuations = sum(_is_continuation(a, b) for a, b in pairs)
    return continuations >= 3 and continuations >= 0.3 * len(pairs)


def _document_words(lines: list[str]) -> set[str]:
    """Words seen inside lines (never across a line end): evidence for hyphenation choices."""
    words: set[str] = set()
    previous = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        text = _LAST_WORD_CUT.sub("", line) if line.endswith("-") else line  # a cut fragment is not a word
        if previous.endswith("-"):
            text = _FIRST_WORD.sub("", text)  # nor the fragment after the cut
        words.update(w.lower() for w in _WORD.findall(text))
        previous = line
    return words


def _keep_hyphen(first: str, second: str, prev: str, words: set[str]) -> bool:
    rules = _rules()
    compound = f"{first}-{second}".lower()
    all_caps = first.isupper() and second.isupper()  # "FISCA-LITÉ": a cut word in a capitalised title
    if (second[:1].isupper() and not all_caps) or compound in rules.keep_compounds:
        return True
    if (first + second).lower() in words:
        return False
    if compound in words:
        return True
    if first.split("-")[-1].lower() in rules.keep_first_parts:
        return True
    if second.lower() in rules.keep_second_parts:
        return True
    before = prev[: -len(first) - 1].rstrip()
    # A capitalised first part inside a sentence, seen alone elsewhere in the text, is a name
    # ("Saint-", "Jean-"); "Républi-que" is a cut word.
    head = first.split("-")[-1]
    return (head[:1].isupper() and not all_caps and head.lower() in words
            and bool(before) and not _ends_terminal(before))


def _join(prev: str, nxt: str, words: set[str]) -> str:
    """Join two lines of one paragraph, mending hyphenated words and elisions."""
    tail = prev[-80:]  # prev is the paragraph so far: look at its end only
    cut = _LAST_WORD_CUT.search(tail) if prev.endswith("-") else None
    second = _FIRST_WORD.match(nxt)
    if cut and second and not prev.endswith(" -"):
        if _keep_hyphen(cut.group(1), second.group(1), tail, words):
            return prev + nxt
        return prev[:-1] + nxt
    if _ELISION.search(tail):
        return prev + nxt
    if prev.endswith("\u00ad"):  # soft hyphen: the extractor kept the word cut
        return prev[:-1] + nxt
    return f"{prev} {nxt}"


def _heading_like(line: str, following: str | None, width: int) -> bool:
    rules = _rules()
    return (
        len(line) < _SHORT_LINE * width
        and not _ends_terminal(line)
        and not line.endswith(",")
        and _last_word(line) not in rules.continuation_words
        and not _starts_lower(line)
        and (following is None or not _starts_lower(following))
    )


def _breaks(block: list[_Line], i: int) -> bool:
    """Whether a paragraph ends between block[i-1] and block[i]."""
    rules = _rules()
    prev, nxt = block[i - 1].text, block[i].text
    width = max(len(line.text) for line in block[max(0, i - 3) : i + 4])
    if rules.list_item.match(nxt):
        return True
    if _starts_lower(nxt) or prev.endswith(("-", "\u00ad", "’", "'", ",")):
        return False
    if nxt[0].isdigit() and not _ends_terminal(prev):  # "1 900" or a phone number cut by the layout
        return False
    if _last_word(prev) in rules.continuation_words:
        return False
    if _ends_terminal(prev):
        if block[i - 1].ends_paragraph or len(prev) < _LAST_LINE * width:
            return True
        following = block[i + 1].text if i + 1 < len(block) else None
        return _heading_like(nxt, following, width)
    return len(prev) < _SHORT_LINE * width


def _blocks(text: str) -> list[list[_Line]]:
    """Groups of lines between hard breaks (blank lines, or 2+ blank lines in double-spaced text)."""
    rules = _rules()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    hard_gap = 2 if _is_double_spaced(lines) else 1
    blocks: list[list[_Line]] = []
    current: list[_Line] = []
    blank_run = 0
    for raw in lines:
        stripped = " ".join(raw.split())
        if not stripped or rules.decoration.match(stripped):
            blank_run += 1 if not stripped else hard_gap
            continue
        if current and blank_run >= hard_gap:
            blocks.append(current)
            current = []
        blank_run = 0
        hint = bool(re.search(r"[.!?…:]\S*\s{2,}$", raw))
        current.append(_Line(stripped, hint))
    if current:
        blocks.append(current)
    return blocks


def rebuild_paragraphs(text: str) -> str:
    """Rebuild paragraphs from text whose line breaks come from a PDF layout: lines of one
    paragraph are joined, words cut by a hyphen mended (real compounds keep their hyphen),
    headings and list items kept as paragraphs of their own. Paragraphs end with "\\n\\n"."""
    words = _document_words(text.split("\n"))
    paragraphs: list[str] = []
    for block in _blocks(text):
        current = block[0].text
        for i in range(1, len(block)):
            if _breaks(block, i):
                paragraphs.append(current)
                current = block[i].text
            else:
                current = _join(current, block[i].text, words)
        paragraphs.append(current)
    return tidy_paragraphs(paragraphs)


def _edge_lines(lines: list[str], k: int) -> list[tuple[str, int]]:
    """(zone, index) of the first and last ``k`` non-blank lines of a page, outermost first."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    top = [("top", i) for i in filled[:k]]
    bottom = [("bottom", i) for i in reversed(filled[-k:])]
    return top + bottom


def _furniture_key(zone: str, line: str) -> str:
    return zone + ":" + re.sub(r"\d+", "#", " ".join(line.lower().split()))


def clean_pdf_pages(pages: list[str]) -> str:
    """Text of a PDF from its pages: running headers/footers (lines recurring at the page edges
    on most pages, digits ignored) and page numbers dropped, then paragraphs rebuilt."""
    rules = _rules()
    page_lines = [page.replace("\r\n", "\n").replace("\r", "\n").split("\n") for page in pages]
    edges = [_edge_lines(lines, rules.page_edge_lines) for lines in page_lines]
    counts: Counter[str] = Counter()
    for lines, edge in zip(page_lines, edges):
        counts.update({_furniture_key(zone, lines[i]) for zone, i in edge})
    threshold = max(2, math.ceil(rules.repeated_line_share * len(pages)))

    def is_furniture(zone: str, line: str) -> bool:
        return counts[_furniture_key(zone, line)] >= threshold or any(p.match(line) for p in rules.page_numbers)

    kept_pages = []
    for lines, edge in zip(page_lines, edges):
        drop: set[int] = set()
        for zone in ("top", "bottom"):  # peel from the page edge inwards, stop at the first real line
            for line_zone, i in edge:
                if line_zone == zone:
                    if not is_furniture(zone, lines[i]):
                        break
                    drop.add(i)
        kept_pages.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return rebuild_paragraphs("\n".join(kept_pages))
