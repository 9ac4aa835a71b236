"""The units of retrieved passages that could answer a question, each with its signals.

Every sentence, table row or "Label: value" line of the top passages becomes a Candidate
with the signals the answer model reads (see answer_model.FEATURES): how much of the
question it covers, weighted by rarity, alone and read with its heading, title and passage;
whether it holds the kind of value asked for; where it sits; how close in meaning it is. The
ranker for the question's kind scores them; answering chooses among them.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from .answer_model import SUMMARY, AnswerModel, load_model, model_kind
from .records import Document
from .retrieval import Passage
from .text import PHRASING_WORDS, STOP_WORDS, content_terms, fold, root, roots, tokens
from .units import (
    FIELD_LINE,
    AnswerType,
    Place,
    answer_type,
    asks_place,
    evidence_units,
    has_contact,
    is_bare,
    line_label,
    question_names,
    ranked_row,
    repeated,
)

# How much a term lent by an earlier turn counts against the follow-up's own words. Chosen on
# follow-up pairs over the demo corpus (tests/test_answering.py): at 0.5 the earlier topic
# swamps the new question ("Who presented to them?" got the meeting's date fields, "How much
# will that cost the council?" was answered); 0.3 still did; 0.2 gets both right and keeps
# "that CRC" → Sodexo and "When does that start?" → Spring 2021.
CONTEXT_WEIGHT = 0.2
PASSAGES_READ = 5
RERANK = 6  # units whose meaning is compared with the question's (an embedding each)
MEANING_CHARS = 240  # of a unit, embedded for that: what it is about shows in its opening


class Meaning(Protocol):
    def __call__(self, texts: list[str], about: str | None = None) -> list[float]:
        """The cosine of each text to the question, or to the phrase `about`."""
        ...


# What a question asks about, where it names it: "What did they say about the village pond?"
_ABOUT = re.compile(r"\b(?:about|regarding|concerning)\s+(.+?)[\s?.!]*$", re.I)


def asked_about(question: str) -> str | None:
    """The phrase after the question's first "about", "regarding" or "concerning", if any."""
    found = _ABOUT.search(question)
    return found.group(1) if found else None


def unmentioned(question: str, documents: list[Document]) -> list[str]:
    """The words of what the question asks about (asked_about) that none of the documents
    contains anywhere: "shop" when minutes that never mention a shop are quoted for "What
    did they say about the village shop?"."""
    about = asked_about(question)
    if not about or not documents:
        return []
    return [t for t in content_terms(about)
            if t not in PHRASING_WORDS and any(ch.isalpha() for ch in t)
            and not any(mentions(document, root(t)) for document in documents)]


def untitled(text: str, titles: set[str]) -> str:
    """The text without its words whose roots are among `titles`; the whole text when what
    is left names nothing ("Summarise the West Dereham Parish Council minutes" asks about
    the document itself)."""
    kept = " ".join(w for w in text.split() if not _roots(w) & titles)
    return kept if set(content_terms(kept)) - PHRASING_WORDS else text


@dataclass
class Candidate:
    """A unit of a passage that may answer the question: where it is, its signals, and the
    ranker's score."""

    passage: Passage
    rank: int
    start: int
    end: int
    signals: dict[str, float]
    score: float = 0.0  # the ranker's score (higher: likelier the unit that answers)

    def quote_text(self) -> str:
        document = self.passage.document
        return document.text[self.start:self.end] if document else ""


@dataclass(frozen=True)
class _Asked:
    """What a question asks, as the unit signals read it: each term's weight (negative for
    words that only phrase the question), the weight of the question's own terms, the kind
    of value it wants, and its first term (where what is asked for is most often named)."""

    weights: dict[str, float]
    total: float
    wants: AnswerType | None
    focus: str  # "" for a summary-style question, which asks for no one thing
    factual: bool  # a factual or list question (a label can name what it asks for)

    def share(self, terms: set[str], total: float | None = None) -> float:
        """The share of the question's weight (or of `total`) these roots cover."""
        return min(1.0, sum(w for t, w in self.weights.items() if w > 0 and t in terms)
                   / (total or self.total))


