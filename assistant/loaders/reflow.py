"""A PDF page's extracted lines → paragraphs as a person reads them.

PDF text keeps the page's hard line breaks, so a sentence is cut at every line end, and each
page repeats its running header, footer and page number. Here, page by page (so page offsets
stay exact): lines repeated at the top or bottom of many pages are dropped, the lines of a
paragraph are joined (end-of-line hyphenation undone), and headings, list items and
label lines keep lines of their own. Paragraphs are separated by a blank line.
"""

from __future__ import annotations

import re
from collections import Counter

EDGE_LINES = 3  # lines at each end of a page where running headers and footers sit
# A line at a page's edge on at least this share of pages (and two of them) is furniture.
REPEATED_SHARE = 0.4
_PAGE_NUMBER = re.compile(r"(?i)^\s*(page\s+)?[-–(]?\s*\d{1,4}\s*[-–)]?(\s*(of|/)\s*\d{1,4})?\s*$")
# A list item: numbered, lettered, or bulleted. Symbol fonts' bullets extract as
# private-use characters, and Word's second-level bullet as a letter "o".
_BULLET = re.compile(r"^\s*([\ue000-\uf8ff]|o(?=\s+[A-Z$£€\d]))\s*")
_ITEM = re.compile(r"^\s*(\d{1,3}(\.\d{1,3})*[.)]?\s+\S|\(?[a-z]{1,2}\)\s|\(?[ivx]{1,5}\)\s|"
                   r"[•·▪●◦*–-]\s)")
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
_CONNECTIVES = frozenset("and or of the a an to for in on at by with from as that which who "
                         "is are was were be than nor but".split())


def _key(line: str) -> str:
    """A line with its numbers blanked, so "Page 3 of 9" matches "Page 4 of 9"."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def furniture(pages: list[list[str]]) -> set[str]:
    """Keys of lines repeated at the top or bottom of many pages. The edge is looked at
    twice: a sub-document's running header sits inside the pack's own furniture."""
    if len(pages) < 2:
        return set()
    needed = max(2, min(3, int(REPEATED_SHARE * len(pages) + 0.999)))
    found: set[str] = set()
    for _ in range(2):
        seen: Counter[str] = Counter()
        for lines in pages:
            body = [line for line in lines if line.strip() and _key(line) not in found
                    and not _PAGE_NUMBER.match(line)]
            seen.update({_key(line) for line in body[:EDGE_LINES] + body[-EDGE_LINES:]})
        found |= {key for key, count in seen.items()
                  if count >= needed and key.strip("# ") and not key.endswith(":")}
    return found


def dangles(line: str) -> bool:
    """The line stops mid-phrase ("… Councillors Angela Caldara and"): the next goes on."""
    last = line.rsplit(" ", 1)[-1].lower()
    return line.endswith((",", "-", "–", "(", "&")) or last in _CONNECTIVES


def _is_heading(line: str) -> bool:
    words = line.split()
    if (not words or len(words) > 14 or _SENTENCE_END.search(line) or dangles(line)
            or re.search(r"[a-z][.!?]\s", line)):
        return False
    letters = [c for c in line if c.isalpha()]
    shouting = len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
    numbered = bool(re.match(r"^\d{1,3}(\.\d{1,3})*\.?\s+[A-Z]", line))
    return shouting or numbered


def _edges(lines: list[str], drop: set[str]) -> set[int]:
    """Ids of the lines in a page's top and bottom zones: furniture and page numbers, and
    the first few lines of text inside them."""
    body = [line for line in lines if line.strip()]
    edges: set[int] = set()
    for run in (body, body[::-1]):
        text_lines = 0
        for line in run:
            if text_lines >= EDGE_LINES:
                break
            edges.add(id(line))
            if _key(line) not in drop and not _PAGE_NUMBER.match(line):
                text_lines += 1
    return edges


def reflow_page(lines: list[str], drop: set[str], kept: set[str] | None = None) -> str:
    """One page's text as paragraphs (blank-line separated), furniture removed. A line that
    recurs as a running header or footer is kept where it first appears, so nothing said
    once is lost (`kept` carries which were kept over the pages)."""
    kept = set() if kept is None else kept
    edges = _edges(lines, drop)
    paragraphs: list[str] = []
    current = ""
    previous_broke = True  # the previous line ended a paragraph
    for line in lines:
        text = _BULLET.sub("• ", " ".join(line.split()), count=1)
        if not text:
            if current:
                paragraphs.append(current)
            current, previous_broke = "", True
            continue
        if id(line) in edges and _PAGE_NUMBER.match(text):
            continue
        if id(line) in edges and _key(text) in drop:
            if _key(text) in kept:
                continue
            kept.add(_key(text))
        # a line opening in lower case carries on an unfinished line, even one that looked
        # like a heading ("1. Children and families receive the help they need … through")
        carries_on = text[:1].islower() and bool(current) and not _SENTENCE_END.search(current)
        starts_new = not carries_on and (
            previous_broke or _is_heading(text) or bool(_ITEM.match(text)) or _label_line(text)
            or (_SENTENCE_END.search(current) is not None and text[:1].isupper()
                and _is_heading(current)))
        if starts_new and current:
            paragraphs.append(current)
            current = ""
        if not current:
            current = text
        elif current.endswith("-") and current[-2:-1].isalpha() and text[:1].islower():
            current = current[:-1] + text  # "commit-\nment" → "commitment"
        else:
            current = f"{current} {text}"
        previous_broke = not dangles(text) and (_is_heading(text) or _label_line(text))
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _label_line(text: str) -> bool:
    """A short "Label: value" line (a date, a status) stands alone, as on a decision page."""
    return bool(re.match(r"^[A-Z][^:]{1,40}:\s+\S", text)) and (
        len(text) <= 60 or _SENTENCE_END.search(text) is not None)


def reflow(pages: list[str]) -> list[str]:
    """Every page's text reflowed, with the running furniture shared by the pages dropped."""
    split = [page.split("\n") for page in pages]
    drop = furniture(split)
    kept: set[str] = set()
    return [reflow_page(lines, drop, kept) for lines in split]


def continues(before: str, after: str) -> bool:
    """The text after a page break carries on the sentence the page before left open."""
    return bool(before.strip()) and bool(after[:1].islower()) and not _SENTENCE_END.search(
        before.rstrip())
