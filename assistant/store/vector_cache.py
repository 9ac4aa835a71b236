"""Vectors of an ingest that has not committed yet, kept by chunk text, so a rerun after a
kill or crash embeds only what was left.

An ingest commits one generation at the end (queries see the last complete state until
then). Embedding is the whole cost of a long ingest, so each embedded batch is written here
as it is done, in its own small SQLite file beside the index, and taken back by the next run.
A successful commit empties it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CACHE_FILE = "pending-vectors.sqlite"


def text_key(model: str, text: str) -> str:
    """A chunk's key: its model and its exact text."""
    return hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()


class VectorCache:
    """Chunk vectors by (model, text) key, durable batch by batch."""

    def __init__(self, directory: Path, model: str, dimension: int):
        self.path = directory / CACHE_FILE
        self.model, self.dimension = model, dimension
        self.conn = sqlite3.connect(self.path, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, "
                          "vector BLOB NOT NULL)")
        self.conn.commit()

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM vectors").fetchone()[0])

    def get(self, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Vectors already embedded for some of the texts, by position in `texts`."""
        keys = [text_key(self.model, text) for text in texts]
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            marks = ",".join("?" * len(part))
            found.update(self.conn.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part).fetchall())
        return {i: np.frombuffer(found[key], dtype=np.float32).copy()
                for i, key in enumerate(keys) if key in found
                and len(found[key]) == 4 * self.dimension}

    def put(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Keep one embedded batch; it survives a kill from the moment this returns."""
        rows = [(text_key(self.model, text), np.asarray(vector, dtype=np.float32).tobytes())
                for text, vector in zip(texts, vectors, strict=True)]
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def clear(self) -> None:
        """Forget everything: the ingest committed, the vectors are in the index now."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        self.conn.close()
