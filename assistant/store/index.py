"""An index directory: SQLite (documents, chunks, FTS5) beside FAISS vectors, kept in step.

Every write goes through a Writer. It works in one SQLite transaction on a copy of the
vectors; on commit it writes the vectors to a new generation file (temp, fsync, rename)
and only then commits the transaction that names that file. A crash at any point leaves
the previous generation complete, and a reader only ever sees committed generations.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..errors import IndexBusy, IndexMissing
from ..records import Chunk, Document, Filters
from ..text import tokens
from . import db
from .db import PerGeneration
from .manifest import Manifest, read_manifest, write_manifest
from .selection import Selection, nearest
from .vectors import VectorIndex

DATABASE = "store.sqlite"
LOCK = ".lock"


class Index(PerGeneration):
    """A readable index; `writer()` opens the one writer allowed at a time."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, manifest: Manifest, nprobe: int):
        self.directory = directory
        self.conn = conn
        self.manifest = manifest
        self.nprobe = nprobe
        self.generation = -1
        self._term_counts: dict[tuple[int, str, int], int] = {}
        self._cache: dict[str, tuple[int, Any]] = {}
        self._last_selection: tuple[Any, Selection | None] = (None, None)
        self.vectors = VectorIndex.empty(manifest.dimension, nprobe)
        self.refresh()

    @classmethod
    def open(
        cls,
        directory: Path,
        model: str,
        dimension: int,
        chunking: dict[str, Any] | None = None,
        create: bool = False,
        nprobe: int = 24,
        check: bool = True,
    ) -> Index:
        """Open the index in directory, checking its manifest (unless `check` is off: to
        read whatever it was built with); create it when asked."""
        directory = Path(directory)
        manifest = read_manifest(directory)
        if manifest is None:
            if not create:
                raise IndexMissing(
                    f"no index at {directory}; build one with `assistant ingest corpus/ "
                    f"--index {directory}` (or set ASSISTANT_INDEX)"
                )
            directory.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(model=model, dimension=dimension, chunking=chunking or {})
            conn = db.connect(directory / DATABASE)
            db.create_schema(conn)
            write_manifest(directory, manifest)
            return cls(directory, conn, manifest, nprobe)
        if check:
            manifest.check(directory, model, dimension)
        if not (directory / DATABASE).is_file():
            raise IndexMissing(f"index at {directory} has a manifest but no {DATABASE}; rebuild it")
        return cls(directory, db.connect(directory / DATABASE), manifest, nprobe)

    def refresh(self) -> None:
        """Load the latest committed generation's vectors if a writer has committed since."""
        generation = int(db.get_meta(self.conn, "generation", "0") or 0)
        if generation == self.generation:
            return
        name = db.get_meta(self.conn, "vectors_file")
        if name:
            self.vectors = VectorIndex.load(self.directory / name, self.nprobe)
        self.generation = generation

    # Reading -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts and the build settings, for `assistant stats`."""
        documents = self.conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        chunks = self.conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        by_type = dict(self.conn.execute(
            "SELECT doc_type, COUNT(*) FROM documents GROUP BY doc_type").fetchall())
        return {
            "index": str(self.directory), "documents": documents, "chunks": chunks,
            "vectors": self.vectors.count, "vector_index": self.vectors.kind,
            "model": self.manifest.model, "dimension": self.manifest.dimension,
            "chunking": self.manifest.chunking, "format_version": self.manifest.format_version,
            "generation": self.generation, "documents_by_type": by_type,
            "updated_at": self.manifest.updated_at,
        }

    def document(self, doc_id: str) -> Document:
        """One document with its stored text; DocumentNotFound when absent."""
        row = self.conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise db.missing_document(doc_id)
        return db.document_from_row(row)

    def committees(self) -> list[str]:
        """The distinct committees named by documents (cached per generation)."""
        return self._per_generation("committees", lambda: [r[0] for r in self.conn.execute(
            "SELECT DISTINCT committee FROM documents WHERE committee IS NOT NULL")])

    def has_restricted(self) -> bool:
        """Whether any document is marked restricted (cached per generation)."""
        return self._per_generation("restricted", lambda: self.conn.execute(
            "SELECT 1 FROM documents WHERE restricted = 1 LIMIT 1").fetchone() is not None)

    def facets(self, filters: Filters | None = None) -> dict[str, Any]:
        """Committees, document types and the range of meeting dates, for filter choices."""
        where, args = db.filter_sql(filters or Filters(), "documents")
        committees = [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT committee FROM documents WHERE {where} ORDER BY committee", args)
            if r[0]]
        types = [r[0] for r in self.conn.execute(
            f"SELECT DISTINCT doc_type FROM documents WHERE {where} ORDER BY doc_type", args)]
        dates = self.conn.execute(
            "SELECT MIN(COALESCE(meeting_date, publication_date)), "
            f"MAX(COALESCE(meeting_date, publication_date)) FROM documents WHERE {where}",
            args).fetchone()
        return {"committees": committees, "doc_types": types, "date_min": dates[0],
                "date_max": dates[1]}

    def document_headers(self, doc_ids: set[str]) -> dict[str, Document]:
        """Documents' metadata without their text or extra fields: cheap, for ranking."""
        ids = list(doc_ids)
        if not ids:
            return {}
        rows = self.conn.execute(
            "SELECT doc_id, source, format, title, doc_type, committee, meeting_date, "
            "publication_date, decision_status, url, restricted FROM documents "
            f"WHERE doc_id IN ({','.join('?' * len(ids))})", ids)
        return {r["doc_id"]: db.header_from_row(r) for r in rows}

    def list_documents(self, filters: Filters | None = None, offset: int = 0,
                       limit: int = 50) -> tuple[int, list[Document]]:
        """A page of document headers (no text) matching the filters, and the total."""
        where, args = db.filter_sql(filters or Filters(), "documents")
        total = self.conn.execute(f"SELECT COUNT(*) FROM documents WHERE {where}", args).fetchone()
        ids = [r[0] for r in self.conn.execute(
            f"SELECT doc_id FROM documents WHERE {where} ORDER BY meeting_date IS NULL, "
            "meeting_date DESC, doc_id LIMIT ? OFFSET ?", [*args, limit, offset])]
        headers = self.document_headers(set(ids))
        return int(total[0]), [headers[i] for i in ids]

    def chunk_ids_where(self, filters: Filters) -> np.ndarray:
        """Ids of the chunks of documents matching the filters."""
        where, args = db.filter_sql(filters)
        rows = self.conn.execute(
            f"SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE {where}",
            args)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def restricted_chunk_ids(self) -> np.ndarray:
        """Ids of the chunks of restricted documents (cached per generation): what a caller
        without the scope must not see is small, so it is excluded rather than everything
        else listed."""
        return self._per_generation("restricted_chunks", lambda: np.fromiter(
            (r[0] for r in self.conn.execute(
                "SELECT c.id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id "
                "WHERE d.restricted = 1")), dtype=np.int64))

    def documents(self) -> list[Document]:
        """Every document, ordered by meeting date then id."""
        rows = self.conn.execute(
            "SELECT * FROM documents ORDER BY meeting_date IS NULL, meeting_date, doc_id")
        return [db.document_from_row(r) for r in rows]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self.conn.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        return [db.chunk_from_row(r) for r in rows]

    def chunks(self, ids: list[int]) -> dict[int, Chunk]:
        return db.chunks_by_ids(self.conn, ids)

    def restricted_doc_ids(self) -> set[str]:
        """Ids of the documents marked restricted."""
        return {r[0] for r in self.conn.execute("SELECT doc_id FROM documents WHERE restricted = 1")}

    def restricted_sources(self) -> set[str]:
        """Source keys of the documents marked restricted."""
        rows = self.conn.execute("SELECT source_key FROM documents WHERE restricted = 1")
        return {r[0] for r in rows}

    def documents_sharing_source(self, doc_id: str) -> int:
        """How many documents were drawn from the same file as this one (1 for most files,
        one per record for JSONL)."""
        row = self.conn.execute(
            "SELECT COUNT(*) FROM documents WHERE source = (SELECT source FROM documents "
            "WHERE doc_id = ?)", (doc_id,)).fetchone()
        return int(row[0])

    def sources(self) -> dict[str, tuple[str, str]]:
        """source key → (doc_id, content hash) for every document."""
        rows = self.conn.execute("SELECT source_key, doc_id, content_hash FROM documents")
        return {r[0]: (r[1], r[2]) for r in rows}

    def keyword_search(self, query: str, k: int, filters: Filters | None = None
                       ) -> list[tuple[int, float]]:
        """Chunk ids by BM25 over the FTS5 index (higher score is better), among the chunks
        the filters allow."""
        terms = set(tokens(query))
        selection = self.selection(filters or Filters())
        if not terms or (selection is not None and selection.admits_none()):
            return []
        match = " OR ".join('"' + t.replace('"', "") + '"' for t in sorted(terms))
        rows = self.conn.execute(
            "SELECT rowid, -bm25(chunks_fts, 1.0, 0.4, 0.2) FROM chunks_fts "
            "WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 1.0, 0.4, 0.2) LIMIT ?",
            (match, k if selection is None else selection.room(k)),
        )
        hits = [(int(r[0]), float(r[1])) for r in rows]
        return (hits if selection is None else selection.keep(hits))[:k]

    def term_count(self, term: str, cap: int = db.TERM_COUNT_CAP) -> int:
        """How many chunks hold the term (capped: past the cap a term is simply common)."""
        key = (self.generation, term, cap)
        if key not in self._term_counts:
            quoted = '"' + term.replace('"', "") + '"'
            row = self.conn.execute(
                "SELECT COUNT(*) FROM (SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT ?)",
                (quoted, cap)).fetchone()
            if len(self._term_counts) > db.TERM_CACHE:
                self._term_counts.clear()
            self._term_counts[key] = int(row[0])
        return self._term_counts[key]

    def term_counts(self, terms: list[str], cap: int = db.TERM_COUNT_CAP) -> dict[str, int]:
        """term_count for several terms."""
        return {term: self.term_count(term, cap) for term in terms}

    def chunk_count(self) -> int:
        """Chunks in the index (cached per generation)."""
        return int(self._per_generation("chunks", lambda: self.conn.execute(
            "SELECT COUNT(*) FROM chunks").fetchone()[0]))

    def vector_search(self, query: np.ndarray, k: int, filters: Filters | None = None
                      ) -> list[tuple[int, float]]:
        """Chunk ids by cosine similarity to the query vector, among the chunks the filters
        allow."""
        return nearest(self.vectors, query, k, self.selection(filters or Filters()))

    def selection(self, filters: Filters) -> Selection | None:
        """Which chunks a search may return: None for all of them; restricted chunks are
        excluded by their own (small) id list, other filters list the chunks they allow.
        The last one is kept, as the dense and keyword halves of a search ask alike."""
        key = (self.generation, repr(filters))
        if self._last_selection[0] != key:
            self._last_selection = (key, self._select(filters))
        return self._last_selection[1]

    def _select(self, filters: Filters) -> Selection | None:
        if not filters.is_open():
            return Selection(self.chunk_ids_where(filters))
        if not filters.include_restricted and self.has_restricted():
            return Selection(self.restricted_chunk_ids(), exclude=True)
        return None

    @contextlib.contextmanager
    def writer(self, ann_threshold: int = 200_000) -> Iterator[Writer]:
        """The single writer: commits on a clean exit, leaves the index untouched otherwise."""
        with _exclusive_lock(self.directory / LOCK):
            self.refresh()
            writer = Writer(self, ann_threshold)
            try:
                yield writer
            except BaseException:
                writer.rollback()
                raise
            writer.commit()

    def close(self) -> None:
        self.conn.close()


