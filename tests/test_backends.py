"""Embedding backends: each one checked against the torch fp32 vectors on real chunks, and
an index only ever queried with the backend it was built with."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, SHARED

from assistant.chunking import chunk_text
from assistant.config import Settings
from assistant.embedding import INT8, gpu_available
from assistant.errors import IndexMismatch
from assistant.ingest import embedder_for, get_embedder, ingest, open_index, resolve_backend
from assistant.loaders import load_path

BACKENDS = ["torch", INT8, *(["cuda"] if gpu_available() else [])]


def real_chunks(limit: int = 96) -> list[str]:
    """Chunks of the demo corpus and the real council documents, as ingestion makes them."""
    torch = get_embedder(Settings().model)
    files = sorted(CORPUS.glob("*.*")) + sorted((SHARED / "bench" / "real-council").glob("*.*"))
    texts: list[str] = []
    for path in files:
        if path.name == "SOURCES.md" or path.name == "README.md":
            continue
        for loaded in load_path(path, 50_000_000):
            if loaded.parsed:
                texts += [c.text for c in chunk_text("d", loaded.parsed.text, torch.count_tokens,
                                                     200, 0, loaded.parsed.page_starts)]
    step = max(1, len(texts) // limit)
    return texts[::step][:limit]


@pytest.fixture(scope="module")
def torch_vectors() -> tuple[list[str], np.ndarray]:
    texts = real_chunks()
    return texts, get_embedder(Settings().model, backend="torch").encode(texts)


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_backend_gives_the_torch_vectors_within_the_quality_guard(
        backend: str, torch_vectors: tuple[list[str], np.ndarray], tmp_path: Path) -> None:
    texts, expected = torch_vectors
    assert len(texts) >= 90
    settings = Settings(index=tmp_path / "index", embedding_backend=backend)
    vectors = embedder_for(settings).encode(texts)
    cosines = (vectors * expected).sum(axis=1)
    assert vectors.shape == expected.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    assert cosines.mean() >= 0.99 and cosines.min() >= 0.95, (cosines.mean(), cosines.min())


def test_auto_keeps_to_what_the_index_was_built_with(seed_index: Settings,
                                                     tmp_path: Path) -> None:
    fresh = Settings(index=tmp_path / "new", progress=False)
    assert resolve_backend(fresh) == ("cuda" if gpu_available() else INT8)
    torch_built = fresh.model_copy(update={"index": tmp_path / "torch",
                                           "embedding_backend": "torch"})
    ingest([sorted(CORPUS.glob("*.txt"))[0]], torch_built)
    auto = torch_built.model_copy(update={"embedding_backend": "auto"})
    assert resolve_backend(auto) in ("torch", "cuda")  # fp16 on a GPU is declared the same
    open_index(auto).close()
    # an int8 index is never queried with torch vectors: the message says how to use it
    copy = tmp_path / "int8"
    shutil.copytree(seed_index.index, copy)
    int8 = seed_index.model_copy(update={"index": copy})
    if resolve_backend(int8) != INT8:
        pytest.skip("the shared seed index was built on a GPU")
    with pytest.raises(IndexMismatch, match=f"ASSISTANT_EMBEDDING_BACKEND={INT8}"):
        open_index(int8.model_copy(update={"embedding_backend": "torch"}))
