"""What every sub-command shares: the registry, the common options, settings and output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import Settings, get_settings

Handler = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    """Register a sub-command handler."""

    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = handler
        return handler

    return register


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant",
        description="Ask questions of council minutes, decisions and inspection reports.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", type=Path, help="index folder (default: $ASSISTANT_INDEX or index/)")
    common.add_argument("--json", action="store_true", help="print JSON for scripts")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", parents=[common], help="add or update documents in the index")
    p.add_argument("paths", nargs="+", type=Path, help="files, folders (recursive) or JSONL")
    p.add_argument("--prune", action="store_true", help="drop documents whose files are gone")
    p.add_argument("--pdf-password", help="password for encrypted PDFs")
    p.add_argument("--max-file-mb", type=float, help="skip files larger than this")
    p.add_argument("--batch-size", type=int, help="embedding batch size")
    p.add_argument("--threads", type=int, help="threads for embedding (0: all cores)")
    sub.add_parser("stats", parents=[common], help="counts and build settings of the index")
    p = sub.add_parser("serve", parents=[common], help="run the HTTP API (and web page)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000)
    p = sub.add_parser("remove", parents=[common], help="delete documents by id")
    p.add_argument("doc_ids", nargs="+")
    p = sub.add_parser("show", parents=[common], help="a document's metadata, text and chunks")
    p.add_argument("doc_id")
    p.add_argument("--no-text", action="store_true", help="leave out the stored text")
    for extend in _EXTENSIONS:
        extend(sub, common)
    return parser


_EXTENSIONS: list[Callable[[Any, argparse.ArgumentParser], None]] = []


def settings_for(args: argparse.Namespace) -> Settings:
    """The environment's settings with this call's options laid over them."""
    overrides: dict[str, Any] = {}
    for option, field in (("index", "index"), ("pdf_password", "pdf_password"),
                          ("max_file_mb", "max_file_mb"), ("batch_size", "batch_size"),
                          ("threads", "threads")):
        value = getattr(args, option, None)
        if value is not None:
            overrides[field] = value
    base = get_settings()
    return base.model_copy(update=overrides) if overrides else base


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print JSON when --json was given, else the readable text."""
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)