class Writer:
    """Applies document puts and removals, then commits them as one new generation."""

    def __init__(self, index: Index, ann_threshold: int):
        self.index = index
        self.ann_threshold = ann_threshold
        self.conn = index.conn
        self.vectors = VectorIndex(faiss.clone_index(index.vectors.index), index.nprobe)
        self.changed = False
        self.conn.execute("BEGIN IMMEDIATE")

    def put(self, doc: Document, source_key: str, chunks: list[Chunk], vectors: np.ndarray) -> None:
        """Store a document with its chunks and their vectors, replacing any earlier version."""
        self.remove(doc.doc_id)
        db.insert_document(self.conn, doc, source_key)
        ids = db.insert_chunks(self.conn, chunks, doc.named())
        self.vectors.add(np.asarray(ids, dtype=np.int64), vectors)
        self.changed = True

    def remove(self, doc_id: str) -> bool:
        """Delete a document; False when it was not there."""
        exists = self.conn.execute("SELECT 1 FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if not exists:
            return False
        self.vectors.remove(db.delete_document(self.conn, doc_id))
        self.changed = True
        return True

    def commit(self) -> None:
        if not self.changed:
            self.conn.execute("ROLLBACK")
            return
        index = self.index
        self.vectors = self.vectors.fit(self.ann_threshold)
        generation = index.generation + 1
        name = f"vectors-{generation:06d}.faiss"
        self.vectors.save(index.directory / name)
        _fault("after_vectors_saved")
        db.set_meta(self.conn, "generation", str(generation))
        db.set_meta(self.conn, "vectors_file", name)
        self.conn.execute("COMMIT")
        _fault("after_commit")
        index.vectors, index.generation = self.vectors, generation
        manifest = index.manifest
        manifest.generation, manifest.vector_index = generation, self.vectors.kind
        stats = index.stats()
        manifest.documents, manifest.chunks = stats["documents"], stats["chunks"]
        write_manifest(index.directory, manifest)
        _remove_old_generations(index.directory, keep={name, _previous(index, generation)})

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")


def _previous(index: Index, generation: int) -> str:
    return f"vectors-{generation - 1:06d}.faiss"


def _remove_old_generations(directory: Path, keep: set[str]) -> None:
    """Drop vector files no reader can still want: all but the newest two, and stray temps."""
    for path in directory.glob("vectors-*.faiss*"):
        if path.name not in keep:
            with contextlib.suppress(OSError):
                path.unlink()


@contextlib.contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexBusy(f"index {path.parent} is being written by {holder}; wait for it to "
                            "finish and try again") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _fault(point: str) -> None:
    """Crash here when ASSISTANT_FAULT names this point: lets tests kill a commit mid-way."""
    if os.environ.get("ASSISTANT_FAULT") == point:
        os._exit(99)
