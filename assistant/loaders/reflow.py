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
_ITEM = re.compile(r"^\s*(\d{1,3}(\.\d{1,3})*[.)]?\s+\S|\(?[a-z]{1,2}\)\s|\(?[ivx]{1,5}\)\s|"
                   r"[•·▪●◦*–-]\s)")
_SENTENCE_END = re.compile(r"[.!?:;][\"'”’)\]]*$")
_CONNECTIVES = frozenset("and or of the a an to for in on at by with from as that which who "
                         "is are was were be than nor but".split())


def _key(line: str) -> str:
    """A line with its numbers blanked, so "Page 3 of 9" matches "Page 4 of 9"."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def furniture(pages: list[list[str]]) -> set[str]:
    """Keys of lines repeated at the top or bottom of many pages."""
    if len(pages) < 3:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        body = [line for line in lines if line.strip()]
        seen.update({_key(line) for line in body[:EDGE_LINES] + body[-EDGE_LINES:]})
    needed = max(2, int(REPEATED_SHARE * len(pages) + 0.999))
    return {key for key, count in seen.items() if count >= needed and key.strip("# ")}


def _dangles(line: str) -> bool:
    """The line stops mid-phrase ("… Councillors Angela Caldara and"): the next goes on."""
    last = line.rsplit(" ", 1)[-1].lower()
    return line.endswith((",", "-", "–", "(", "&")) or last in _CONNECTIVES


def _is_heading(line: str) -> bool:
    words = line.split()
    if (not words or len(words) > 14 or _SENTENCE_END.search(line) or _dangles(line)
            or re.search(r"[a-z][.!?]\s", line)):
        return False
    letters = [c for c in line if c.isalpha()]
    shouting = len(letters) >= 3 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)
    numbered = bool(re.match(r"^\d{1,3}(\.\d{1,3})*\.?\s+[A-Z]", line))
    return shouting or numbered


def reflow_page(lines: list[str], drop: set[str]) -> str:
    """One page's text as paragraphs (blank-line separated), furniture removed."""
    body = [line for line in lines if line.strip()]
    edges = {id(line) for line in body[:EDGE_LINES] + body[-EDGE_LINES:]}
    paragraphs: list[str] = []
    current = ""
    previous_broke = True  # the previous line ended a paragraph
    for line in lines:
        text = " ".join(line.split())
        if not text:
            if current:
                paragraphs.append(current)
            current, previous_broke = "", True
            continue
        at_edge = id(line) in edges
        if at_edge and (_key(text) in drop or _PAGE_NUMBER.match(text)):
            continue
        starts_new = (previous_broke or _is_heading(text) or bool(_ITEM.match(text))
                      or _label_line(text)
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
        previous_broke = not _dangles(text) and (_is_heading(text) or _label_line(text))
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
    return [reflow_page(lines, drop) for lines in split]


def continues(before: str, after: str) -> bool:
    """The text after a page break carries on the sentence the page before left open."""
    return bool(before.strip()) and bool(after[:1].islower()) and not _SENTENCE_END.search(
        before.rstrip())
