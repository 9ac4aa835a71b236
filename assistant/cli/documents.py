"""`assistant ingest | stats | serve | remove | show`: the index and its documents."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..config import Settings
from ..service import Assistant
from ..storage import index_location
from .base import command, emit


@command("ingest")
def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    report = Assistant(settings).ingest(args.paths, prune=args.prune)
    summary = (f"Index {index_location(settings)}: {len(report.added)} added, {len(report.updated)} "
               f"updated, {len(report.unchanged)} unchanged, {len(report.failed)} failed")
    lines = [summary + (f", {len(report.removed)} removed" if report.removed else "")]
    rate = report.as_json()["chunks_per_second"]
    reused = (f", {report.chunks_reused} taken back from a stopped run"
              if report.chunks_reused else "")
    repeated = (f" {report.chunks_repeated} more repeat a chunk embedded earlier in this run."
                if report.chunks_repeated else "")
    lines.append(f"Embedded {report.chunks_embedded} chunks{reused} from "
                 f"{report.files_total} files in {report.seconds:.1f} s ({rate} chunks/s)."
                 + repeated)
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
    assistant = Assistant(settings)
    try:
        stats = assistant.stats()
    finally:
        assistant.close()
    text = "\n".join(f"{key}: {value}" for key, value in stats.items())
    emit(args, stats, text)
    return 0


@command("serve")
def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import ipaddress
    import os

    import uvicorn

    from ..server import create_app

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
    removed, missing = Assistant(settings).remove(args.doc_ids)
    text = "\n".join([f"removed {d}" for d in removed] + [f"not found: {d}" for d in missing])
    emit(args, {"removed": removed, "not_found": missing}, text)
    return 1 if missing else 0


@command("show")
def _show(args: argparse.Namespace, settings: Settings) -> int:
    assistant = Assistant(settings)
    try:
        document = assistant.document(args.doc_id)
        chunks = assistant.chunks(args.doc_id)
    finally:
        assistant.close()
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

