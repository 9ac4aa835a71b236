"""The `assistant` command: a thin layer over the package's public functions.

Exit status: 0 success; 1 some inputs failed and the rest landed; 2 the command could not run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .config import Settings, get_settings
from .errors import AssistantError

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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_for(args)
        return _COMMANDS[args.command](args, settings)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `assistant ask … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; the index is unchanged by the unfinished command", file=sys.stderr)
        return 130


def emit(args: argparse.Namespace, data: Any, text: str) -> None:
    """Print JSON when --json was given, else the readable text."""
    print(json.dumps(data, indent=2, ensure_ascii=False) if args.json else text)


@command("ingest")
def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest import ingest

    report = ingest(args.paths, settings, prune=args.prune)
    summary = (f"Index {settings.index}: {len(report.added)} added, {len(report.updated)} "
               f"updated, {len(report.unchanged)} unchanged, {len(report.failed)} failed")
    lines = [summary + (f", {len(report.removed)} removed" if report.removed else "")]
    lines.append(f"Embedded {report.chunks_embedded} chunks.")
    for item in report.added + report.updated:
        for warning in item.warnings:
            lines.append(f"  warning: {item.path}: {warning}")
    if report.failed:
        lines.append("Failed (skipped; everything else landed):")
        lines.extend(f"  {item.path}: {item.reason}" for item in report.failed)
    emit(args, report.as_json(), "\n".join(lines))
    return 1 if report.failed else 0


@command("stats")
def _stats(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest import open_index

    index = open_index(settings)
    stats = index.stats()
    index.close()
    text = "\n".join(f"{key}: {value}" for key, value in stats.items())
    emit(args, stats, text)
    return 0


@command("serve")
def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import ipaddress
    import os

    import uvicorn

    from .server import create_app

    keyed = bool(os.environ.get("ASSISTANT_API_KEYS") or os.environ.get("ASSISTANT_API_KEYS_FILE"))
    loopback = args.host == "localhost" or _is_loopback(args.host, ipaddress)
    if not keyed and not loopback:
        print(f"error: refusing to serve on {args.host} without API keys: anyone who can reach "
              "it could read every document. Set ASSISTANT_API_KEYS (e.g. "
              "'k1=read,k2=read+write') or bind to 127.0.0.1.", file=sys.stderr)
        return 2
    if not keyed:
        print(f"No API keys configured: serving on {args.host} only, with full access for "
              "local callers. Set ASSISTANT_API_KEYS to require keys.", file=sys.stderr)
    app = create_app(settings)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0


def _is_loopback(host: str, ipaddress: Any) -> bool:
    try:
        return bool(ipaddress.ip_address(host).is_loopback)
    except ValueError:
        return False


@command("remove")
def _remove(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest import remove

    removed, missing = remove(args.doc_ids, settings)
    text = "\n".join([f"removed {d}" for d in removed] + [f"not found: {d}" for d in missing])
    emit(args, {"removed": removed, "not_found": missing}, text)
    return 1 if missing else 0


@command("show")
def _show(args: argparse.Namespace, settings: Settings) -> int:
    from .ingest import open_index

    index = open_index(settings)
    try:
        document = index.document(args.doc_id)
        chunks = index.chunks_of(args.doc_id)
    finally:
        index.close()
    data: dict[str, Any] = {"doc_id": document.doc_id, "source": document.source,
                            "format": document.format, **document.metadata(),
                            "extra": document.extra, "pages": len(document.page_starts) or None,
                            "characters": len(document.text)}
    if not args.no_text:
        data["text"] = document.text
    data["chunks"] = [{"ordinal": c.ordinal, "id": c.id, "start": c.start, "end": c.end,
                       "page_start": c.page_start, "page_end": c.page_end,
                       "section": c.section, "text": c.text} for c in chunks]
    header = "\n".join(f"{k}: {v}" for k, v in data.items() if k not in ("text", "chunks"))
    body = [header]
    if not args.no_text:
        body += ["", "--- stored text ---", document.text]
    body += ["", f"--- {len(chunks)} chunks ---"]
    for c in chunks:
        pages = f" p.{c.page_start}" + (f"-{c.page_end}" if c.page_end != c.page_start else "") \
            if c.page_start else ""
        body.append(f"[{c.ordinal}] {c.start}:{c.end}{pages} {c.section or ''}\n    "
                    + c.text[:300].replace("\n", " ") + ("…" if len(c.text) > 300 else ""))
    emit(args, data, "\n".join(body))
    return 0


from . import cli_query  # noqa: E402,F401  (registers ask, search, chat, eval)
