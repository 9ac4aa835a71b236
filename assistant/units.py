"""Units of evidence in a document's text, and what kind of answer a question asks for.

Pure functions of text: which stretches can answer a question on their own (a sentence, a
table row with its headers, a "Label: value" line, a sentence with the list it leads
into), which are bare (a heading or a label alone), and what a question wants (a date for
"when", a number for "how many", a name for "who").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .chunking import line_sentence_spans
from .loaders.metadata import MONTH_PATTERN, MONTHS
from .text import STOP_WORDS, content_terms, roots

_MONTH = rf"({MONTH_PATTERN})\b\.?"
_DATE = re.compile(
    rf"\b(\d{{1,2}}/\d{{1,2}}/\d{{2,4}}|(19|20)\d\d|{_MONTH}\s+(\d{{4}}|\d{{1,2}}(st|nd|rd|th)?\b(,?\s+\d{{4}})?)|"
    rf"\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}(\s+\d{{4}})?)",
    re.I)  # a year, a day and month either way round ("February 15th"), with its year
_TIME = re.compile(r"\b(\d{1,2}[:.]\d\d\s*([ap]\.?m\b)?|\d{1,2}\s*[ap]\.?m\b|noon|midday)", re.I)
_ONE_TO_TEN = "one|two|three|four|five|six|seven|eight|nine|ten"
# An amount or a count; a bare year ("in 2016") is neither, nor is a reference or a period
# written with a slash (minute "212/20", planning application "20/00209/TREECA", "2020/21").
_NUMBER = re.compile(r"(?<!/)\b(?!(19|20)\d\d\b(?![,.]\d))\d[\d,.]*%?(?![\d,.]*/\w)|"
                     rf"\b({_ONE_TO_TEN}|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
                     r"thousand|million)\b", re.I)
# A share: "35%", "35 per cent", or one in words, as reports give it: "two thirds of schools",
# "a quarter of", "half", "one in five", "3 out of 10" ("a third" only before "of": "a third
# party" is none)
_FEW = rf"(?:\d{{1,3}}|{_ONE_TO_TEN})"
_PERCENT = re.compile(
    r"\d\s*%|per ?cent|\bhalf\b|"
    rf"\b(?:{_ONE_TO_TEN})[\s-]+(?:thirds|quarters|fifths|sixths|eighths|tenths)\b|"
    r"\b(?:a|one)[\s-]+(?:third|quarter|fifth|sixth|eighth|tenth)\s+of\b|"
    rf"\b{_FEW}\s+(?:in|out of)\s+{_FEW}\b", re.I)
# A reference: capitals and digits joined by slashes or hyphens, with a digit and a capital
# letter among them ("20/01538/F", "PX-DJR-25-031"); not a date ("11/30/17"), a financial
# year ("2020/21") or a measure in lower case ("12-14ft").
_REFERENCE = re.compile(r"(?<![\w/-])(?=[A-Z0-9/-]*\d)(?=[A-Z0-9/-]*[A-Z])[A-Z0-9]+(?:[/-][A-Z0-9]+)+"
                        r"(?![\w/-])")
_MONEY = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s*(k|m|bn|million|billion)?\s*"
                    r"(pounds|dollars|euros|pence)\b", re.I)
# "How much" of money: "How much will it cost …?", "How much rent …?"
_ASKS_MONEY = re.compile(r"\bhow much\b.*\b(cost|pay|paid|spend|spent|price|fee|budget|rent|"
                         r"grant|charge|fund|worth|valu|precept|owe|money|salar|wage|income)",
                         re.I)
# A person's name: a title and a name, with or without initials ("Cllr J Hart", "Mrs N
# Cooper", "Dr Patel", "Councillor Michael H Charlesworth"), or an initial and a surname as
# minutes write them ("R. Warsing", "M. Prest"), anywhere; the value of a label that says it is
# a name ("Other names in full: James", "Surname: Bennett"); or two to NAME_WORDS capitalised
# words opening with a given name in general use (given_names.txt: "Sophie Wales", "Peter King",
# "Habiban" not). Capitals alone are not a name: about 80% of what they read as one in the
# council documents (a sample of 40) was a body, a place or a heading ("Parish Clerk", "Lime
# Kiln Road", "Liberal Democrats", "Other Names"), so nearly every passage of minutes answered
# "Who …?".
_CAPITALISED = r"[A-Z][a-z]+(?:[-'’][A-Z][a-z]+)?"
_NAME_WORD = rf"(?:[A-Z]\.?\s+)*{_CAPITALISED}"
_TITLED_NAME = re.compile(rf"\b(?:Cllrs?|Councillor|Mrs?|Ms|Miss|Dr|Sir|Dame|Prof(?:essor)?|Revd?)\.?"
                          rf"\s+{_NAME_WORD}(?:\s+{_NAME_WORD})*|"
                          rf"\b[A-Z]\.\s?{_CAPITALISED}(?:\s+{_NAME_WORD})*")
_NAME_LABEL = re.compile(r"(?i:names?)\b[^:;|\n]{0,20}:[ \t]*")
_NAME_VALUE = re.compile(rf"{_NAME_WORD}(?:[ \t]+{_NAME_WORD})*")
_CAPITALS = re.compile(rf"\b{_CAPITALISED}(?:[ \t]+{_NAME_WORD})+")
NAME_WORDS = 4  # "Danielle Jade Louise Smith"; five or more are an address or a heading


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Given names in general use, in lower case (written by scripts/build_given_names.py)."""
    lines = (Path(__file__).parent / "given_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


class _Names:
    """Where a text names people (above), as a compiled pattern's finditer gives matches."""

    def finditer(self, string: str) -> Iterator[re.Match[str]]:
        found = [*_TITLED_NAME.finditer(string)]
        found += [value for label in _NAME_LABEL.finditer(string)
                  if (value := _NAME_VALUE.match(string, label.end()))]
        taken = [m.span() for m in found]
        for run in _CAPITALS.finditer(string):
            words = [w for w in run.group(0).split() if len(w.rstrip(".")) > 1]
            if (words[0].lower() in given_names() and len(words) <= NAME_WORDS
                    and not any(a < run.end() and run.start() < b for a, b in taken)):
                found.append(run)
        return iter(sorted(found, key=lambda m: m.start()))


_NAME = _Names()


# ... and, where a text is one quoted line, a name opening it that ends where a cell or
# clause ends ("Paul Young | Conservative | 443 votes", "Stephen Ward, Chair of …"): the
# opening words of a sentence run on into it ("The Chair declared …").
_OPENING_NAME = re.compile(rf"^{_CAPITALISED}(?:\s+{_NAME_WORD})+(?=\s*(?:[|,;(]|$))")


def person_names(text: str, opening: bool = False) -> list[str]:
    """The people a text names, in order ("Councillor M Latif Darr", "Cllr Sue Lintern");
    `opening`: the text is a quote, and a name may open it (_OPENING_NAME)."""
    first = _OPENING_NAME.match(text) if opening else None
    after = first.end() if first else 0
    return ([first.group(0)] if first else []) + [m.group(0) for m in _NAME.finditer(text)
                                                  if m.start() >= after]


# The names a question gives: capitalised runs, "of" and "and" joining ("Oadby and Wigston").
_QUESTION_NAME = re.compile(r"(?:[A-Z][\w'’-]*|[A-Z]{2,})(?:\s+(?:of\s+|and\s+)?"
                            r"(?:[A-Z][\w'’-]*|[A-Z]{2,}))*")


def question_entities(question: str) -> list[str]:
    """The names a question gives (capitalised runs after its first word: "London CRC",
    "NPS", "Oadby and Wigston"), each once, possessives dropped."""
    rest = question.split(None, 1)[1] if " " in question else ""
    found = [re.sub(r"['’]s$", "", m.group(0)) for m in _QUESTION_NAME.finditer(rest)]
    return list(dict.fromkeys(f for f in found if len(f) > 1))


def question_names(question: str, apart: str) -> list[set[str]]:
    """The roots of each name the question gives (question_entities), split at the word
    `apart` ("of": "Leader", "Oadby and Wigston Borough Council"; "and": "Julie Morgan",
    "Karen Cornish"); empty parts left out."""
    parts = [set(roots(content_terms(part))) for name in question_entities(question)
             for part in re.split(rf"\s+{apart}\s+", name)]
    return [part for part in parts if part]


_LABEL_LINE = re.compile(r"[A-Z][^:\n]{1,40}\??:\s+\S")  # "Venue: Committee Room 1"
_ITEM_MARK = r"\(?[a-z]\)|[-•·*–]"  # "(b)", "•": an item's marker beside its number
_LIST_ITEM = re.compile(rf"\s*(\d{{1,2}}[.)]|{_ITEM_MARK})\s+\S")
LIST_CHARS = 1500


def list_end(text: str, end: int) -> int:
    """The end of the list that follows a lead-in ending at `end` (or `end` when none does):
    its items, or the "Label: value" lines it leads into ("The meeting will be held:" then
    its date, time and venue)."""
    position, last, items = end, end, 0
    while position < len(text):
        line_end = text.find("\n", position)
        line_end = len(text) if line_end < 0 else line_end
        line = text[position:line_end]
        if line.strip():
            is_item = bool(_LIST_ITEM.match(line) or _LABEL_LINE.match(line))
            leads_on = line.rstrip().endswith(":") and len(line) < 200 and not items
            if not (is_item or leads_on) or line_end - end > LIST_CHARS:
                break
            items += is_item
            last = position + len(line.rstrip())
        position = line_end + 1
    return last if items else end


FIELD_LINE = re.compile(r"[^:\n]{1,80}:\s+\S")


def line_label(text: str, start: int) -> tuple[int, int] | None:
    """Where the label ("Julie Morgan AM", "Item 5") that opens the line a unit starting at
    `start` sits on runs, its colon left out, when the unit comes after it (None otherwise)."""
    line = text.rfind("\n", 0, start) + 1
    label = FIELD_LINE.match(text, line)
    colon = line + label.group(0).index(":") if label else start
    return (line, colon) if colon < start else None


# A speaker's label as transcripts write it: capitalised words (titles with their dots, short
# particles between: "Rhun ap Iorwerth AM"), then perhaps a role in brackets ("Hon. Chrystia
# Freeland (Deputy Prime Minister …)", "The Chair (Hon. Anthony Rota (Nipissing, Lib.))")
_SPEAKER_LABEL = re.compile(r"(?:[A-Z][\w'’.-]*\s+(?:[a-z]{1,3}\s+)*)*[A-Z][\w'’.-]*"
                            r"(?:\s+\((?:[^()\n]|\([^()\n]*\))+\))?")
# a turn: its speaker's label, then what they say on the same line ("Dame Glenys said:"
# ending its line leads into a quote, and names no speaker)
_TURN = re.compile(r"^([^:\n]{1,80}):[ \t]+\S", re.M)
SPEAKER_TURNS = 2  # a label that opens this many lines of a document is a speaker's turn


def speaker(text: str, start: int) -> str | None:
    """Who speaks the unit of a transcript starting at `start`: the label that opens its
    line ("Dr Frank Atherton: Just in terms of … . We know not enough …"), whether the unit
    opens the line with it or comes after it, when the label is written as a speaker's is
    (_SPEAKER_LABEL) and names a person or opens SPEAKER_TURNS lines or more of the text,
    with or without its role ("Hefin David AM", "The Chair"). A label that names nobody and
    opens one line ("Matters Arising: …"), or is not written as a name ("RESOLVED: …",
    "Item 5: …", "Summing up, Dame Glenys said: …"), is no speaker."""
    line = text.rfind("\n", 0, start) + 1
    turn = _turn(text, line)
    if turn is None or line < start <= turn[0]:  # no turn, or the unit starts within the label
        return None
    return turn[1]


@lru_cache(maxsize=4096)
def _turn(text: str, line: int) -> tuple[int, str] | None:
    """Where the label of the speaker's turn opening the line at offset `line` ends, and the
    label (speaker), or None when the line opens no turn. Read once per line: a turn's
    sentences are each a unit."""
    found = _TURN.match(text, line)
    if found is None:
        return None
    colon = found.end(1)
    label = " ".join(text[line:colon].split())
    if not _SPEAKER_LABEL.fullmatch(label) or label.isupper():
        return None
    named = bool(person_names(label))
    who = _unbracketed(label)
    return (colon, label) if named or (len(who.split()) > 1
                                       and _line_labels(text)[who] >= SPEAKER_TURNS) else None


def _unbracketed(label: str) -> str:
    """The label without the role in brackets after it: whom it names."""
    return label.split(" (", 1)[0]


@lru_cache(maxsize=16)
def _line_labels(text: str) -> Counter[str]:
    """How many lines of the text each label opens, its role in brackets aside ("Hon. Patty
    Hajdu" and "Hon. Patty Hajdu (Minister of Health)" alike; read once per document)."""
    return Counter(_unbracketed(" ".join(m.group(1).split())) for m in _TURN.finditer(text))


# a marker alone, read as a sentence: "56.", "6.3.1.", "(b)", "•", "◼"
_MARKER = re.compile(rf"\s*(\d{{1,3}}(\.\d{{1,3}})*[.)]|{_ITEM_MARK}|◼)\s*")
BARE_LABEL_WORDS = 3  # "Minutes:", "Members present:": a label; longer, a sentence leading on


def is_bare(text: str) -> bool:
    """A heading, or a label without its value: short, with no sentence ending and nothing
    after a colon. It names a topic; it says nothing."""
    text = text.strip()
    if text.endswith(":"):
        return len(text.split()) <= BARE_LABEL_WORDS  # "Present:" alone; not a lead-in
    if FIELD_LINE.match(text):
        return False
    if _LIST_ITEM.match(text):  # "• Holiday decorations were taken down": an item, not a title
        return len(text.split()) - 1 <= BARE_LABEL_WORDS  # "• New Business" (the marker aside)
    return len(text.split()) <= 12 and not text.endswith((".", "!", "?", ";", "”", "’", '"'))


def _heads_nothing(text: str, at: int, end: int) -> bool:
    """Whether the line ending at `at` is not a heading: the passage ends after it, or the
    next line is short and without a sentence end too ("Bus lanes" then "Why we need TROs"
    then a paragraph: the last is the next section's heading)."""
    following = text[at:end].strip().split("\n", 1)[0]
    return not following or is_bare(following)


def evidence_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences and lines ("Label: value" lines each on their own: "Lead inspector: …" is
    cited apart from "Inspection dates: …"), except that a sentence that leads into a list
    ("The inspectors made six recommendations:", "The meeting will be held:") is one unit
    with the list's items or fields that follow it in the passage, a label alone on its line
    ("Councillors:") is one unit with the line that follows, short lines without a sentence
    end under one another are one block (a signature: "Kenneth Lawrie", "Returning
    Officer"), and a sentence in brackets that follows another on its line is read with it."""
    units: list[tuple[int, int]] = []
    items_end = start
    label = False  # the unit before is a label alone on its line ("Councillors:")
    block = False  # … a short line alone on its line, without a sentence end
    for span in line_sentence_spans(text, start, end):
        if span[0] < items_end:
            continue  # an item of the list the unit before leads into
        line = text[span[0]:span[1]]
        if _MARKER.fullmatch(line):
            continue  # a paragraph's number read as a sentence ("56."): no evidence
        leads_on = line.rstrip().endswith(":")
        # "Councillors:" then "Angela Caldara Corinna Edge Rod Scott" on the next line: one
        # "Label: value" unit, as if written on one line (not a label then a list's items)
        if (label and "\n" in text[units[-1][1]:span[0]] and not leads_on
                and not _LIST_ITEM.match(line)):
            units[-1] = (units[-1][0], span[1])
            label = False
            continue
        # short lines without a sentence end under one another ("Kenneth Lawrie" then
        # "Returning Officer", an address) are one block: read apart, the title is a bare
        # line that says nothing of whose it is
        opens_line = not text[text.rfind("\n", 0, span[0]) + 1:span[0]].strip()
        alone = opens_line and not text[span[1]:(text.find("\n", span[1]) + 1 or len(text))].strip()
        short = alone and is_bare(line) and not leads_on and not _LIST_ITEM.match(line)
        if block and short and _heads_nothing(text, span[1], end):
            units[-1] = (units[-1][0], span[1])
            continue
        label = leads_on and len(line.split()) <= BARE_LABEL_WORDS and opens_line
        block = short
        # "RESOLVED: That … (Cllr A proposed, … one was against)." is one unit with its vote
        between = text[units[-1][1]:span[0]] if units else "\n"
        if line.startswith("(") and not between.strip() and "\n" not in between:
            units[-1] = (units[-1][0], span[1])
            continue
        if leads_on and len(line.split()) > BARE_LABEL_WORDS:
            items_end = min(list_end(text, span[1]), end)
            if items_end > span[1]:
                units.append((span[0], items_end))
                continue
        units.append(span)
    return units


@dataclass(frozen=True)
class AnswerType:
    """What kind of value a question asks for ("date", "time", "number", "percent", "name",
    "definition", "contact"), and whether a sentence holds one the question does not
    already say."""

    kind: str
    holds: Callable[[str], bool]

    def __call__(self, sentence: str) -> bool:
        return self.holds(sentence)


_WEB = re.compile(r"\b(https?://|www\.)\S+")
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+")
_PHONE = re.compile(r"(?<![\d.])((\+44\s?|0)\d{2,4}[\s-]?\d{3,4}[\s-]?\d{3,4}|"
                    r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\d.]\d)")  # UK, and US style
_CONTACT = re.compile("|".join(p.pattern for p in (_WEB, _EMAIL, _PHONE)))


# "when" and "who" ask for a date or a name only as the question's own question word: after
# another one they open a clause ("What did she think when talking about …?", "… of the
# students who crossed the border?"), and the question asks for what that one asks.
_FIRST = r"^(?:(?!\b(?:who|what|which|where|why|how)\b).)*"

# What a question asks for, read from its words, the first that matches: the kind of value
# and its pattern.
_VALUES = [(re.compile(asks), kind, value) for asks, kind, value in (
    (r"\b(percentage|per ?cent|proportion)\b", "percent", _PERCENT),
    (r"\bwhat time\b|\bhow late\b", "time", _TIME),
    (r"\be-?mail\b", "contact", _EMAIL),
    (r"\b(tele)?phone\b", "contact", _PHONE),
    (r"\bwebsite\b|\bweb (address|page)\b|\burl\b", "contact", _WEB),
    (r"\bcontact details\b|\bhow (do|can|should) (i|we|residents?) contact\b", "contact", _CONTACT),
    (rf"{_FIRST}\bwhen\b|\bwhat (date|year)\b", "date", _DATE),
    (r"\b(ref|reference)\b(?! to\b)|\bapplication (number|no)\b", "reference", _REFERENCE),
    (r"\bhow (many|much)\b|\b(the|a|total) number of\b", "number", _NUMBER),
    (rf"{_FIRST}\bwho\b", "name", _NAME),
)]


def answer_type(question: str, held: str | None = None) -> AnswerType | None:
    """What a sentence must hold to be the kind of answer the question asks for: a value of
    that kind the question does not already hold ("When is the meeting after November 2020?"
    is not answered by a line dated November 2020). `held` is the ISO date of the meeting a
    document records: asked for the next one, a date on or before it is not the answer."""
    q = question.lower()
    if m := re.search(r"\bwhat (?:does|did|do) (\S+) (?:stand for|mean)\b", question, re.I):
        acronym = re.escape(m.group(1).strip("“”\"'"))
        defined = re.compile(rf"{acronym}[”\"']?\s*(\(|referred to|stands? for|means)", re.I)
        return AnswerType("definition", lambda s: bool(defined.search(s)))
    for asks, kind, value in _VALUES:
        if asks.search(q):
            return AnswerType(kind, _new_date(q, held) if value is _DATE
                              else _new_value(value, q))
    return None


def states_money(question: str, text: str) -> bool:
    """Whether the text gives an amount of money, when the question asks how much something
    costs or pays (true for any other question): "three quotes" does not say what acquiring
    the land will cost. The answer type stays a number for ranking; this is what a factual
    answer must hold."""
    return not _ASKS_MONEY.search(question) or bool(_MONEY.search(text))


# "How many X …?", "the number of X": what is counted is named by the words after it, up to
# the first stop word ("How many parking spaces will …" counts parking spaces).
_ASKS_COUNT = re.compile(r"\b(?:how many|(?:the|a|total) number of)\s+(.*)", re.I)
COUNTED_WORDS = 2  # "hotel rooms", "Probation Trusts": a noun and the word before it
COUNT_REACH = 3  # "118 accessory parking spaces": the counted noun within three words after
_COUNT_TOKEN = re.compile(r"\w+(?:[.,]\d+)*|[^\w\s]")
_COUNT_WORDS = frozenset("one two three four five six seven eight nine ten eleven twelve "
                         "twenty thirty forty fifty hundred thousand million dozen dozens "
                         "hundreds thousands millions several".split())
_STANDS_ALONE = frozenset(".,;:!?|()")  # what may end or open a count that names no noun
# Nouns that count whatever is named: "How many people attended?" is answered by "14
# members of the public", "How many times …?" by "twice".
_ANY_NOUN = frozenset("people persons individuals times occasions".split())
_TIMES = frozenset("once twice".split())
_CURRENCY = frozenset("£$€")


def counted_words(question: str) -> list[str]:
    """What a "how many" question counts ("parking spaces"), or none for another question."""
    asked = _ASKS_COUNT.search(question)
    counted: list[str] = []
    for word in re.findall(r"[^\W\d_]+", asked.group(1).lower()) if asked else []:
        if word in STOP_WORDS or len(counted) == COUNTED_WORDS:
            break
        counted.append(word)
    return counted


def states_count(question: str, text: str) -> bool:
    """Whether the text gives a count of what the question asks how many of (true for any
    other question). A count stands before the noun it counts ("108 accidents", "one
    Councillor", "118 accessory parking spaces") or alone as the value ("there were five on
    the field", "Objections: 12"); a number before another noun counts that ("12 months",
    "Two workshops"), one after a word other than a stop word names it ("Ward 7", "outcome
    2"), "one" alone is seldom a count ("one of them"), and one in a date, a time, a range,
    a reference or an amount of money is no count of anything. Asked how many people or
    times, a count right before any noun will do (_ANY_NOUN)."""
    counted = counted_words(question)
    if not counted:
        return True
    wanted = set(roots(counted))
    general = counted[0] in _ANY_NOUN
    taken = _dates_and_times(text)
    found = list(_COUNT_TOKEN.finditer(text))
    words = [m.group(0).lower() for m in found]
    for i, (word, match) in enumerate(zip(words, found, strict=True)):
        at = match.start()
        before = words[i - 1] if i else "."
        number = word.replace(",", "").isdigit() or word in _COUNT_WORDS or (
            general and word in _TIMES)
        if not number or before in _CURRENCY or any(a <= at < b for a, b in taken):
            continue
        after = [w for w in words[i + 1:i + 1 + COUNT_REACH] if w.isalpha()]
        follows = words[i + 1] if i + 1 < len(words) else "."
        # asked how many people, a count is right before the noun it counts ("14 members"),
        # not a number that a dash or comma parts from the next word ("Ward 7 – Falkirk")
        counts_noun = bool(wanted & set(roots(after))) or general and (
            word in _TIMES or follows.isalpha() and follows not in STOP_WORDS)
        alone = (word != "one" and (follows in STOP_WORDS or follows in _STANDS_ALONE)
                 and (before in _STANDS_ALONE or before in STOP_WORDS))
        if counts_noun or alone:
            return True
    return False


_RANGE_START = re.compile(r"\b\d{1,2}(st|nd|rd|th)?\s*(to|-|–|and)\s*$")


def _dates_and_times(text: str) -> list[tuple[int, int]]:
    """Where the text's dates and times are, a range's first day with its date ("9" of
    "9 to 13 March 2026")."""
    spans = []
    for m in (*_DATE.finditer(text), *_TIME.finditer(text)):
        start = m.start()
        if before := _RANGE_START.search(text, max(0, start - 12), start):
            start = before.start()
        spans.append((start, m.end()))
    return spans


def _new_value(pattern: re.Pattern[str] | _Names, question: str) -> Callable[[str], bool]:
    """Whether a sentence holds a match of the pattern with a word the question lacks; a
    count or amount is not the day of a date or a time ("9" in "Thursday 9 October")."""
    asked = set(re.findall(r"\w+", question))

    def holds(sentence: str) -> bool:
        found = [m.start() for m in pattern.finditer(sentence) if _words(m) - asked]
        if not found or pattern is not _NUMBER:
            return bool(found)
        taken = _dates_and_times(sentence)
        return any(not any(a <= at < b for a, b in taken) for at in found)

    return holds


_LATER = re.compile(r"\b(after|since|following)\s+(the\s+)?$")
_EARLIER = re.compile(r"\b(before|until|till|prior to|by)\s+(the\s+)?$")
# asked for the next one, or when something will happen: a date after the meeting recorded
_NEXT = re.compile(r"\b(next|upcoming|forthcoming|will|going to)\b")
# the year of a copyright notice ("© Crown copyright 2025") dates the page, not an event
_COPYRIGHT = re.compile(r"(©|\(c\)|\bcopyright)\s*$", re.I)
Day = tuple[int, int, int]  # year, month, day (0 where not said)
Bound = tuple[Day, int]  # +1 for "after", -1 for "before"


def _new_date(question: str, held: str | None = None) -> Callable[[str], bool]:
    """A new date (as _new_value) on the right side of any bound the question sets: "the
    next meeting after November 2020" is not answered by "held on 7 October 2020" or by
    "11 November 2020", and is by "2 December 2020" (compared to the bound's precision: a
    year, a month or a day; a date without a year cannot be compared and counts). Asked for
    the next or upcoming one, or when something will happen, with no bound of its own, the
    meeting the document records (`held`, ISO) is the bound: minutes of December 2019 do not
    say that a quarry will run until March 2018."""
    asked = set(re.findall(r"\w+", question))
    bounds: list[Bound] = []
    for m in _DATE.finditer(question):
        year, month, day = _when(m)
        side = 1 if _LATER.search(question[:m.start()]) else (
            -1 if _EARLIER.search(question[:m.start()]) else 0)
        if year is not None and side:
            bounds.append(((year, month or 0, day or 0), side))
    if held and not bounds and _NEXT.search(question) and re.match(r"\d{4}-\d\d-\d\d", held):
        year, month, day = (int(part) for part in held[:10].split("-"))
        bounds.append(((year, month, day), 1))

    def holds(sentence: str) -> bool:
        return any(_words(m) - asked and _within(_when(m), bounds)
                   and not _COPYRIGHT.search(sentence, 0, m.start())
                   for m in _DATE.finditer(sentence))

    return holds


def _within(date: tuple[int | None, int | None, int | None], bounds: list[Bound]) -> bool:
    year, month, day = date
    if year is None:
        return True
    for bound, side in bounds:
        # to the bound's precision
        mine = (year, (month or 0) if bound[1] else 0, (day or 0) if bound[2] else 0)
        if side > 0 and not mine > bound or side < 0 and not mine < bound:
            return False
    return True


def _when(match: re.Match[str]) -> tuple[int | None, int | None, int | None]:
    """The year, month and day a date match names (None where it does not say; a day only
    beside a month's name)."""
    words = re.findall(r"\w+", match.group(0).lower())
    year = next((int(w) for w in words if len(w) == 4 and w.isdigit()), None)
    month = next((MONTHS[w] for w in words if w in MONTHS), None)
    day = next((int(w.rstrip("stndrh")) for w in words
                if re.fullmatch(r"\d{1,2}(st|nd|rd|th)?", w)), None) if month else None
    return year, month, day


def _words(match: re.Match[str]) -> set[str]:
    return set(re.findall(r"\w+", match.group(0).lower()))


def has_contact(text: str) -> bool:
    """A web address, an email address or a telephone number: a document's contact lines."""
    return bool(_CONTACT.search(text))


REPEAT_CHARS = 12  # shorter lines ("Good", "Item 4") repeat without being boilerplate


def _line_key(line: str) -> str:
    return " ".join(line.split()).lower()


@lru_cache(maxsize=32)
def line_counts(text: str) -> Counter[str]:
    """How often each line of a document's text occurs in it (page headers and footers,
    contact details repeated on every page)."""
    return Counter(key for key in map(_line_key, text.splitlines()) if len(key) >= REPEAT_CHARS)


def repeated(unit: str, own: str, others: list[str]) -> float:
    """The share of the unit's lines that its document repeats elsewhere, or that another
    document holds too: boilerplate (a page footer, a copyright line, a standard paragraph
    every report of its kind carries)."""
    keys = [k for k in map(_line_key, unit.splitlines()) if len(k) >= REPEAT_CHARS]
    if not keys:
        return 0.0
    counts = line_counts(own)
    return sum(counts[k] > 1 or any(k in line_counts(o) for o in others)
               for k in keys) / len(keys)


# Asked for a row by its place in a count: "Who won …?", "Which candidate got the fewest
# votes?", "Who came second?", "the second highest turnout". Superlatives and ordinals are
# English grammar, not any one document's wording; winning is coming top.
_TOP = r"won|wins?|winner|winning|top|most|highest|largest|biggest|greatest"
_BOTTOM = r"least|fewest|lowest|smallest"
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
_PLACED = re.compile(
    rf"\b(?:(?:came|come|comes|placed|finished|ranked|coming)\s+(?P<at>{'|'.join(_ORDINALS)}|last)"
    rf"|(?:(?P<nth>{'|'.join(_ORDINALS[1:])})\s+)?(?:(?P<top>{_TOP})|(?P<bottom>{_BOTTOM})))\b",
    re.I)


@dataclass(frozen=True)
class Place:
    """A place in a count asked for: the `nth` from the top (or from the bottom), and the
    roots (text.roots) of the question's words that ask it (no document need hold them)."""

    nth: int
    top: bool
    words: frozenset[str] = frozenset()


@lru_cache(maxsize=256)  # read by the signals and again by the answer for one question
def asks_place(question: str) -> Place | None:
    """The place in a count a question asks for, or None: "Who won?" the first from the top,
    "Who came second?" the second, "Who got the fewest votes?" the first from the bottom."""
    match = _PLACED.search(question)
    if match is None:
        return None
    words = frozenset(roots(match.group(0).lower().split()))
    if match.group("at"):
        at = match.group("at").lower()
        return Place(1, False, words) if at == "last" else Place(_ORDINALS.index(at) + 1,
                                                                 True, words)
    nth = _ORDINALS.index(match.group("nth").lower()) + 1 if match.group("nth") else 1
    return Place(nth, bool(match.group("top")), words)


_CELL_SPLIT = re.compile(r"\s+\|\s+|;\s+")
# a cell that gives a count or an amount: "2640 votes", "Votes: 1,204", "27%", "£3,500" (not
# a year: "Year: 2017")
_COUNT_CELL = re.compile(r"(?:[^:]{1,40}:\s*)?[£$€]?(?!(?:19|20)\d\d\b)(\d[\d,]*(?:\.\d+)?)\s*%?"
                         r"(?:\s+[A-Za-z]+)?\s*")


def _cells(line: str) -> list[str]:
    return _CELL_SPLIT.split(line.strip())


def _shape(line: str) -> tuple[str, ...]:
    """What rows of one table share: as many cells, each with the same label, if any
    ("Votes: 2640"), or none ("2640 votes"). A line of two cells is a row when they are
    split by " | " or both labelled, not a sentence with a semicolon (none when no row)."""
    cells = _cells(line)
    labels = tuple(c.split(":", 1)[0] if ":" in c else "" for c in cells)
    row = len(cells) > 2 or len(cells) == 2 and (" | " in line or all(labels))
    return labels if row else ()


def _line_at(text: str, at: int) -> tuple[int, int]:
    """The line of the text that holds offset `at`, as (start, end)."""
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end


def _neighbour(text: str, line: tuple[int, int], down: bool) -> tuple[int, int] | None:
    """The nearest line below (or above) a line that is not blank, if any."""
    step, at = (1, line[1]) if down else (-1, line[0] - 1)
    while 0 <= at < len(text) and text[at].isspace():
        at += step
    return _line_at(text, at) if 0 <= at < len(text) else None


def _table(text: str, start: int) -> list[tuple[int, int]]:
    """The rows of the table a line belongs to: the lines above and below it, blank lines
    between them passed over, that have its shape (none when it is no row)."""
    row = _line_at(text, start)
    shape = _shape(text[row[0]:row[1]])
    if not shape:
        return []
    rows = [row]
    for down in (False, True):
        while (line := _neighbour(text, rows[-1] if down else rows[0], down)) is not None \
                and _shape(text[line[0]:line[1]]) == shape:
            rows.insert(len(rows) if down else 0, line)
    return rows


def ranked_row(text: str, start: int, place: Place,
               asked: frozenset[str] = frozenset()) -> tuple[int, int] | None:
    """The row of the table holding offset `start` (a row a line, its cells split by " | "
    or "; ", as the loaders write tables) at the place asked for by the first column that
    gives a count in every row ("2640 votes", "Votes: 1,204"), as (start, end) of its line;
    None when that is no such row or the place is past the table's end. Of the question's
    roots (`asked`), those the row holds pick the rows ranked: asked who won in Hillside
    ward, a table of every ward's candidates ranks Hillside's."""
    rows = _table(text, start)
    line = _line_at(text, start)
    wanted = asked & set(roots(content_terms(text[line[0]:line[1]]))) if rows and asked else set()
    if wanted:
        rows = [(a, b) for a, b in rows if wanted <= set(roots(content_terms(text[a:b])))]
    if len(rows) < 2:
        return None
    cells = [_cells(text[a:b]) for a, b in rows]
    for column in range(len(cells[0])):
        found = [_COUNT_CELL.fullmatch(row[column]) for row in cells]
        counts = [float(m.group(1).replace(",", "")) for m in found if m]
        if len(counts) == len(rows):
            order = sorted(range(len(rows)), key=lambda i: -counts[i] if place.top else counts[i])
            return rows[order[place.nth - 1]] if place.nth <= len(rows) else None
    return None
