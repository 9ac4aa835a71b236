"""The index in PostgreSQL: documents, chunks, pgvector vectors (HNSW) and full-text search.

The same reading and writing interface as the embedded `Index`, so retrieval, answering
and every interface run on either. Several servers can share one database: each reads the
committed state, and a writer holds the collection's advisory lock for its one transaction,
so a kill mid-ingest rolls back and readers never see half of it.

Keyword search reads the same stems as the embedded index (`text.stems`, SQLite's porter),
stored as a tsvector under the 'simple' configuration with the text, section and title
weighted A, B and C, and scores BM25 as FTS5 does (`keyword_search`). Writing is in
`pgcollection`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from ..errors import IndexBusy, IndexMissing
from ..records import Chunk, Document, Filters
from . import db
from .db import PerGeneration
from .manifest import FORMAT_VERSION, Manifest
from .migrations import vector_index_sql
from .pgcollection import VECTOR_INDEX, PgWriter, keyword_terms, read_pg_manifest, vector_literal
from .pgpool import connection, pool_for, redact

_DOCUMENT = ("doc_id, source, format, title, doc_type, committee, meeting_date, publication_date, "
             "decision_status, url, restricted, page_starts::text AS page_starts, "
             "extra::text AS extra, content_hash, text")
_CHUNK = 'id, doc_id, ordinal, start, "end", page_start, page_end, section, text'
_HEADER = ("doc_id, source, format, title, doc_type, committee, meeting_date, publication_date, "
           "decision_status, url, restricted")
EXACT_COUNT = 2_000  # chunks counted one by one per term; beyond, the planner estimates
BM25_CANDIDATES = 240  # chunks ranked by ts_rank that BM25 then orders


def _pg_filter(filters: Filters, alias: str = "d") -> tuple[str, list[Any]]:
    return db.filter_sql(filters, alias, mark="%s", like="ILIKE")


class PgIndex(PerGeneration):
    """The index of one collection in a PostgreSQL database."""

    kind = VECTOR_INDEX

    def __init__(self, url: str, collection: str, directory: Path, manifest: Manifest,
                 pool: ConnectionPool):
        self.url = url
        self.collection = collection
        self.directory = directory  # local files only: the ingest's vector cache, uploads
        self.manifest = manifest
        self.pool = pool
        self.generation = manifest.generation
        self._cache: dict[str, tuple[int, Any]] = {}
        self._term_counts: dict[tuple[int, str], tuple[int, int]] = {}  # → (count, cap)

    @classmethod
    def open(cls, url: str, collection: str, directory: Path, model: str, dimension: int,
             chunking: dict[str, Any] | None = None, create: bool = False,
             pool_size: int = 8, timeout: float = 10.0) -> PgIndex:
        """Open the collection, checking what it was built with; create it when asked."""
        pool = pool_for(url, pool_size, timeout)
        where = f"collection {collection!r} in {redact(url)}"
        manifest = read_pg_manifest(pool, collection)
        if manifest is None:
            if not create:
                raise IndexMissing(
                    f"no index in {where}; build one with `assistant ingest corpus/` "
                    "(ASSISTANT_DATABASE_URL and ASSISTANT_COLLECTION set as now)")
            with connection(pool) as conn:
                conn.execute(
                    "INSERT INTO collections (collection, model, dimension, chunking, "
                    "format_version) VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (collection, model, dimension, json.dumps(chunking or {}), FORMAT_VERSION))
                conn.execute(vector_index_sql(dimension))
            manifest = read_pg_manifest(pool, collection)
            assert manifest is not None
        manifest.check(where, model, dimension, rebuild=(
            f"Rebuild it into another collection (ASSISTANT_COLLECTION) with `assistant ingest "
            f"corpus/`, or drop this one with `assistant db drop-collection {collection}`."))
        if create:
            Path(directory).mkdir(parents=True, exist_ok=True)
        return cls(url, collection, Path(directory), manifest, pool)

    # --- plumbing ----------------------------------------------------------------------------

    def _rows(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[dict[str, Any]]:
        with connection(self.pool) as conn, conn.cursor(row_factory=dict_row) as cursor:
            return cursor.execute(sql, args).fetchall()

    def _values(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[Any]:
        with connection(self.pool) as conn:
            return [r[0] for r in conn.execute(sql, args).fetchall()]

    def refresh(self) -> None:
        """Note the latest committed generation (what per-generation caches are keyed by)."""
        found = self._values("SELECT generation FROM collections WHERE collection = %s",
                             (self.collection,))
        if found:
            self.generation = int(found[0])

    # --- reading -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts and the build settings, for `assistant stats`."""
        self.refresh()
        by_type = {r["doc_type"]: r["n"] for r in self._rows(
            "SELECT doc_type, COUNT(*) AS n FROM documents WHERE collection = %s GROUP BY doc_type",
            (self.collection,))}
        chunks = self.chunk_count()
        manifest = read_pg_manifest(self.pool, self.collection) or self.manifest
        return {
            "index": f"{redact(self.url)} collection {self.collection}",
            "documents": sum(by_type.values()), "chunks": chunks, "vectors": chunks,
            "vector_index": self.kind, "model": self.manifest.model,
            "dimension": self.manifest.dimension, "chunking": manifest.chunking,
            "format_version": self.manifest.format_version, "generation": self.generation,
            "documents_by_type": by_type,
            "updated_at": manifest.updated_at,
        }

    def document(self, doc_id: str) -> Document:
        """One document with its stored text; DocumentNotFound when absent."""
        rows = self._rows(f"SELECT {_DOCUMENT} FROM documents WHERE collection = %s AND "
                          "doc_id = %s", (self.collection, doc_id))
        if not rows:
            raise db.missing_document(doc_id)
        return db.document_from_row(rows[0])

    def committees(self) -> list[str]:
        """The distinct committees named by documents (cached per generation)."""
        return self._per_generation("committees", lambda: self._values(
            "SELECT DISTINCT committee FROM documents WHERE collection = %s AND committee IS "
            "NOT NULL", (self.collection,)))

    def has_restricted(self) -> bool:
        """Whether any document is marked restricted (cached per generation)."""
        return bool(self._per_generation("restricted", lambda: self._values(
            "SELECT 1 FROM documents WHERE collection = %s AND restricted LIMIT 1",
            (self.collection,))))

    def facets(self, filters: Filters | None = None) -> dict[str, Any]:
        """Committees, document types and the range of meeting dates, for filter choices."""
        where, args = _pg_filter(filters or Filters(), "documents")
        scope = [self.collection, *args]
        base = f"FROM documents WHERE collection = %s AND {where}"
        committees = [c for c in self._values(
            f"SELECT DISTINCT committee {base} ORDER BY committee", scope) if c]
        types = self._values(f"SELECT DISTINCT doc_type {base} ORDER BY doc_type", scope)
        dates = self._rows("SELECT MIN(COALESCE(meeting_date, publication_date)) AS lo, "
                           f"MAX(COALESCE(meeting_date, publication_date)) AS hi {base}", scope)[0]
        return {"committees": committees, "doc_types": types, "date_min": dates["lo"],
                "date_max": dates["hi"]}

    def document_headers(self, doc_ids: set[str]) -> dict[str, Document]:
        """Documents' metadata without their text or extra fields: cheap, for ranking."""
        if not doc_ids:
            return {}
        rows = self._rows(f"SELECT {_HEADER} FROM documents WHERE collection = %s AND "
                          "doc_id = ANY(%s)", (self.collection, list(doc_ids)))
        return {r["doc_id"]: db.header_from_row(r) for r in rows}

    def list_documents(self, filters: Filters | None = None, offset: int = 0,
                       limit: int = 50) -> tuple[int, list[Document]]:
        """A page of document headers (no text) matching the filters, and the total."""
        where, args = _pg_filter(filters or Filters(), "documents")
        scope = [self.collection, *args]
        total = self._values(f"SELECT COUNT(*) FROM documents WHERE collection = %s AND {where}",
                             scope)[0]
        ids = self._values(
            f"SELECT doc_id FROM documents WHERE collection = %s AND {where} ORDER BY "
            "meeting_date IS NULL, meeting_date DESC, doc_id LIMIT %s OFFSET %s",
            [*scope, limit, offset])
        headers = self.document_headers(set(ids))
        return int(total), [headers[i] for i in ids]

    def documents(self) -> list[Document]:
        """Every document, ordered by meeting date then id."""
        rows = self._rows(f"SELECT {_DOCUMENT} FROM documents WHERE collection = %s ORDER BY "
                          "meeting_date IS NULL, meeting_date, doc_id", (self.collection,))
        return [db.document_from_row(r) for r in rows]

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        rows = self._rows(f"SELECT {_CHUNK} FROM chunks WHERE collection = %s AND doc_id = %s "
                          "ORDER BY ordinal", (self.collection, doc_id))
        return [db.chunk_from_row(r) for r in rows]

    def chunks(self, ids: list[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        rows = self._rows(f"SELECT {_CHUNK} FROM chunks WHERE collection = %s AND id = ANY(%s)",
                          (self.collection, list(ids)))
        return {r["id"]: db.chunk_from_row(r) for r in rows}

    def restricted_doc_ids(self) -> set[str]:
        """Ids of the documents marked restricted."""
        return set(self._values("SELECT doc_id FROM documents WHERE collection = %s AND "
                                "restricted", (self.collection,)))

    def restricted_sources(self) -> set[str]:
        """Source keys of the documents marked restricted."""
        return set(self._values("SELECT source_key FROM documents WHERE collection = %s AND "
                                "restricted", (self.collection,)))

    def documents_sharing_source(self, doc_id: str) -> int:
        """How many documents were drawn from the same file as this one."""
        return int(self._values(
            "SELECT COUNT(*) FROM documents WHERE collection = %s AND source = (SELECT source "
            "FROM documents WHERE collection = %s AND doc_id = %s)",
            (self.collection, self.collection, doc_id))[0])

    def sources(self) -> dict[str, tuple[str, str]]:
        """source key → (doc_id, content hash) for every document."""
        rows = self._rows("SELECT source_key, doc_id, content_hash FROM documents WHERE "
                          "collection = %s", (self.collection,))
        return {r["source_key"]: (r["doc_id"], r["content_hash"]) for r in rows}

    def chunk_count(self) -> int:
        """Chunks in the collection (cached per generation)."""
        return int(self._per_generation("chunks", lambda: self._values(
            "SELECT COUNT(*) FROM chunks WHERE collection = %s", (self.collection,))[0]))

    def term_count(self, term: str, cap: int = db.TERM_COUNT_CAP) -> int:
        """How many chunks hold the term (capped: past the cap a term is simply common)."""
        return self.term_counts([term], cap).get(term, 0)

    def term_counts(self, terms: list[str], cap: int = db.TERM_COUNT_CAP) -> dict[str, int]:
        """term_count for several terms, asked of the database in one query."""
        lexemes = {term: (keyword_terms(term).split() or [""])[0] for term in terms}
        self._count_lexemes([x for x in lexemes.values() if x], cap)
        return {term: self._known_count(x, cap) or 0 if x else 0 for term, x in lexemes.items()}

    def _known_count(self, lexeme: str, cap: int) -> int | None:
        """A count already known for this generation that answers for `cap`, else None."""
        known = self._term_counts.get((self.generation, lexeme))
        if known is None:
            return None
        count, counted_to = known
        return min(count, cap) if count < counted_to or cap <= counted_to else None

    def _count_lexemes(self, lexemes: list[str], cap: int) -> None:
        """Count the lexemes' chunks exactly up to EXACT_COUNT (one query for all), and
        past it take the planner's estimate (from ANALYZE's statistics): a GIN index finds
        matches quickly but counting tens of thousands of them costs a heap visit each."""
        missing = sorted({x for x in lexemes if self._known_count(x, cap) is None})
        if not missing:
            return
        if len(self._term_counts) > db.TERM_CACHE:
            self._term_counts.clear()
        exact = min(cap, EXACT_COUNT)
        rows = self._rows(
            "SELECT t.lexeme, hits.n FROM unnest(%s::text[]) AS t(lexeme) CROSS JOIN LATERAL "
            "(SELECT COUNT(*) AS n FROM (SELECT 1 FROM chunks c WHERE c.collection = %s AND "
            "c.terms @@ t.lexeme::tsquery LIMIT %s) AS matching) AS hits",
            (missing, self.collection, exact))
        for row in rows:
            count = int(row["n"])
            if count >= exact and cap > exact:
                count = min(cap, max(exact, self._estimate(row["lexeme"])))
            self._term_counts[(self.generation, row["lexeme"])] = (count, cap)

    def _estimate(self, lexeme: str) -> int:
        plan = self._values("EXPLAIN (FORMAT JSON) SELECT 1 FROM chunks c WHERE c.collection = "
                            "%s AND c.terms @@ %s::tsquery", (self.collection, lexeme))[0]
        return int(plan[0]["Plan"]["Plan Rows"])

    # --- searching ---------------------------------------------------------------------------

    def _scope(self, filters: Filters) -> tuple[str, list[Any]]:
        """The condition on chunks `c` for the filters: restricted chunks by their own flag,
        other filters as a semi-join on documents of the same collection (so it stays inside
        one shard when the tables are distributed by collection)."""
        clauses, args = ["c.collection = %s"], [self.collection]
        if not filters.include_restricted:
            clauses.append("NOT c.restricted")
        if not filters.is_open():
            where, more = _pg_filter(filters, "d")
            clauses.append("(c.collection, c.doc_id) IN (SELECT d.collection, d.doc_id FROM "
                           f"documents d WHERE d.collection = %s AND {where})")
            args += [self.collection, *more]
        return " AND ".join(clauses), args

    def vector_search(self, query: np.ndarray, k: int, filters: Filters | None = None
                      ) -> list[tuple[int, float]]:
        """Chunk ids by cosine similarity to the query vector (HNSW, approximate), among
        the chunks the filters allow."""
        where, args = self._scope(filters or Filters())
        dimension = self.manifest.dimension
        vector = f"embedding::halfvec({dimension})"
        literal = vector_literal(query)
        rows = self._rows(
            f"SELECT c.id, {vector} <=> %s::halfvec({dimension}) AS distance FROM chunks c "
            f"WHERE {where} AND vector_dims(c.embedding) = {dimension} "
            f"ORDER BY {vector} <=> %s::halfvec({dimension}) LIMIT %s",
            [literal, *args, literal, k])
        found = [(int(r["id"]), 1.0 - float(r["distance"])) for r in rows]
        return sorted(found, key=lambda pair: -pair[1])  # relaxed order: nearly sorted

    def keyword_search(self, query: str, k: int, filters: Filters | None = None
                       ) -> list[tuple[int, float]]:
        """Chunk ids by BM25 (higher is better), as FTS5 scores them, among the chunks the
        filters allow. PostgreSQL ranks no BM25, so it is done in two steps: the matching
        chunks ranked by each term's ts_rank weighted by its rarity, then the best of those
        scored by BM25 from their term positions (k1 1.2, b 0.75, text 1.0, section 0.4,
        title 0.2, FTS5's idf)."""
        terms = sorted(set(keyword_terms(query).split()))
        if not terms:
            return []
        total = max(1, self.chunk_count())
        self._count_lexemes(terms, db.TERM_COUNT_CAP)
        counts = [self._known_count(t, db.TERM_COUNT_CAP) or 0 for t in terms]
        rarity = [float(np.log(1 + (total + 1) / (n + 1))) for n in counts]
        idf = [max(1e-6, float(np.log((total - n + 0.5) / (n + 0.5)))) for n in counts]
        where, args = self._scope(filters or Filters())
        rank = " + ".join("%s * ts_rank(c.terms, %s::tsquery, 1)" for _ in terms)
        rank_args = [x for pair in zip(rarity, terms, strict=True) for x in pair]
        rows = self._rows(
            "WITH candidates AS (SELECT c.id, c.terms, c.n_tokens FROM chunks c WHERE "
            f"{where} AND c.terms @@ %s::tsquery ORDER BY {rank} DESC, c.id LIMIT %s), "
            "asked AS (SELECT * FROM unnest(%s::text[], %s::float8[]) AS a(lexeme, idf)) "
            "SELECT candidates.id, SUM(asked.idf * found.tf * 2.2 / (found.tf + 1.2 * "
            "(0.25 + 0.75 * candidates.n_tokens / %s))) AS score "
            "FROM candidates CROSS JOIN LATERAL (SELECT u.lexeme, (SELECT SUM(CASE w WHEN 'A' "
            "THEN 1.0 WHEN 'B' THEN 0.4 WHEN 'C' THEN 0.2 ELSE 0 END) FROM unnest(u.weights) "
            "AS w) AS tf FROM unnest(candidates.terms) AS u WHERE u.lexeme = ANY(%s)) AS found "
            "JOIN asked USING (lexeme) GROUP BY candidates.id ORDER BY score DESC, "
            "candidates.id LIMIT %s",
            [*args, " | ".join(terms), *rank_args, max(4 * k, BM25_CANDIDATES), terms, idf,
             self._average_tokens(), terms, k])
        return [(int(r["id"]), float(r["score"])) for r in rows]

    def _average_tokens(self) -> float:
        """Mean tokens per chunk (BM25's average length; cached per generation)."""
        return float(self._per_generation("average_tokens", lambda: self._values(
            "SELECT COALESCE(AVG(n_tokens), 1) FROM chunks WHERE collection = %s",
            (self.collection,))[0]) or 1.0)

    # --- writing -----------------------------------------------------------------------------

    @contextlib.contextmanager
    def writer(self, ann_threshold: int = 0) -> Iterator[PgWriter]:
        """The collection's single writer: one transaction, committed on a clean exit."""
        with connection(self.pool) as conn, conn.transaction():
            got = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))",
                               ("assistant:" + self.collection,)).fetchone()
            if not got or not got[0]:
                raise IndexBusy(f"collection {self.collection!r} is being written by another "
                                "process; wait for it to finish and try again")
            writer = PgWriter(self.collection, conn)
            yield writer
            writer.finish()
        if writer.changed:
            self.refresh()

    def close(self) -> None:
        """Nothing to release: connections go back to the process's pool after each call."""


