"""The FAISS layer with random normalised vectors: round trips, edge cases, IVF conversion."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.store.vectors import VectorIndex


def unit_vectors(count: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_exact_search_finds_each_vector_first() -> None:
    vectors = unit_vectors(50)
    index = VectorIndex.empty(32)
    index.add(np.arange(100, 150), vectors)
    for row in (0, 17, 49):
        ids, scores = index.search(vectors[row], 3)
        assert ids[0] == 100 + row
        assert abs(scores[0] - 1.0) < 1e-5


def test_save_load_round_trip(tmp_path: Path) -> None:
    vectors = unit_vectors(20)
    index = VectorIndex.empty(32)
    index.add(np.arange(20), vectors)
    index.save(tmp_path / "v.faiss")
    loaded = VectorIndex.load(tmp_path / "v.faiss")
    assert loaded.count == 20 and loaded.kind == "flat"
    assert list(loaded.search(vectors[3], 1)[0]) == [3]
    assert not list(tmp_path.glob("*.tmp"))


def test_k_larger_than_count_and_empty_index() -> None:
    index = VectorIndex.empty(32)
    assert len(index.search(unit_vectors(1)[0], 5)[0]) == 0
    index.add(np.arange(3), unit_vectors(3))
    assert sorted(index.search(unit_vectors(1, seed=9)[0], 10)[0]) == [0, 1, 2]


def test_remove_present_and_missing_ids() -> None:
    index = VectorIndex.empty(32)
    vectors = unit_vectors(10)
    index.add(np.arange(10), vectors)
    assert index.remove([3, 999]) == 1
    assert index.remove([]) == 0
    assert index.count == 9
    assert 3 not in index.search(vectors[3], 10)[0]


def test_converts_to_ivf_past_the_threshold_and_keeps_ids() -> None:
    vectors = unit_vectors(3000, seed=2)
    index = VectorIndex.empty(32, nprobe=64)
    index.add(np.arange(5000, 8000), vectors)
    assert index.fit(ann_threshold=5000) is index
    ivf = index.fit(ann_threshold=1000)
    assert ivf.kind == "ivf" and ivf.count == 3000
    hits = sum(ivf.search(vectors[i], 1)[0][0] == 5000 + i for i in range(0, 3000, 100))
    assert hits == 30
    assert ivf.remove([5000]) == 1 and ivf.count == 2999


def test_vectors_are_read_back_by_id_from_flat_and_ivf_indexes() -> None:
    from assistant.store.vectors import build_ivf

    vectors = unit_vectors(400)
    ids = np.arange(1000, 1400)
    flat = VectorIndex.empty(32)
    flat.add(ids, vectors)
    ivf = build_ivf(vectors, ids)
    for index in (flat, ivf):
        assert np.allclose(index.by_ids([1399, 1000, 1200]), vectors[[399, 0, 200]], atol=1e-6)
        assert index.by_ids([]).shape == (0, 32)