def rank_candidates(question: str, passages: list[Passage], idf: Callable[[str], float],
                    context_terms: list[str] | None = None, model: AnswerModel | None = None,
                    meaning: Meaning | None = None, rerank: int = RERANK,
                    referent: list[str] | None = None) -> list[Candidate]:
    """Candidate units of the top passages with their signals, likeliest first. The
    `rerank` likeliest by words are then compared with the question by meaning too.
    `referent`: the words of the person a follow-up's "he" or "she" stands for, read as
    the question's own ("Which ward does she represent?" asks which ward Ann Smith does)."""
    model = model or load_model()
    kind = model.kind(question)
    ranker = model.rankers[model_kind(kind)]
    factual = kind != SUMMARY
    # Shares are of what the question itself asks: a term lent by an earlier turn helps a
    # unit that has it, but a follow-up is not less answered for lacking the earlier topic.
    own_terms = [*content_terms(question), *(referent or [])]
    weights = _term_weights(own_terms, context_terms or [], idf)
    mine = {root(t) for t in own_terms}
    asked = _Asked(weights, sum(w for t, w in weights.items() if w > 0 and t in mine) or 1.0,
                   answer_type(question),
                   _focus(own_terms) if factual else "", factual)
    read = passages[:PASSAGES_READ]
    top = max((p.score for p in read), default=0.0) or 1.0
    documents = {p.doc_id: p.document for p in read}
    settings = [_roots(" ".join([*_names(p.document), p.section or "", p.text])) for p in read]
    seen: dict[str, set[str]] = {}  # each document's roots, over its passages read
    for passage, setting in zip(read, settings, strict=True):
        seen.setdefault(passage.doc_id, set()).update(setting)
    # What a "Which party …?" asks for is named by its value ("Liberal Democrats"): a document
    # that never says "party" can still answer it.
    # (of the question's own words: "What was her salary?" is not answered by minutes that
    # name her and never mention a salary)
    asked_own = {root(t) for t in content_terms(question)}
    named = asked_own - set(roots(category(question)))
    # (nor the rest of a name it gives for the document's body: "Borough Council" beside
    # "Oadby and Wigston", see _calling)
    given = question_names(question, "of")
    own_names = {doc_id: _roots(" ".join(_names(d))) for doc_id, d in documents.items()}
    lacks = {doc_id: {t for t in named if t not in seen[doc_id] and not mentions(document, t)}
             - _calling(given, own_names[doc_id]) for doc_id, document in documents.items()}
    own_total = sum(w for t, w in weights.items() if w > 0 and t in asked_own) or 1.0
    absent = {doc_id: asked.share(terms, own_total) for doc_id, terms in lacks.items()}
    # A question naming what a document's title names ("Merton" in "When did Ofsted inspect
    # Merton …?") asks about that document: one that never mentions it does not answer,
    # however alike its wording (three councils' Ofsted reports share theirs).
    titles = set().union(*own_names.values())
    titled = named & titles
    about = {doc_id for doc_id in documents if not titled & lacks[doc_id]}
    # "When is the next meeting?" of minutes: a date after the meeting they record
    wants = {doc_id: answer_type(question, document.meeting_date)
             if asked.wants is not None and document is not None and document.meeting_date
             else asked.wants for doc_id, document in documents.items()}
    candidates = [c for rank, (p, setting) in enumerate(zip(read, settings, strict=True))
                  for c in _candidates(p, rank, asked, wants[p.doc_id], p.score / top, setting,
                                       [d.text for i, d in documents.items()
                                        if d is not None and i != p.doc_id])]
    candidates = [c for c in candidates if c.passage.doc_id in about] or candidates
    # Nor does a results table say who "won" or "came second": its counts do.
    place = asks_place(question)
    if place is not None:
        counted: set[str] = set()  # each document's rows read until one counts
        for candidate in candidates:
            doc_id = candidate.passage.doc_id
            if doc_id not in counted and _counted_row(candidate, place):
                counted.add(doc_id)
                absent[doc_id] = asked.share(lacks[doc_id] - place.words, own_total)
    for candidate in candidates:
        candidate.signals["absent"] = absent[candidate.passage.doc_id]
        candidate.signals["topic"] = 0.0  # set below for a summary-style question
        candidate.score = ranker.score(candidate.signals)
    candidates.sort(key=lambda c: -c.score)
    if meaning is not None and candidates:
        head = candidates[:rerank]
        for candidate, cosine in zip(head, meaning(_meaning_texts(head)), strict=True):
            candidate.signals["meaning"] = float(cosine)
            candidate.score = ranker.score(candidate.signals)
        candidates.sort(key=lambda c: -c.score)
        # How near in meaning the likeliest units come to what a summary-style question asks
        # about, or to the whole question where it names no such phrase: every unit of a
        # parish's minutes answers "West Dereham", none "the village pond". Words naming
        # what the documents' titles name are left out of it: they say which documents, not
        # what about. The same for every unit of a question, so only the refusal model reads
        # it. A factual question asks for a value, not about a topic: read for those too,
        # the factual threshold moved 0.25 -> 0.29 and answerable ones were declined ("Who
        # is the Leader of Oadby and Wigston Borough Council?" at 0.27).
        if not factual:
            likeliest = candidates[:RERANK]
            phrase = untitled(asked_about(question) or question, titles)
            topic = max(meaning(_meaning_texts(likeliest), phrase) if phrase != question
                        else [c.signals["meaning"] for c in likeliest])
            for candidate in candidates:
                candidate.signals["topic"] = topic
    return candidates


