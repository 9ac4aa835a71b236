"""The FAISS side of the index: normalised vectors under stable chunk ids, inner product.

Flat (exact) search while the index is small; an IVF index once it passes a configured
size, since exact search cost grows with every vector and IVF's grows with the lists probed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import faiss
import numpy as np


class VectorIndex:
    """A FAISS index addressed by chunk id."""

    def __init__(self, index: faiss.Index, nprobe: int = 24):
        self.index = index
        self.nprobe = nprobe
        self._apply_nprobe()

    @classmethod
    def empty(cls, dimension: int, nprobe: int = 24) -> VectorIndex:
        """A new exact index."""
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dimension)), nprobe)

    @classmethod
    def load(cls, path: Path, nprobe: int = 24) -> VectorIndex:
        """Read an index written by save()."""
        return cls(faiss.read_index(str(path)), nprobe)

    @property
    def kind(self) -> str:
        return "ivf" if isinstance(faiss.downcast_index(self.index), faiss.IndexIVF) else "flat"

    @property
    def count(self) -> int:
        return int(self.index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors (unit length, float32) under the given ids."""
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                    np.asarray(ids, dtype=np.int64))

    def remove(self, ids: list[int]) -> int:
        """Remove ids; ids not present are ignored. Returns how many went."""
        if not ids:
            return 0
        removed: Any = self.index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
        return int(removed)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids and inner-product scores of the k nearest vectors (fewer if the index is small)."""
        if self.count == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # FAISS splits work among OpenMP threads by query: one query gains nothing from
        # more, and starting them cost more than the search (100k vectors on two cores,
        # scripts/bench_query.py: 32 ms on two threads, 17 ms on one). The setting is this
        # thread's own; it is put back.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(np.atleast_2d(query).astype(np.float32),
                                            min(k, self.count))
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def by_ids(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of these ids, in order."""
        inner: Any = faiss.downcast_index(self.index)
        holder: Any = self.index
        if isinstance(inner, faiss.IndexIVF):  # IVF finds a vector by id through a hash map
            direct: Any = faiss.DirectMap  # type: ignore[attr-defined]
            if inner.direct_map.type == direct.NoMap:
                inner.set_direct_map_type(direct.Hashtable)
            holder = inner
        found = [holder.reconstruct(int(i)) for i in ids]
        return np.vstack(found) if found else np.zeros((0, self.dimension), dtype=np.float32)

    def vectors_and_ids(self) -> tuple[np.ndarray, np.ndarray]:
        """Every stored vector of an exact index with its id (to rebuild it as IVF)."""
        inner: Any = faiss.downcast_index(self.index)
        ids = faiss.vector_to_array(inner.id_map).astype(np.int64)
        return inner.index.reconstruct_n(0, self.count), ids

    def fit(self, ann_threshold: int) -> VectorIndex:
        """This index, or an IVF rebuild of it once it holds more than ann_threshold vectors."""
        if self.kind == "flat" and self.count > ann_threshold:
            vectors, ids = self.vectors_and_ids()
            return build_ivf(vectors, ids, self.nprobe)
        return self

    def save(self, path: Path) -> None:
        """Write to path atomically: a temporary file, fsync, then rename."""
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index(self.index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def _apply_nprobe(self) -> None:
        inner = faiss.downcast_index(self.index)
        if isinstance(inner, faiss.IndexIVF):
            inner.nprobe = self.nprobe


def build_ivf(vectors: np.ndarray, ids: np.ndarray, nprobe: int = 24) -> VectorIndex:
    """An IVF-Flat index over the vectors, with about sqrt(n) lists trained on a sample."""
    count, dimension = vectors.shape
    nlist = max(16, int(np.sqrt(count)))
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFFlat(quantizer, dimension, nlist, faiss.METRIC_INNER_PRODUCT)
    sample = vectors[np.random.default_rng(0).permutation(count)[: nlist * 48]]
    index.train(np.ascontiguousarray(sample, dtype=np.float32))
    index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids.astype(np.int64))
    return VectorIndex(index, nprobe)
