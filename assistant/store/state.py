"""The small tables kept beside the index (conversations, the bots' records, upload jobs),
in a SQLite file of their own or in the PostgreSQL database the index is in.

Statements are written once, with `?` marks and SQL both engines share; timestamps come
from here (UTC text), not from either engine's clock functions.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .pgpool import connection, pool_for


def now(ago: timedelta | None = None, precise: bool = False) -> str:
    """UTC time as sortable text, as SQLite's datetime('now') writes it (which older rows
    hold); `precise` adds microseconds, so order follows insertion."""
    moment = datetime.now(UTC) - (ago or timedelta(0))
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f" if precise else "%Y-%m-%d %H:%M:%S")


class StateDb:
    """One database for small state tables: `rows`, `run` and `transaction`."""

    def __init__(self, sqlite_path: Path | None = None, url: str | None = None,
                 pool_size: int = 8, timeout: float = 10.0):
        self.lock = threading.RLock()
        self.sqlite: sqlite3.Connection | None = None
        self.pool = pool_for(url, pool_size, timeout) if url else None
        self._conn: Any = None  # the connection a transaction holds
        if self.pool is None:
            assert sqlite_path is not None
            sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            self.sqlite = sqlite3.connect(str(sqlite_path), isolation_level=None,
                                          check_same_thread=False, timeout=30)
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            # History may lose its last rows on power loss; a chat need not wait for an fsync.
            self.sqlite.execute("PRAGMA synchronous=NORMAL")

    @property
    def is_postgres(self) -> bool:
        return self.pool is not None

    def create(self, schema: str) -> None:
        """Create the tables in a SQLite file (PostgreSQL's come from the migrations)."""
        if self.sqlite is not None:
            self.sqlite.executescript(schema)

    def rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """The statement's rows."""
        with self._cursor() as execute:
            return list(execute(sql, args).fetchall())

    def run(self, sql: str, args: tuple[Any, ...] = ()) -> int:
        """Run a statement; how many rows it changed."""
        with self._cursor() as execute:
            return int(execute(sql, args).rowcount)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Statements inside run as one transaction (on one connection)."""
        with self.lock:
            if self.sqlite is not None:
                with self.sqlite:
                    self.sqlite.execute("BEGIN")
                    yield
                return
            assert self.pool is not None
            with connection(self.pool) as conn, conn.transaction():
                self._conn = conn
                try:
                    yield
                finally:
                    self._conn = None

    @contextlib.contextmanager
    def _cursor(self) -> Iterator[Any]:
        with self.lock:
            if self.sqlite is not None:
                yield self.sqlite.execute
            elif self._conn is not None:
                yield lambda sql, args: self._conn.execute(sql.replace("?", "%s"), args)
            else:
                assert self.pool is not None
                with connection(self.pool) as conn:
                    yield lambda sql, args: conn.execute(sql.replace("?", "%s"), args)

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
