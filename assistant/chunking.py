"""Text → chunks along the document's structure, each an exact [start, end) slice of the text.

Headings (Markdown, numbered minutes such as ``7.1``, short title lines, ``RESOLVED:``-style
labels) open sections; sentences are packed into chunks that stay inside a section, keep
paragraphs whole where they fit, and never cut a sentence unless it alone is over the limit.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .records import Chunk

TokenCounter = Callable[[Sequence[str]], list[int]]

# A sentence longer than max_tokens × this many characters is counted in pieces; ordinary
# text runs about 4-6 characters a token, so only runaway "sentences" are ever cut here.
CHARS_PER_TOKEN_CAP = 16
COUNT_BATCH = 4096  # pieces tokenized together: enough for speed, few enough for memory
_LINE = re.compile(r"[^\n]+")
_MD_HEADING = re.compile(r"#{1,6}(?=\s)")
_NUMBERED = re.compile(r"(\d{1,3}(?:\.\d{1,3})*)\.?(?=\s)")
_LABEL = re.compile(
    r"(RESOLVED|Resolved|Minutes|Decisions?|Recommendations?|Agenda item|Present|Apologies)"
    r"\s*:?\s*$"
)
_BULLET = re.compile(r"[·•\-*–]|\(?[ivx]+\)|\(?[a-z]\)")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+")
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "hon", "st", "no", "nos", "cllr", "co", "ltd", "eg", "e.g", "ie",
    "i.e", "etc", "vs", "rt", "prof", "sr", "jr", "inc", "approx", "para", "ref", "cf", "fig",
    "vol", "p", "pp", "op", "gen", "col", "supt", "insp", "sgt", "cpl", "lt", "capt", "rev",
}


@dataclass
class _Unit:
    """A sentence (or piece of one) with its token count and the section it belongs to."""

    start: int
    end: int
    tokens: int
    section: int
    block: int


@dataclass
class _Heading:
    level: int
    title: str


def chunk_text(
    doc_id: str,
    text: str,
    count_tokens: TokenCounter,
    max_tokens: int = 200,
    overlap: int = 0,
    page_starts: Sequence[int] = (),
) -> list[Chunk]:
    """Split text into chunks of at most max_tokens tokens along its structure."""
    sections, units = _units(text, count_tokens, max_tokens)
    min_tokens = max(16, max_tokens // 4)
    chunks: list[Chunk] = []
    current: list[_Unit] = []

    def flush() -> None:
        if current:
            chunks.append(_make_chunk(doc_id, text, current, sections, len(chunks), page_starts))

    for i, unit in enumerate(units):
        size = sum(u.tokens for u in current)
        new_section = bool(current) and unit.section != current[-1].section
        new_block = bool(current) and unit.block != current[-1].block
        if new_section and size >= min_tokens:
            flush()
            current = []
        elif current and size + unit.tokens > max_tokens:
            flush()
            current = _overlap(current, overlap, max_tokens) if not new_block else []
        elif new_block and size >= min_tokens and size + _block_tokens(units, i) > max_tokens:
            flush()  # keep the next paragraph whole rather than splitting it across chunks
            current = []
        current.append(unit)
    flush()
    return chunks


def _overlap(previous: list[_Unit], count: int, max_tokens: int) -> list[_Unit]:
    kept = previous[-count:] if count else []
    while kept and sum(u.tokens for u in kept) > max_tokens // 2:
        kept = kept[1:]
    return list(kept)


def _block_tokens(units: list[_Unit], first: int) -> int:
    block = units[first].block
    total = 0
    for unit in units[first:]:
        if unit.block != block:
            break
        total += unit.tokens
    return total


def _make_chunk(
    doc_id: str,
    text: str,
    units: list[_Unit],
    sections: list[str | None],
    ordinal: int,
    page_starts: Sequence[int],
) -> Chunk:
    start, end = units[0].start, units[-1].end
    weight: dict[int, int] = {}
    for unit in units:
        weight[unit.section] = weight.get(unit.section, 0) + unit.tokens
    section = sections[max(weight, key=lambda s: (weight[s], -s))]
    pages = (
        (bisect.bisect_right(page_starts, start), bisect.bisect_right(page_starts, end - 1))
        if page_starts
        else (None, None)
    )
    return Chunk(doc_id, ordinal, start, end, text[start:end], section, pages[0], pages[1])


def _units(
    text: str, count_tokens: TokenCounter, max_tokens: int
) -> tuple[list[str | None], list[_Unit]]:
    """Sentences of every line, tagged with section and block (paragraph) numbers."""
    sections: list[str | None] = [None]
    stack: list[_Heading] = []
    spans: list[tuple[int, int, int, int]] = []  # start, end, section, block
    previous_line = ""
    previous_end = 0
    for block, match in enumerate(_LINE.finditer(text)):
        start, end = _strip(text, match.start(), match.end())
        if start >= end:
            previous_line = ""  # a blank (or whitespace-only) line ends a paragraph
            continue
        if text.count("\n", previous_end, match.start()) > 1:
            previous_line = ""
        previous_end = match.end()
        line = text[start:end]
        heading = _heading(line, previous_line)
        if heading:
            while stack and stack[-1].level >= heading.level:
                stack.pop()
            stack.append(heading)
            sections.append(" > ".join(h.title for h in stack))
        for s_start, s_end in sentence_spans(text, start, end):
            spans.append((s_start, s_end, len(sections) - 1, block))
        previous_line = line
    counts = _count(text, [(s, e) for s, e, _, _ in spans], count_tokens,
                    max_tokens * CHARS_PER_TOKEN_CAP)
    units: list[_Unit] = []
    for (s_start, s_end, section, block), tokens in zip(spans, counts, strict=True):
        if tokens <= max_tokens:
            units.append(_Unit(s_start, s_end, tokens, section, block))
        else:
            units.extend(_Unit(a, b, t, section, block)
                         for a, b, t in _split_long(text, s_start, s_end, tokens, max_tokens))
    return sections, units


def _count(text: str, spans: list[tuple[int, int]], count_tokens: TokenCounter,
           cap: int) -> list[int]:
    """Tokens of each span. A span over `cap` characters is counted in pieces cut at spaces
    and the counts summed, so the tokenizer never holds one huge run of text: a file with no
    sentence ends or line breaks costs memory in proportion to `cap`, not to its size."""
    pieces: list[str] = []
    owners: list[int] = []
    for n, (start, end) in enumerate(spans):
        for a, b in _bounded(text, start, end, cap):
            pieces.append(text[a:b])
            owners.append(n)
    counts = [0] * len(spans)
    for first in range(0, len(pieces), COUNT_BATCH):
        batch = count_tokens(pieces[first:first + COUNT_BATCH])
        for owner, tokens in zip(owners[first:first + COUNT_BATCH], batch, strict=True):
            counts[owner] += tokens
    return counts


def _bounded(text: str, start: int, end: int, cap: int) -> list[tuple[int, int]]:
    """A span cut at spaces into pieces of at most `cap` characters (a hard cut where a piece
    has no space)."""
    if end - start <= cap:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    cursor = start
    while end - cursor > cap:
        cut = text.rfind(" ", cursor + cap // 2, cursor + cap)
        cut = cut if cut > cursor else cursor + cap
        pieces.append((cursor, cut))
        cursor = cut
    pieces.append((cursor, end))
    return pieces


def _heading(line: str, previous_line: str) -> _Heading | None:
    """A heading's level and title when this line opens a section, else None."""
    if m := _MD_HEADING.match(line):
        return _Heading(len(m.group()), line[m.end():].strip())
    if m := _NUMBERED.match(line):
        rest = line[m.end():].strip()
        number = m.group(1)
        title_like = len(rest.split()) <= 12 and rest[-1:] not in ".;,"
        if "." not in number and not title_like:
            return None  # "1. Ensure that ..." is a list item, not a numbered minute
        label = f"{number} {rest}" if title_like else number
        return _Heading(2 + number.count("."), label[:120])
    if _LABEL.match(line):
        return _Heading(4, line.rstrip(" :"))
    words = line.split()
    ends_paragraph = not previous_line or previous_line.rstrip()[-1:] in ".!?:;\"”’)"
    if (
        len(words) <= 10
        and len(line) <= 90
        and line[-1] not in ".,;:!?"
        and not _BULLET.match(line)
        and ": " not in line
        and (line[0].isupper() or line[0] in "/(‘'\"“")
        and ends_paragraph
    ):
        return _Heading(1, line.strip("/ ")[:120])
    return None


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def line_sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end], line by line (a line break ends a sentence)."""
    spans: list[tuple[int, int]] = []
    for match in _LINE.finditer(text, start, end):
        line_start, line_end = _strip(text, match.start(), match.end())
        if line_start < line_end:
            spans.extend(sentence_spans(text, line_start, line_end))
    return spans


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans within text[start:end], trimmed of surrounding space."""
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if not _is_boundary(text, match.start(), match.end(), end):
            continue
        spans.append(_strip(text, cursor, match.end()))
        cursor = match.end()
    spans.append(_strip(text, cursor, end))
    return [(a, b) for a, b in spans if a < b]


def _is_boundary(text: str, dot: int, after: int, end: int) -> bool:
    if after >= end:
        return False
    nxt = text[after]
    if not (nxt.isupper() or nxt.isdigit() or nxt in "\"'“‘(·•"):
        return False
    if text[dot] != ".":
        return True
    word_start = dot
    while word_start > 0 and not text[word_start - 1].isspace() and text[word_start - 1] != "(":
        word_start -= 1
    word = text[word_start:dot].lower()
    return not (word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()))


def _split_long(
    text: str, start: int, end: int, tokens: int, max_tokens: int
) -> list[tuple[int, int, int]]:
    """Cut an over-long sentence at spaces into pieces of about max_tokens tokens."""
    pieces = -(-tokens // max_tokens)
    target = (end - start) / pieces
    out: list[tuple[int, int, int]] = []
    cursor = start
    for i in range(1, pieces):
        cut = text.rfind(" ", cursor + 1, int(start + target * i))
        if cut <= cursor:
            continue
        out.append((cursor, cut, 0))
        cursor = cut + 1
    out.append((cursor, end, 0))
    share = tokens / (end - start)
    return [(a, b, max(1, min(max_tokens, round((b - a) * share)))) for a, b, _ in out]
