"""Units of evidence in a document's text, and what kind of answer a question asks for.

Pure functions of text: which stretches can answer a question on their own (a sentence, a
table row with its headers, a run of "Label: value" lines, a sentence with the list it leads
into), which are bare (a heading or a label alone), and what a question wants (a date for
"when", a number for "how many", a name for "who").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .chunking import line_sentence_spans

_DATE = re.compile(
    r"\b(\d{1,2}/\d{1,2}/\d{2,4}|(19|20)\d\d|(spring|summer|autumn|winter)\b|"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4})", re.I)
_NUMBER = re.compile(r"\b\d[\d,.]*%?|\b(one|two|three|four|five|six|seven|eight|nine|ten|"
                     r"eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|million)\b", re.I)
_PERCENT = re.compile(r"\d\s*%|per ?cent", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")


_LIST_ITEM = re.compile(r"\s*(\d{1,2}[.)]|\(?[a-z]\)|[-•·*–])\s+\S")
LIST_CHARS = 1500


def list_end(text: str, end: int) -> int:
    """The end of the list that follows a lead-in ending at `end` (or `end` when none does)."""
    position, last, items = end, end, 0
    while position < len(text):
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        line = text[position:line_end]
        if line.strip():
            is_item = bool(_LIST_ITEM.match(line))
            leads_on = line.rstrip().endswith(":") and len(line) < 200 and not items
            if not (is_item or leads_on) or line_end - end > LIST_CHARS:
                break
            items += is_item
            last = position + len(line.rstrip())
        position = line_end + 1
    return last if items else end


FIELD_LINE = re.compile(r"[^:\n]{1,80}:\s+\S")
BARE_LABEL_WORDS = 3  # "Minutes:", "Members present:": a label; longer, a sentence leading on


def is_bare(text: str) -> bool:
    """A heading, or a label without its value: short, with no sentence ending and nothing
    after a colon. It names a topic; it says nothing."""
    text = text.strip()
    if text.endswith(":"):
        return len(text.split()) <= BARE_LABEL_WORDS  # "Present:" alone; not a lead-in
    if FIELD_LINE.match(text):
        return False
    return len(text.split()) <= 12 and not text.endswith((".", "!", "?", ";", "”", '"'))


_LABEL_LINE = re.compile(r"[A-Z][^:\n]{1,40}\??:\s+\S")


def evidence_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences, except that a run of short "Label: value" lines (a decision page's
    date, status and meeting fields) stays together as one unit of evidence, and a sentence
    that leads into a list ("The inspectors made six recommendations:") is one unit with
    the list's items that follow it in the passage."""
    units: list[tuple[int, int]] = []
    items_end = start
    for span in line_sentence_spans(text, start, end):
        if span[0] < items_end:
            continue  # an item of the list the unit before leads into
        line = text[span[0]:span[1]]
        if line.rstrip().endswith(":") and len(line.split()) > BARE_LABEL_WORDS:
            items_end = min(list_end(text, span[1]), end)
            if items_end > span[1]:
                units.append((span[0], items_end))
                continue
        is_field = len(line) <= 120 and bool(_LABEL_LINE.match(line))
        if is_field and units and units[-1][1] - units[-1][0] <= 400 and \
                _LABEL_LINE.match(text[units[-1][0]:units[-1][1]]) and \
                text.count("\n", units[-1][1], span[0]) <= 3 and \
                "\n" in text[units[-1][1]:span[0]]:
            units[-1] = (units[-1][0], span[1])
        else:
            units.append(span)
    return units


def answer_type(question: str) -> Callable[[str], bool] | None:
    """What a sentence must hold to be the kind of answer the question asks for."""
    q = question.lower()
    if m := re.search(r"\bwhat (?:does|did|do) (\S+) (?:stand for|mean)\b", question, re.I):
        acronym = re.escape(m.group(1).strip("“”\"'"))
        defined = re.compile(rf"{acronym}[”\"']?\s*(\(|referred to|stands? for|means)", re.I)
        return lambda s: bool(defined.search(s))
    if re.search(r"\b(percentage|per ?cent|proportion)\b", q):
        return lambda s: bool(_PERCENT.search(s))
    if re.search(r"\bwhen\b|\bwhat (date|year|time)\b|\bfrom when\b", q):
        return lambda s: bool(_DATE.search(s))
    if re.search(r"\bhow (many|much)\b|\bnumber of\b", q):
        return lambda s: bool(_NUMBER.search(s))
    if re.search(r"\bwho\b", q):
        return lambda s: bool(_NAME.search(s))
    return None
