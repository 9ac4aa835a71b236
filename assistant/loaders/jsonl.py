"""JSONL bulk import: one {"doc_id", "title", "text", "meta"} object a line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..errors import UnsupportedDocument
from .parsed import Parsed


def load_jsonl(text: str) -> Iterator[tuple[int, Parsed | UnsupportedDocument]]:
    """Yield (line number, record or the error that line has); the text is kept exactly."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        yield number, _record(line)


def _record(line: str) -> Parsed | UnsupportedDocument:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return UnsupportedDocument(f"not valid JSON ({exc.msg} at column {exc.colno})")
    if not isinstance(record, dict):
        return UnsupportedDocument("each line must be a JSON object")
    text, doc_id = record.get("text"), record.get("doc_id")
    if not isinstance(text, str) or not text.strip():
        return UnsupportedDocument('missing or empty "text" field')
    if not isinstance(doc_id, str) or not doc_id.strip():
        return UnsupportedDocument('missing "doc_id" field (a non-empty string)')
    meta = record.get("meta") or {}
    if not isinstance(meta, dict):
        return UnsupportedDocument('"meta" must be a JSON object')
    meta = dict(meta)
    if record.get("title"):
        meta.setdefault("title", record["title"])
    return Parsed(text=text, format="jsonl", meta=meta, doc_id=doc_id.strip())
