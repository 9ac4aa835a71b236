"""Connections to PostgreSQL: one pool per database URL per process, checked on first use.

Everything that keeps state in PostgreSQL (the index, conversations, the bots' records,
upload jobs) borrows from the same pool. The schema is brought up to date when a pool is
first made, so a new database needs nothing but the pgvector extension being installable.
"""

from __future__ import annotations

import atexit
import re
import threading
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from ..errors import StoreUnavailable
from .migrations import migrate

EF_SEARCH = 100  # HNSW candidates per query: above the 60 that retrieval asks for
_POOLS: dict[str, ConnectionPool] = {}
_LOCK = threading.Lock()


def pool_for(url: str, size: int = 8, timeout: float = 10.0) -> ConnectionPool:
    """The process's pool for this database, made (and the schema migrated) on first use.
    StoreUnavailable, saying what to do, when the server is unreachable or lacks pgvector."""
    with _LOCK:
        pool = _POOLS.get(url)
        if pool is None:
            _first_connection(url, timeout)
            pool = ConnectionPool(
                url, min_size=1, max_size=size, timeout=timeout, open=True,
                kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout)),
                        "options": f"-c statement_timeout={int(timeout * 6000)}"},
                configure=_configure, name="assistant")
            _POOLS[url] = pool
    return pool


def connection(pool: ConnectionPool) -> Any:
    """A pooled connection (a context manager); StoreUnavailable when none comes in time."""
    return _Borrowed(pool)


class _Borrowed:
    def __init__(self, pool: ConnectionPool):
        self.pool = pool
        self.inner: Any = None

    def __enter__(self) -> psycopg.Connection[Any]:
        self.inner = self.pool.connection()
        try:
            return self.inner.__enter__()
        except PoolTimeout as exc:
            raise StoreUnavailable(
                f"no connection to PostgreSQL ({redact(str(self.pool.conninfo))}) within "
                f"{self.pool.timeout:.0f} s: the server is down or every connection is busy; "
                "check it is running, or raise ASSISTANT_DATABASE_POOL") from exc

    def __exit__(self, kind: Any, error: Any, trace: Any) -> None:
        self.inner.__exit__(kind, error, trace)
        if isinstance(error, psycopg.errors.QueryCanceled):
            raise StoreUnavailable(
                "PostgreSQL cancelled a statement at its time limit (six times "
                "ASSISTANT_DATABASE_TIMEOUT); the database is overloaded or the archive needs "
                "a longer limit") from error
        if isinstance(error, psycopg.OperationalError):  # the server went away mid-statement
            raise StoreUnavailable(
                f"lost the connection to PostgreSQL ({redact(str(self.pool.conninfo))}): "
                f"{_first_line(error)}; check the server is running (the next request reconnects)"
            ) from error


def close_pool(url: str) -> None:
    """Close this database's pool, if the process has one (before dropping or copying it)."""
    with _LOCK:
        pool = _POOLS.pop(url, None)
    if pool is not None:
        pool.close()


def close_pools() -> None:
    """Close every pool (at exit, and in tests that stop their server)."""
    with _LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


atexit.register(close_pools)


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"password=\S+", "password=***", re.sub(r"(://[^:/@]*:)[^@]+@", r"\1***@", url))


def _configure(conn: psycopg.Connection[Any]) -> None:
    # relaxed_order: a filtered HNSW search keeps scanning until it has enough rows that pass
    conn.execute(f"SET hnsw.ef_search = {EF_SEARCH}")
    conn.execute("SET hnsw.iterative_scan = relaxed_order")


def _first_connection(url: str, timeout: float) -> None:
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout))) as conn:
            migrate(conn)
    except psycopg.OperationalError as exc:
        raise StoreUnavailable(
            f"cannot reach PostgreSQL at {redact(url)} ({_first_line(exc)}); check ASSISTANT_DATABASE_URL "
            "and that the server is running (`assistant db start` runs a local one)") from exc
    except psycopg.errors.FeatureNotSupported as exc:
        raise StoreUnavailable(_no_vector(url, exc)) from exc
    except psycopg.errors.InsufficientPrivilege as exc:
        raise StoreUnavailable(
            f"PostgreSQL at {redact(url)} refused to set up the schema ({exc}); connect once as "
            "a user who may CREATE EXTENSION vector and create tables") from exc


def _first_line(error: Exception) -> str:
    """psycopg's message without its hints and context lines."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _no_vector(url: str, exc: Exception) -> str:
    return (f"PostgreSQL at {redact(url)} lacks the pgvector extension ({_first_line(exc)}); install "
            "pgvector on the server (managed services: enable the `vector` extension), or use "
            "`assistant db start`, which bundles it")