_CATEGORY = re.compile(r"^\W*(?:which|what)\s+(.*)", re.I)


def _calling(given: list[set[str]], own_names: set[str]) -> set[str]:
    """The words of the question's names that share one with a document's own names (their
    roots): how the question calls that document's body ("Borough Council" beside "Oadby and
    Wigston" of a councillors' list that never says either), not a topic it must mention."""
    return set().union(*(name for name in given if name & own_names))


def category(question: str) -> list[str]:
    """The words a "which"/"what" question opens with, up to its verb, naming the kind of
    thing it asks for: "party" in "Which party is he in?", "phone number" in "What phone
    number should I call?" (none when it opens otherwise)."""
    match = _CATEGORY.match(question)
    words = [(t, w[:1].isupper()) for w in (match.group(1).split() if match else [])
             for t in tokens(w)]
    run = itertools.takewhile(lambda word: word[0] not in STOP_WORDS, words)
    # a capitalised word names what is asked about ("Which Coventry team …?"), not the kind
    return [t for t, capitalised in run if not capitalised]


def _focus(terms: list[str]) -> str:
    """The root (text.roots) of the question's first term that is not a phrasing word:
    "What was the electorate …" asks for the electorate."""
    return next((root(t) for t in terms if t not in PHRASING_WORDS), "")


def _term_weights(terms: list[str], context: list[str], idf: Callable[[str], float]) -> dict[str, float]:
    """Each of the question's terms' weight: its rarity, less for words that only phrase the
    question, scaled by CONTEXT_WEIGHT for terms lent by an earlier turn. Phrasing words rank
    sentences but are not part of what the evidence must cover (they carry a negative sign as
    a marker)."""
    weights: dict[str, float] = {}
    own = [(t, 1.0) for t in terms]
    for term, scale in own + [(t, CONTEXT_WEIGHT) for t in context]:
        key = root(term)
        if term in PHRASING_WORDS:
            weights.setdefault(key, -0.2 * scale * idf(term))
        elif weights.get(key, 0.0) <= 0:
            weights[key] = scale * idf(term)
    return weights


