"""The SQLite side of the index: documents, chunks and the FTS5 keyword index."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import DocumentNotFound
from ..records import Chunk, Document, Filters

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    source_key TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    title TEXT, doc_type TEXT NOT NULL, committee TEXT, meeting_date TEXT,
    publication_date TEXT, decision_status TEXT, url TEXT,
    restricted INTEGER NOT NULL DEFAULT 0,
    page_starts TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}',
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    ingested_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    page_start INTEGER, page_end INTEGER, section TEXT, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id, ordinal);
CREATE INDEX IF NOT EXISTS documents_by_meeting ON documents(meeting_date);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, section, title, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""
DOC_COLUMNS = ("doc_id", "source", "format", "title", "doc_type", "committee", "meeting_date",
                "publication_date", "decision_status", "url", "restricted", "page_starts",
                "extra", "content_hash", "text")


def connect(path: Path) -> sqlite3.Connection:
    """Open the database in WAL mode, so readers never wait for a writer or see its half."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables if they are missing."""
    conn.executescript(SCHEMA)


def get_meta(conn: sqlite3.Connection, key: str, default: str | None = None) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else default


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))


def document_from_row(row: Any) -> Document:
    """A Document from a documents row (SQLite's, or PostgreSQL's as a dict)."""
    return Document(
        doc_id=row["doc_id"], text=row["text"], source=row["source"], title=row["title"],
        doc_type=row["doc_type"], committee=row["committee"], meeting_date=row["meeting_date"],
        publication_date=row["publication_date"], decision_status=row["decision_status"],
        url=row["url"], restricted=bool(row["restricted"]), format=row["format"],
        page_starts=json.loads(row["page_starts"]), extra=json.loads(row["extra"]),
        content_hash=row["content_hash"],
    )


TERM_COUNT_CAP = 20_000  # counts past this make no difference to a term's weight
TERM_CACHE = 50_000  # term counts kept per index before the cache starts again


class PerGeneration:
    """Values worked out once per committed generation of an index (either backend)."""

    generation: int
    _cache: dict[str, tuple[int, Any]]

    def _per_generation(self, name: str, compute: Any) -> Any:
        cached = self._cache.get(name)
        if cached is None or cached[0] != self.generation:
            cached = (self.generation, compute())
            self._cache[name] = cached
        return cached[1]


def missing_document(doc_id: str) -> DocumentNotFound:
    """The error for a document id the index does not hold."""
    return DocumentNotFound(f"no document {doc_id!r} in the index; `assistant stats` counts "
                            "them and `assistant ingest` adds them")


def header_from_row(row: Any) -> Document:
    """A Document without its text or extra fields, from a row of its header columns."""
    return Document(
        doc_id=row["doc_id"], text="", source=row["source"], format=row["format"],
        title=row["title"], doc_type=row["doc_type"], committee=row["committee"],
        meeting_date=row["meeting_date"], publication_date=row["publication_date"],
        decision_status=row["decision_status"], url=row["url"], restricted=bool(row["restricted"]))


def chunk_from_row(row: Any) -> Chunk:
    """A Chunk from a chunks row."""
    return Chunk(row["doc_id"], row["ordinal"], row["start"], row["end"], row["text"],
                 row["section"], row["page_start"], row["page_end"], row["id"])


def insert_document(conn: sqlite3.Connection, doc: Document, source_key: str) -> None:
    values: dict[str, Any] = {c: getattr(doc, c, None) for c in DOC_COLUMNS}
    values.update(restricted=int(doc.restricted), page_starts=json.dumps(doc.page_starts),
                  extra=json.dumps(doc.extra, default=str), source_key=source_key)
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    conn.execute(f"INSERT INTO documents ({columns}) VALUES ({marks})", tuple(values.values()))


def insert_chunks(conn: sqlite3.Connection, chunks: Sequence[Chunk], title: str | None) -> list[int]:
    """Insert chunks and their keyword rows; returns their new ids in order."""
    ids: list[int] = []
    for c in chunks:
        cursor = conn.execute(
            'INSERT INTO chunks (doc_id, ordinal, start, "end", page_start, page_end, section, '
            "text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (c.doc_id, c.ordinal, c.start, c.end, c.page_start, c.page_end, c.section, c.text),
        )
        chunk_id = int(cursor.lastrowid or 0)
        ids.append(chunk_id)
        c.id = chunk_id
    conn.executemany(
        "INSERT INTO chunks_fts(rowid, text, section, title) VALUES (?, ?, ?, ?)",
        [(c.id, c.text, c.section or "", title or "") for c in chunks],
    )
    return ids


def delete_document(conn: sqlite3.Connection, doc_id: str) -> list[int]:
    """Delete a document with its chunks and keyword rows; returns the chunk ids removed."""
    ids = [r[0] for r in conn.execute("SELECT id FROM chunks WHERE doc_id = ?", (doc_id,))]
    conn.executemany("DELETE FROM chunks_fts WHERE rowid = ?", [(i,) for i in ids])
    conn.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
    conn.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
    return ids


def chunks_by_ids(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Chunk]:
    """The chunks with these ids (missing ids are simply absent)."""
    wanted = list(ids)
    found: dict[int, Chunk] = {}
    for start in range(0, len(wanted), 500):
        part = wanted[start:start + 500]
        marks = ",".join("?" * len(part))
        for row in conn.execute(f"SELECT * FROM chunks WHERE id IN ({marks})", part):
            found[row["id"]] = chunk_from_row(row)
    return found


def filter_sql(filters: Filters, alias: str = "d", mark: str = "?",
               like: str = "LIKE") -> tuple[str, list[Any]]:
    """The one SQL condition on the documents table (as `alias`) for these filters, used by
    retrieval, document listings and facets alike, on SQLite and (with mark `%s` and
    `ILIKE`, as SQLite's LIKE ignores case) on PostgreSQL."""
    clauses: list[str] = ["1 = 1"]
    args: list[Any] = []

    def add(sql: str, *values: Any) -> None:
        clauses.append(sql)
        args.extend(values)

    if not filters.include_restricted:
        add(f"NOT {alias}.restricted")
    if filters.committee:
        add(f"{alias}.committee {like} {mark}", f"%{filters.committee}%")
    for column, values in (("doc_type", filters.doc_types), ("doc_id", filters.doc_ids)):
        if values:
            add(f"{alias}.{column} IN ({','.join([mark] * len(values))})", *values)
    dated = f"COALESCE({alias}.meeting_date, {alias}.publication_date)"
    for operator, value in ((">=", filters.date_from), ("<=", filters.date_to)):
        if value:
            add(f"{dated} {operator} {mark}", value)
    return " AND ".join(clauses), args
