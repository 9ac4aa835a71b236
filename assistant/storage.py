"""Where the assistant keeps things: the state tables for the settings, and looking after a
PostgreSQL store (its status, moving an index folder into it, dropping a collection). The
index itself is opened by `ingest.open_index`, for files or a database alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import Settings
from .store import Index, PgIndex
from .store.pgcollection import describe_database, drop_collection
from .store.pgpool import pool_for, redact
from .store.state import StateDb, now

__all__ = ["StateDb", "database_status", "drop_store", "import_index", "index_location", "now",
           "state_db"]


def state_db(settings: Settings, file_name: str) -> StateDb:
    """Where small state tables are kept: the database when one is configured (shared by
    every server on it), else the named SQLite file in the index directory."""
    return StateDb(settings.index / file_name, settings.database_url, settings.database_pool,
                   settings.database_timeout)


def index_location(settings: Settings) -> str:
    """Where the configured index is, for messages: its folder, or database and collection."""
    if settings.database_url:
        return f"{redact(settings.database_url)} collection {settings.collection}"
    return str(settings.index)


def database_status(settings: Settings) -> dict[str, Any]:
    """The configured database's schema version and collections, with their counts."""
    assert settings.database_url
    pool = pool_for(settings.database_url, settings.database_pool, settings.database_timeout)
    return {"database": redact(settings.database_url), **describe_database(pool)}


def import_index(settings: Settings, directory: Path) -> int:
    """Copy an embedded index (a folder) into the configured PostgreSQL collection, vectors
    and all, so moving to a shared database embeds nothing again; returns the documents
    copied. The collection is created with the folder's model, or must already have it."""
    assert settings.database_url
    source = Index.open(directory, "", 0, check=False)
    try:
        target = PgIndex.open(settings.database_url, settings.collection, settings.index,
                              source.manifest.model, source.manifest.dimension,
                              source.manifest.chunking, create=True,
                              pool_size=settings.database_pool, timeout=settings.database_timeout)
        keys = {doc_id: key for key, (doc_id, _) in source.sources().items()}
        with target.writer() as writer:
            for document in source.documents():
                chunks = source.chunks_of(document.doc_id)
                vectors = source.vectors.by_ids([c.id or 0 for c in chunks])
                writer.put(document, keys[document.doc_id], chunks, vectors)
        return len(keys)
    finally:
        source.close()


def drop_store(settings: Settings) -> int:
    """Delete the configured PostgreSQL collection (documents, chunks, manifest); returns
    how many documents went. File indexes are removed as folders, so this is 0 for them."""
    if not settings.database_url:
        return 0
    pool = pool_for(settings.database_url, settings.database_pool, settings.database_timeout)
    return drop_collection(pool, settings.collection)
