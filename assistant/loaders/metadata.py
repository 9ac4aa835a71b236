"""Metadata found in a document's own words: decision-page fields, minutes markers, dates."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
# the month names as alternatives, longest first ("september" before "sep")
MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE_PATTERNS = [
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), ("y", "m", "d")),
    (re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b"), ("d", "m", "y")),
    (
        re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({MONTH_PATTERN})\.?,?\s+(\d{{4}})\b", re.I),
        ("d", "mon", "y"),
    ),
    (
        re.compile(rf"\b({MONTH_PATTERN})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I),
        ("mon", "d", "y"),
    ),
]

# "Label: value" lines of ModernGov decision and meeting pages.
_FIELDS = {
    "decision_maker": r"Decision Maker",
    "decision_status": r"Decision status",
    "decision_date": r"Date of decision",
    "decided_at": r"Decided at meeting",
    "publication_date": r"Publication date",
    "meeting_date": r"(?:Meeting date|Date of meeting)",
    "committee": r"(?:Committee|Meeting of)",
}
_FIELD_RES = {
    name: re.compile(rf"^[ \t]*{label}\s*:[ \t]*(.+?)[ \t]*$", re.I | re.M)
    for name, label in _FIELDS.items()
}
_MINUTES_MARKERS = re.compile(
    r"^\s*(?:Minutes\s*:|RESOLVED\b|Resolved\s*:|Agenda item\b|Present\s*:|Apologies\b)", re.M
)
_BOILERPLATE_LINES = {
    "menu", "council meetings", "decision details", "agenda item", "search", "skip to content",
    "home", "share this post", "minutes:", "decisions:",
}


def parse_date(text: str) -> str | None:
    """The first date in text as an ISO date (UK day-first for numeric dates), or None."""
    found: list[tuple[int, str]] = []
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            iso = _to_iso(dict(zip(order, match.groups(), strict=True)))
            if iso:
                found.append((match.start(), iso))
                break
    return min(found)[1] if found else None


def _to_iso(parts: dict[str, str]) -> str | None:
    month = MONTHS[parts["mon"].lower()] if "mon" in parts else int(parts["m"])
    try:
        return date(int(parts["y"]), month, int(parts["d"])).isoformat()
    except ValueError:
        return None


def extract(text: str) -> dict[str, Any]:
    """Metadata the text states about itself; keys absent when it says nothing."""
    found: dict[str, Any] = {}
    fields = {name: m.group(1) for name, rx in _FIELD_RES.items() if (m := rx.search(text))}
    if "decision_maker" in fields or "decision_status" in fields:
        found["doc_type"] = "decision"
    elif len(_MINUTES_MARKERS.findall(text)) >= 1:
        found["doc_type"] = "minutes"
    committee = fields.get("decision_maker") or fields.get("committee")
    decided_at = fields.get("decided_at")
    if decided_at:
        found["meeting_date"] = parse_date(decided_at)
        if not committee and " - " in decided_at:
            committee = decided_at.split(" - ", 1)[1].strip()
    if committee:
        found["committee"] = committee
    for key, source in (("meeting_date", "meeting_date"), ("meeting_date", "decision_date")):
        if not found.get(key) and fields.get(source):
            found[key] = parse_date(fields[source])
    if not found.get("meeting_date"):
        found["meeting_date"] = meeting_date_in_head(text)
    if fields.get("publication_date"):
        found["publication_date"] = parse_date(fields["publication_date"])
    if fields.get("decision_status"):
        found["decision_status"] = fields["decision_status"]
    title = guess_title(text)
    if title:
        found["title"] = title
    return {k: v for k, v in found.items() if v}


_HEADING_MARKS = re.compile(r"^#{1,6}\s+")


def guess_title(text: str) -> str | None:
    """The first line that reads like a title, skipping navigation words."""
    for line in text.splitlines()[:40]:
        # a Markdown heading's marks are not its words ("# Ashby Parva Parish Council")
        candidate = _HEADING_MARKS.sub("", line.strip().strip("/").strip())
        if not candidate or candidate.lower() in _BOILERPLATE_LINES:
            continue
        if ":" in candidate[:30] and not candidate.endswith(":"):
            continue
        if _mostly_date(candidate):
            continue  # "THURSDAY, 2 MAY 2019" dates the document; it does not name it
        if 2 <= len(candidate.split()) <= 25:
            return candidate[:200]
    return None


def _mostly_date(line: str) -> bool:
    """A line that is a date and little else (a weekday, punctuation)."""
    for pattern, _ in _DATE_PATTERNS:
        match = pattern.search(line)
        if match:
            rest = (line[:match.start()] + line[match.end():]).strip(" ,.-–")
            return len(rest.split()) <= 1
    return False


_TOOL_TITLE = re.compile(
    r"(?i)^(microsoft (word|excel|powerpoint)\s*-|crystal reports|untitled|document\d*$|"
    r"slide \d+$)|\.(docx?|rtf|rpt|xlsx?|pptx?|pdf|odt)\b|^<\?xml")
_PLACEHOLDER_RUN = re.compile(r"\b[A-Z]{2,}(?:\s+[A-Z]{2,})+\b")


def is_placeholder_title(title: str) -> bool:
    """A title a tool or template made, not a person: "Microsoft Word - x.doc", a report
    writer's file name, "untitled", or a template with its ALL-CAPS fields left unfilled
    ("LA NAME - inspection report - INSPECTION DATE")."""
    title = " ".join(title.split())
    if not title:
        return False
    if len(title.split()) == 1:
        return True  # one word ("Minutes", "Report") names a kind of document, not this one
    if _TOOL_TITLE.search(title):
        return True
    words = re.findall(r"[A-Za-z]+", title)
    has_lower = any(w.islower() for w in words)
    return has_lower and len(_PLACEHOLDER_RUN.findall(title)) >= 2


HEAD_CHARS = 2000  # a meeting's own date is stated at the top; later dates are other meetings'
# "Meeting held at the Village Hall at 7.30 pm on Wednesday …": up to the "on" in the same
# sentence (a time's point does not end it)
_MEETING = r"\b(?:meeting|minutes|hearing)\b"
_MEETING_ON = re.compile(
    rf"{_MEETING}(?:[^.\n]|\.(?=\d)){{0,80}}?\b(?:held\s+)?(?:on|from|of)\s+"
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?", re.I)
_MEETING_DATED = re.compile(rf"{_MEETING}[ \t]*[-–:,]?[ \t]*", re.I)  # "Meeting 15 May"
_DATE_LINE = re.compile(r"^[ \t]*Date[ \t]*:[ \t]*(.+?)[ \t]*$", re.M)


def meeting_date_in_head(text: str) -> str | None:
    """The date a meeting's papers give for it at their top: "Date: 22 October 2009",
    "Minutes of the Ordinary Meeting held on Wednesday 11 November 2020", "MEETING ON
    THURSDAY 5th DECEMBER 2019", "Minutes from Monday, January 29, 2018", "Annual Parish
    Council Meeting 15 May 2019"."""
    head = text[:HEAD_CHARS]
    for match in _DATE_LINE.finditer(head):  # a front sheet's own "Date:" line comes first
        found = _date_at_start(match.group(1))
        if found:
            return found
    # the first meeting the head dates is its own ("Minutes of the Meeting held on 4 April"
    # further down approves the last one's)
    for _, end in sorted((m.start(), m.end()) for rx in (_MEETING_ON, _MEETING_DATED)
                         for m in rx.finditer(head)):
        found = _date_at_start(head[end:end + 40])
        if found:
            return found
    return None


def _date_at_start(text: str) -> str | None:
    """A date that opens the text (a few characters of slack), as an ISO date."""
    for pattern, order in _DATE_PATTERNS:
        match = pattern.search(text)
        if match and match.start() <= 3:
            return _to_iso(dict(zip(order, match.groups(), strict=True)))
    return None
