"""Question → ranked passages: dense and keyword search (the store's), fused by reciprocal rank.

Keyword search finds the exact names, numbers and acronyms that embeddings blur; dense search
finds paraphrases. Filters (committee, type, dates, ids, restricted) apply to both. Adjacent
chunks of one document are merged into one passage and near-duplicates are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .embedding import TextEncoder
from .loaders.metadata import MONTH_PATTERN, MONTHS
from .records import Chunk, Document, Filters
from .schema import SearchResult
from .store import TERM_COUNT_CAP, Store
from .text import PHRASING_WORDS, STOP_WORDS, content_terms, is_english, one_edit

RRF_K = 60
CANDIDATES = 60
# Keyword hits count 1.5x dense ones in the fusion: measured on QMSum (hit@5 0.795 at 1:1,
# 0.815 at 1:1.5, 0.812 at 1:2); names, roles and numbers carry these questions.
FUSION_WEIGHTS = [1.0, 1.5]
COMMON_TERM_FLOOR = 1000
# Words every kind of body uses; naming one ("the board") does not pick out a committee.
BODY_WORDS = frozenset({"board", "committee", "council", "panel", "group", "forum", "cabinet",
                        "partnership", "subcommittee", "sub", "meeting", "select", "scrutiny",
                        "overview", "executive", "authority", "commission", "assembly"})
# Words shorter than this are read as typed: one letter from a short word are many others
# ("Kent": rent, kept, sent), where one from "inspcetion" is only "inspection".
RESPELL_MIN = 5
RESPELL_CAP = 50  # counting further costs time (some 500 words are one edit from a typo)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass
class Passage:
    """A ranked stretch of one document: one chunk or several adjacent ones merged."""

    doc_id: str
    start: int
    end: int
    text: str
    score: float
    section: str | None
    page_start: int | None
    page_end: int | None
    chunk_ids: list[int] = field(default_factory=list)
    ordinals: list[int] = field(default_factory=list)
    document: Document | None = None
    similarity: float = 0.0  # the question's cosine to the passage's closest chunk (0: unseen)

    def result(self) -> SearchResult:
        """The passage as a search result, in the schema every interface shares."""
        doc = self.document
        return SearchResult(
            doc_id=self.doc_id, title=doc.named() if doc else None, start=self.start,
            end=self.end, page=self.page_start, page_end=self.page_end, section=self.section,
            text=self.text, score=round(self.score, 4), doc_type=doc.doc_type if doc else None,
            committee=doc.committee if doc else None,
            meeting_date=doc.meeting_date if doc else None)


@dataclass
class QueryPlan:
    """What the question asks for, beyond its words: years, months and bodies it names."""

    text: str
    terms: list[str]
    years: list[str]
    committees: list[str]
    months: list[str] = field(default_factory=list)  # "2019-05" ("May 2019"), "-05" ("the May meeting")


_MONTH_YEAR = re.compile(rf"\b({MONTH_PATTERN})\.?,?\s+(19\d\d|20\d\d)\b", re.I)
# a month named without a year: in full, capitalised, and not opening the question ("May I …?")
_FULL_MONTHS = [max((m for m, n in MONTHS.items() if n == number), key=len).capitalize()
                for number in sorted(set(MONTHS.values()))]
_MONTH_ALONE = re.compile(rf"(?<=\s)({'|'.join(_FULL_MONTHS)})\b")


def named_months(question: str) -> list[str]:
    """The months a question dates what it asks about by: "2019-05" for "May 2019", "-12"
    for "the December meeting"."""
    dated = [f"{m.group(2)}-{MONTHS[m.group(1).lower()]:02d}" for m in _MONTH_YEAR.finditer(question)]
    alone = [f"-{MONTHS[m.group(1).lower()]:02d}" for m in _MONTH_ALONE.finditer(question)]
    return dated + [m for m in alone if not any(d.endswith(m) for d in dated)]


class Retriever:
    """Hybrid search over one index."""

    def __init__(self, index: Store, embedder: TextEncoder):
        self.index = index
        self.embedder = embedder

    def plan(self, question: str, context: str = "") -> QueryPlan:
        """Parse the question (with any follow-up context) into what search uses."""
        text = f"{context} {question}".strip()
        years = re.findall(r"\b(19\d\d|20\d\d)\b", question)
        terms = [t for t in content_terms(text) if t not in PHRASING_WORDS] or content_terms(text)
        return QueryPlan(text, terms, years, self._named_committees(question),
                         named_months(question))

    def search(self, question: str, k: int = 8, filters: Filters | None = None,
               plan: QueryPlan | None = None,
               query_vector: np.ndarray | None = None) -> list[Passage]:
        """The k best passages for the question (its vector may be given, already embedded)."""
        filters = filters or Filters()
        plan = plan or self.plan(question)
        self.index.refresh()
        if query_vector is None:
            query_vector = self.embedder.encode([plan.text], progress=False)[0]
        dense_scored = self.index.vector_search(query_vector, CANDIDATES, filters)
        similarity = dict(dense_scored)
        dense = [i for i, _ in dense_scored]
        keyword = self._keyword(plan, filters)
        fused = fuse([dense, keyword], FUSION_WEIGHTS)
        chunks = self.index.chunks(list(fused)[:CANDIDATES])
        headers = self.index.document_headers({c.doc_id for c in chunks.values()})
        scored = [(chunk, score * _boost(headers[chunk.doc_id], plan))
                  for chunk_id, score in fused.items() if (chunk := chunks.get(chunk_id))]
        scored.sort(key=lambda item: -item[1])
        passages = drop_near_duplicates(merge_adjacent(scored, headers), k)
        full = {d: self.index.document(d) for d in {p.doc_id for p in passages}}
        for passage in passages:
            passage.document = full[passage.doc_id]
            passage.text = passage.document.text[passage.start:passage.end]
            passage.similarity = max((similarity.get(i, 0.0) for i in passage.chunk_ids),
                                     default=0.0)
        return passages

    def respell(self, question: str) -> str:
        """The question with its typos read as the words of the index they are nearest
        (module respell)."""
        return respell(question, self.index.term_counts)

    def _keyword(self, plan: QueryPlan, filters: Filters) -> list[int]:
        terms = self._selective(plan.terms)
        if not terms:  # every word is common: dense search alone ranks this question
            return []
        return [i for i, _ in self.index.keyword_search(" ".join(terms), CANDIDATES, filters)]

    def _selective(self, terms: list[str]) -> list[str]:
        """Terms rare enough to rank by: BM25 must score every row a term matches, and a
        term in more than 0.5% of chunks (and 1,000 of them) adds cost but little weight.
        (Counted to the cap the answer's term weights use, so they are counted once.)"""
        cap = max(COMMON_TERM_FLOOR, self.index.chunk_count() // 200)
        counts = self.index.term_counts(terms, max(cap, TERM_COUNT_CAP))
        return [t for t in terms if counts[t] < cap]

    def _named_committees(self, question: str) -> list[str]:
        """Committees whose distinctive words (a place, a name) the question uses."""
        names = self.index.committees()
        words = {name: set(content_terms(name)) for name in names}
        asked = set(content_terms(question))
        named = []
        for name, own in words.items():
            distinctive = {w for w in own if sum(w in other for other in words.values()) == 1
                           and w not in BODY_WORDS}
            if distinctive & asked:
                named.append(name)
        return named


def fuse(rankings: list[list[int]], weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion: each list adds weight / (RRF_K + rank) to an id's score."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (RRF_K + rank + 1)
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def _boost(document: Document, plan: QueryPlan) -> float:
    boost = 1.0
    if plan.committees and document.committee in plan.committees:
        boost *= 1.3
    dated = document.meeting_date or document.publication_date
    if plan.years and dated and dated[:4] in plan.years:
        boost *= 1.2
    # the month too: a council's archive holds a meeting a month, worded alike
    if dated and any(dated[:7].endswith(m) for m in plan.months):  # "2019-05" or "-05"
        boost *= 1.2
    return boost


def merge_adjacent(scored: list[tuple[Chunk, float]],
                   documents: dict[str, Document]) -> list[Passage]:
    """Join chunks of one document with consecutive ordinals into one passage."""
    passages: list[Passage] = []
    by_key: dict[tuple[str, int], Passage] = {}
    for chunk, score in scored:
        doc = documents[chunk.doc_id]
        neighbour = by_key.get((chunk.doc_id, chunk.ordinal - 1)) or \
            by_key.get((chunk.doc_id, chunk.ordinal + 1))
        if neighbour is not None and len(neighbour.ordinals) < 3:
            _extend(neighbour, chunk, doc)
            by_key[(chunk.doc_id, chunk.ordinal)] = neighbour
            continue
        passage = Passage(chunk.doc_id, chunk.start, chunk.end, chunk.text, score, chunk.section,
                          chunk.page_start, chunk.page_end, [chunk.id or 0], [chunk.ordinal], doc)
        passages.append(passage)
        by_key[(chunk.doc_id, chunk.ordinal)] = passage
    return passages


def _extend(passage: Passage, chunk: Chunk, doc: Document) -> None:
    """Widen the passage over an adjacent chunk; its exact text is sliced once it is chosen."""
    before = chunk.start < passage.start
    passage.start, passage.end = min(passage.start, chunk.start), max(passage.end, chunk.end)
    passage.text = f"{chunk.text}\n{passage.text}" if before else f"{passage.text}\n{chunk.text}"
    passage.ordinals.append(chunk.ordinal)
    passage.chunk_ids.append(chunk.id or 0)
    pages = [p for p in (passage.page_start, passage.page_end, chunk.page_start, chunk.page_end)
             if p is not None]
    if pages:
        passage.page_start, passage.page_end = min(pages), max(pages)


def drop_near_duplicates(passages: list[Passage], k: int | None = None,
                         threshold: float = 0.8) -> list[Passage]:
    """The first k passages, skipping any whose words mostly coincide with a better one's."""
    kept: list[tuple[Passage, set[str]]] = []
    for passage in passages:
        words = set(passage.text.lower().split())
        if any(_jaccard(words, other) >= threshold for _, other in kept):
            continue
        kept.append((passage, words))
        if k is not None and len(kept) == k:
            break
    return [replace(p) for p, _ in kept]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, len(a | b))


# Capitalised words run together, a space dropped ("JustinTrudeau", "StokeFerry"); each part
# of three letters or more, so "McDonald" and "LeBlanc" are never read apart.
_JOINED = re.compile(r"\b[A-Z][a-z]{2,}(?:[A-Z][a-z]{2,})+\b")
_PART = re.compile(r"[A-Z][a-z]+")


def _read_apart(question: str, counts: Callable[[list[str], int], dict[str, int]]) -> str:
    """The question with each run of capitalised words typed as one ("What did JustinTrudeau
    say?") read apart, where no chunk holds the run and chunks hold every part."""
    runs = {run: _PART.findall(run) for run in set(_JOINED.findall(question))}
    if not runs:
        return question
    held = counts(sorted({w.lower() for run, parts in runs.items() for w in [run, *parts]}),
                  RESPELL_CAP)
    apart = {run: " ".join(parts) for run, parts in runs.items()
             if not held.get(run.lower()) and all(held.get(p.lower()) for p in parts)}
    return _JOINED.sub(lambda m: apart.get(m.group(0), m.group(0)), question)


def respell(question: str, counts: Callable[[list[str], int], dict[str, int]]) -> str:
    """The question with each word that is neither English nor held by any chunk (a typo:
    "Who led the inspcetion?", "the Mayor of Wisgton") read as the word one edit away
    (text.one_edit) that chunks hold, an English one before a name, the one most hold first.
    An English word stays as typed though no document uses it ("postal" is not "posital"),
    as do a word under RESPELL_MIN letters and one that nothing near is held. `counts`: how
    many chunks hold each of some words, to a cap (the store's term_counts, which match by
    stem); counted to RESPELL_CAP, as a word held that often is plainly a word of the index.
    Capitalised words typed as one are read apart first (_read_apart)."""
    question = _read_apart(question, counts)
    words = sorted({w.lower() for w in _WORD.findall(question) if len(w) >= RESPELL_MIN}
                   - STOP_WORDS)
    words = [w for w in words if not is_english(w)]
    held = counts(words, RESPELL_CAP) if words else {}
    read: dict[str, str] = {}
    for word in (w for w in words if not held.get(w)):
        found = counts(sorted(one_edit(word)), RESPELL_CAP)
        if near := [v for v, n in found.items() if n]:
            read[word] = max(near, key=lambda v: (is_english(v), found[v], v))
    if not read:
        return question
    return _WORD.sub(lambda m: _cased(read.get(m.group(0).lower()), m.group(0)), question)


def _cased(word: str | None, typed: str) -> str:
    """`word` in the case the typed word was in ("Wisgton" → "Wigston"), or the typed word."""
    if word is None:
        return typed
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    return word.capitalize() if typed[0].isupper() else word
