"""Question → ranked passages: dense and keyword search (the store's), fused by reciprocal rank.

Keyword search finds the exact names, numbers and acronyms that embeddings blur; dense search
finds paraphrases. Filters (committee, type, dates, ids, restricted) apply to both. Adjacent
chunks of one document are merged into one passage and near-duplicates are dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from .embedding import TextEncoder
from .records import Chunk, Document, Filters
from .schema import SearchResult
from .store import TERM_COUNT_CAP, Store
from .text import PHRASING_WORDS, content_terms

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
            doc_id=self.doc_id, title=doc.title if doc else None, start=self.start,
            end=self.end, page=self.page_start, page_end=self.page_end, section=self.section,
            text=self.text, score=round(self.score, 4), doc_type=doc.doc_type if doc else None,
            committee=doc.committee if doc else None,
            meeting_date=doc.meeting_date if doc else None)


@dataclass
class QueryPlan:
    """What the question asks for, beyond its words: years and bodies it names."""

    text: str
    terms: list[str]
    years: list[str]
    committees: list[str]


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
        return QueryPlan(text, terms, years, self._named_committees(question))

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