def _candidates(passage: Passage, rank: int, asked: _Asked, wants: AnswerType | None,
                retrieval: float, setting: set[str], others: list[str]) -> list[Candidate]:
    """Each unit of the passage with its signals (see answer_model.FEATURES); `wants` is the
    kind of value asked for as this document reads it, `setting` the roots of the passage
    with its document's names and section, `others` the texts of the other documents read."""
    document = passage.document
    if document is None:
        return []
    heading = _roots(passage.section or "")
    title = _roots(" ".join(_names(document)))
    share = asked.share
    found = []
    for place, (start, end) in enumerate(evidence_units(document.text, passage.start,
                                                        passage.end)):
        sentence = document.text[start:end]
        terms = _roots(sentence)
        own = share(terms)
        typed = wants is not None and wants(sentence)
        if own == 0 and not typed:
            continue
        field = FIELD_LINE.match(sentence)
        covered = share(terms | setting)
        signals = {
            "own": own, "setting": covered - own,
            "heading": share(heading - terms), "title": share(title - terms),
            "speaker": share(_line_label(document.text, start) - terms),
            "phrasing": sum(-w for t, w in asked.weights.items() if t in terms and w < 0)
            / asked.total,
            "typed": float(typed), "typed_own": own if typed else 0.0,
            "typed_setting": covered if typed else 0.0,
            "typed_name": float(typed and wants is not None and wants.kind == "name"),
            "asks_type": float(wants is not None),
            "rank": 1 / (1 + rank), "retrieval": retrieval, "dense": passage.similarity,
            "meaning": 0.0, "first": 1 / (1 + place),
            "words": math.log1p(len(sentence.split())) / 4,
            "bare": float(is_bare(sentence) or _titles(sentence, document)),
            "field": float(bool(field)),
            "focus": float(asked.focus in terms),
            "qualified": _qualified(sentence, asked) if asked.focus in terms else 0.0,
            "label": share(_roots(sentence[:sentence.find(":")]))
            if field and asked.factual else 0.0,
            "repeated": repeated(sentence, document.text, others),
            "contact": float(has_contact(sentence)),
        }
        found.append(Candidate(passage, rank, start, end, signals))
    return found


def _meaning_texts(candidates: list[Candidate]) -> list[str]:
    """What of each unit is embedded to compare its meaning: its opening."""
    return [c.quote_text()[:MEANING_CHARS] for c in candidates]


def _counted_row(candidate: Candidate, place: Place) -> bool:
    """Whether the unit is a row of a table that counts (units.ranked_row)."""
    document = candidate.passage.document
    return document is not None and ranked_row(document.text, candidate.start,
                                               place) is not None


def _titles(unit: str, document: Document) -> bool:
    """Whether the unit is the document's title, or the start of it, set as a line of its
    text (a news story's headline, 'Probation services "need to improve"'): a heading,
    whatever its punctuation."""
    title = document.title or ""
    if len(unit.split()) > len(title.split()):  # more words than the title: not it
        return False
    words = tokens(unit)
    return bool(words) and tokens(title)[:len(words)] == words


def _line_label(text: str, start: int) -> set[str]:
    """The roots of the label that opens the line a unit starting at `start` sits on, when
    the unit comes after it (units.line_label; none otherwise)."""
    span = line_label(text, start)
    return _roots(text[span[0]:span[1]]) if span else set()


def _qualified(sentence: str, asked: _Asked) -> float:
    """Whether the question's first term appears in the unit only under a title word the
    question does not use: "Deputy Mayor" for "Who is the Mayor?"."""
    plain = qualified = False
    for match in re.finditer(r"\b\w+\b", sentence):
        if root(fold(match.group(0))) != asked.focus:
            continue
        before = re.search(r"([A-Z][a-z]+)\s+$", sentence[:match.start()])
        if before and before.start() > 0 and root(fold(before.group(1))) not in asked.weights:
            qualified = True
        else:
            plain = True
    return float(qualified and not plain)


def mentions(document: Document | None, term: str) -> bool:
    """Whether a word with this root occurs anywhere in the document's text (asked only
    for a few terms: those a question names that its passages read lack)."""
    if document is None:
        return False
    prefix = term[:max(3, len(term) - 1)]  # a stem's last letter may differ ("citi", "city")
    words = _vocabulary(document.text)
    at = bisect.bisect_left(words, prefix)
    while at < len(words) and words[at].startswith(prefix):
        if root(fold(words[at])) == term:
            return True
        at += 1
    return False


@lru_cache(maxsize=64)
def _vocabulary(text: str) -> list[str]:
    """The distinct words of a document's text in lower case, sorted (read once per
    document, searched by prefix). Not text.tokens: its diacritic folding runs per
    character in Python, about 20 ms for a 100 kB transcript, on the hot path."""
    return sorted(set(re.findall(r"\w+", text.lower())))


def _names(document: Document | None) -> list[str]:
    return [document.named(), document.committee or ""] if document else []


def _roots(text: str) -> set[str]:
    """The roots of the text's content terms (text.roots)."""
    return set(roots(content_terms(text)))
