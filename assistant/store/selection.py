"""Which chunks a search may return under filters, for the embedded (SQLite + FAISS) store.

Filters other than the restricted flag list the chunks they allow; hiding restricted
documents excludes their (few) chunks instead, so an open search costs what it always did.
"""

from __future__ import annotations

from typing import Any

import faiss
import numpy as np

from .vectors import VectorIndex

EXCLUSION_ROOM = 2  # candidates fetched per one kept when a few chunks are excluded


class Selection:
    """Chunk ids a search may return: the ids listed, or (`exclude`) all but those."""

    def __init__(self, ids: np.ndarray, exclude: bool = False):
        self.ids = ids
        self.exclude = exclude
        self._batch: Any = None  # FAISS selectors keep a pointer to it, so it is held here

    def faiss_selector(self) -> Any:
        self._batch = faiss.IDSelectorBatch(self.ids)
        return faiss.IDSelectorNot(self._batch) if self.exclude else self._batch

    def admit(self, chunk_ids: list[int]) -> list[int]:
        """The ids the selection lets through, in their order."""
        listed = np.isin(np.asarray(chunk_ids, dtype=np.int64), self.ids)
        return [i for i, inside in zip(chunk_ids, listed, strict=True) if inside != self.exclude]

    def keep(self, scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The (id, score) pairs the selection lets through, in their order."""
        admitted = set(self.admit([i for i, _ in scored]))
        return [(i, s) for i, s in scored if i in admitted]

    def admits_none(self) -> bool:
        return not self.exclude and not len(self.ids)

    def room(self, k: int) -> int:
        """Candidates to fetch from an unfiltered ranking so that k are likely to pass."""
        return k * (EXCLUSION_ROOM if self.exclude else 20)


def nearest(vectors: VectorIndex, query: np.ndarray, k: int,
            selection: Selection | None) -> list[tuple[int, float]]:
    """Chunk ids nearest the query vector that the selection admits, with their cosine."""
    if selection is None:
        ids, scores = vectors.search(query, k)
        return [(int(i), float(s)) for i, s in zip(ids, scores, strict=True)]
    if selection.admits_none() or vectors.count == 0:
        return []
    if selection.exclude:
        # Few chunks are excluded: search as usual with room to spare and drop them, which
        # costs the same scan as an open search. Only when the excluded ones crowd the top
        # (a restricted report on just this topic) is the search repeated with a selector.
        found = nearest(vectors, query, selection.room(k), None)
        kept = selection.keep(found)
        if len(kept) >= k or len(found) < selection.room(k):
            return kept[:k]
    params: Any = faiss.SearchParametersIVF() if vectors.kind == "ivf" else \
        faiss.SearchParameters()
    params.sel = selection.faiss_selector()
    if vectors.kind == "ivf":
        params.nprobe = vectors.nprobe
    scores, ids = vectors.index.search(query[None, :], min(k, vectors.count), params=params)
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]
