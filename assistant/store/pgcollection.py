"""A collection's rows in PostgreSQL: its manifest, writing documents with their chunks and
vectors, dropping it, and the list of collections. `postgres.PgIndex` reads and searches."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ..records import Chunk, Document
from ..text import stems, tokens
from . import db
from .manifest import Manifest
from .pgpool import connection

VECTOR_INDEX = "hnsw"


def vector_literal(vector: np.ndarray) -> str:
    """A vector as pgvector's text form."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32).tolist()) + "]"


def keyword_terms(text: str) -> str:
    """The text's stems, space-separated, as the tsvector keeps them."""
    return " ".join(stems(tokens(text)))


def _count(*texts: str) -> int:
    """Tokens in the stems of the fields (BM25's document length, as FTS5 counts it)."""
    return sum(len(text.split()) for text in texts)


class PgWriter:
    """Applies document puts and removals inside the writer's transaction."""

    def __init__(self, collection: str, conn: Any):
        self.conn = conn
        self.collection = collection
        self.changed = False

    def put(self, doc: Document, source_key: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Store a document with its chunks and their vectors, replacing any earlier version."""
        self.remove(doc.doc_id)
        values: dict[str, Any] = {c: getattr(doc, c, None) for c in db.DOC_COLUMNS}
        values.update(collection=self.collection, source_key=source_key,
                      restricted=bool(doc.restricted), page_starts=json.dumps(doc.page_starts),
                      extra=json.dumps(doc.extra, default=str))
        self.conn.execute(f"INSERT INTO documents ({', '.join(values)}) VALUES "
                          f"({', '.join(['%s'] * len(values))})", tuple(values.values()))
        ids = [r[0] for r in self.conn.execute(
            "SELECT nextval('chunk_ids') FROM generate_series(1, %s)", (len(chunks),))]
        title = keyword_terms(doc.named())
        with self.conn.cursor() as cursor:
            cursor.executemany(
                'INSERT INTO chunks (collection, id, doc_id, ordinal, start, "end", page_start, '
                "page_end, section, text, restricted, terms, n_tokens, embedding) VALUES (%s, "
                "%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, setweight(to_tsvector('simple', %s), "
                "'A') || setweight(to_tsvector('simple', %s), 'B') || "
                "setweight(to_tsvector('simple', %s), 'C'), %s, %s::halfvec)",
                [(self.collection, chunk_id, c.doc_id, c.ordinal, c.start, c.end, c.page_start,
                  c.page_end, c.section, c.text, bool(doc.restricted), text, section, title,
                  _count(text, section, title), vector_literal(v))
                 for chunk_id, c, v, text, section in zip(
                     ids, chunks, vectors, (keyword_terms(c.text) for c in chunks),
                     (keyword_terms(c.section or "") for c in chunks), strict=True)])
        for chunk_id, chunk in zip(ids, chunks, strict=True):
            chunk.id = chunk_id
        self.changed = True

    def remove(self, doc_id: str) -> bool:
        """Delete a document (its chunks go with it); False when it was not there."""
        gone = self.conn.execute("DELETE FROM documents WHERE collection = %s AND doc_id = %s",
                                 (self.collection, doc_id)).rowcount
        self.changed = self.changed or bool(gone)
        return bool(gone)

    def finish(self) -> None:
        """Mark a new generation, inside the transaction that commits the changes."""
        if self.changed:
            self.conn.execute(
                "UPDATE collections SET generation = generation + 1, updated_at = now() "
                "WHERE collection = %s", (self.collection,))


def drop_collection(pool: ConnectionPool, collection: str) -> int:
    """Delete a collection with its documents and chunks; returns how many documents went."""
    with connection(pool) as conn, conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 0")  # a large archive takes a while
        conn.execute("DELETE FROM chunks WHERE collection = %s", (collection,))
        gone = conn.execute("DELETE FROM documents WHERE collection = %s", (collection,)).rowcount
        conn.execute("DELETE FROM collections WHERE collection = %s", (collection,))
    return int(gone)


def describe_database(pool: ConnectionPool) -> dict[str, Any]:
    """The schema version and every collection with its model and counts."""
    with connection(pool) as conn, conn.cursor(row_factory=dict_row) as cursor:
        version = cursor.execute("SELECT MAX(version) AS v FROM schema_migrations").fetchone()
        collections = cursor.execute(
            "SELECT k.collection, k.model, k.generation, COALESCE(d.n, 0) AS documents, "
            "COALESCE(c.n, 0) AS chunks FROM collections k "
            "LEFT JOIN (SELECT collection, COUNT(*) AS n FROM documents GROUP BY collection) d "
            "USING (collection) "
            "LEFT JOIN (SELECT collection, COUNT(*) AS n FROM chunks GROUP BY collection) c "
            "USING (collection) ORDER BY k.collection").fetchall()
    return {"schema_version": version["v"] if version else 0, "collections": collections}


def read_pg_manifest(pool: ConnectionPool, collection: str) -> Manifest | None:
    """What the collection was built with; None when it does not exist."""
    with connection(pool) as conn, conn.cursor(row_factory=dict_row) as cursor:
        row = cursor.execute(
            "SELECT model, dimension, chunking, format_version, generation, created_at, "
            "updated_at FROM collections WHERE collection = %s", (collection,)).fetchone()
    if row is None:
        return None
    return Manifest(model=row["model"], dimension=row["dimension"], chunking=row["chunking"],
                    format_version=row["format_version"], vector_index=VECTOR_INDEX,
                    generation=row["generation"],
                    created_at=row["created_at"].isoformat(timespec="seconds"),
                    updated_at=row["updated_at"].isoformat(timespec="seconds"))
