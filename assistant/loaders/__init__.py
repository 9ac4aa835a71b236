"""Bytes → text + metadata. Each input file yields one document, or many for JSONL."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AssistantError, DocumentTooLarge, DocumentUnreadable, UnsupportedDocument
from ..records import DOC_TYPES, META_FIELDS, SIDECAR_SUFFIX
from . import metadata
from .parsed import Parsed
from .sniff import decode_text, normalise_newlines, sniff

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)---[ \t]*\n", re.S)
_TRUE = {True, "true", "yes", "1"}


@dataclass
class Loaded:
    """One document's text and resolved metadata, or the reason it could not be had."""

    key: str
    parsed: Parsed | None = None
    error: str | None = None


def is_sidecar(path: Path) -> bool:
    """Sidecar metadata files travel with documents and are never documents themselves."""
    return path.name.endswith(SIDECAR_SUFFIX)


def load_path(path: Path, max_bytes: int, pdf_password: str | None = None,
              ocr: bool = True) -> Iterator[Loaded]:
    """Load one file; every failure becomes a Loaded with an error, never an exception."""
    key = str(path)
    try:
        data = _read(path, max_bytes)
        kind = sniff(data, path.suffix.lower())
        sidecar = _sidecar(path)
    except (AssistantError, OSError) as exc:
        yield Loaded(key, error=_reason(exc))
        return
    if kind == "jsonl":
        yield from _load_jsonl(path, data, sidecar)
        return
    try:
        parsed = parse_bytes(data, kind, pdf_password, ocr)
    except AssistantError as exc:
        yield Loaded(key, error=str(exc))
        return
    except Exception as exc:  # a parser's own failure is this file's failure, never the batch's
        yield Loaded(key, error=unreadable_reason(kind, exc))
        return
    if path.suffix.lower() == ".pdf" and kind != "pdf":
        parsed.warnings.append(f"named .pdf but holds {kind}; ingested as {kind}")
    parsed.meta = resolve_meta(parsed, sidecar)
    yield Loaded(key, parsed=parsed)


def parse_bytes(data: bytes, kind: str, pdf_password: str | None = None,
                ocr: bool = True) -> Parsed:
    """Parse already-sniffed bytes of one document (PDF pages without usable text by OCR,
    unless `ocr` is off)."""
    if kind == "pdf":
        from .pdf import load_pdf

        return load_pdf(data, pdf_password, ocr)
    if kind == "docx":
        from .docx import load_docx

        parsed = load_docx(data)
    elif kind == "xml":
        from .xml import load_xml

        parsed = load_xml(data)
    else:
        text, warnings = decode_text(data)
        if kind == "html":
            from .html import load_html

            parsed = load_html(text)
        else:
            parsed = front_matter(Parsed(text=normalise_newlines(text), format=kind))
        parsed.warnings.extend(warnings)
    if not parsed.text.strip():
        raise DocumentUnreadable("no text in the file (it is blank or whitespace only)")
    return parsed


def unreadable_reason(kind: str, exc: BaseException) -> str:
    """Why a parser gave up on a file, in words a person can act on."""
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    return (f"the {kind.upper()} file is damaged and could not be read ({type(exc).__name__}: "
            f"{detail}); open and re-save it, or remove it from the batch")


def _read(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentTooLarge(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit; split it or "
            "raise ASSISTANT_MAX_FILE_MB"
        )
    if not path.is_file():
        raise UnsupportedDocument("not a regular file")
    if size == 0:
        raise DocumentUnreadable("file is empty (0 bytes)")
    return path.read_bytes()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "no such file (or a broken link); check the path"
    if isinstance(exc, PermissionError):
        return "permission denied; make the file readable by this user and try again"
    if isinstance(exc, IsADirectoryError):
        return "is a directory"
    if isinstance(exc, OSError):
        return f"cannot read the file ({os.strerror(exc.errno) if exc.errno else exc})"
    return str(exc)


def _sidecar(path: Path) -> dict[str, Any]:
    for candidate in (path.with_name(path.name + SIDECAR_SUFFIX), path.with_suffix(SIDECAR_SUFFIX)):
        if candidate.is_file():
            try:
                found = json.loads(candidate.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise UnsupportedDocument(
                    f"sidecar {candidate.name} is not valid JSON ({exc}); fix or remove it"
                ) from exc
            if not isinstance(found, dict):
                raise UnsupportedDocument(f"sidecar {candidate.name} must hold a JSON object")
            return found
    return {}


def _load_jsonl(path: Path, data: bytes, sidecar: dict[str, Any]) -> Iterator[Loaded]:
    from .jsonl import load_jsonl

    try:
        text, _ = decode_text(data)
    except AssistantError as exc:
        yield Loaded(str(path), error=str(exc))
        return
    seen: set[str] = set()
    for number, record in load_jsonl(text):
        if isinstance(record, AssistantError):
            yield Loaded(f"{path}:{number}", error=f"line {number}: {record}")
            continue
        key = f"{path}#{record.doc_id}"
        if record.doc_id in seen:
            yield Loaded(key, error=f"line {number}: duplicate doc_id {record.doc_id!r}")
            continue
        seen.add(record.doc_id or "")
        record.meta = resolve_meta(record, sidecar)
        yield Loaded(key, parsed=record)


def front_matter(parsed: Parsed) -> Parsed:
    """Markdown/YAML front matter (`---` … `---` at the top) is metadata, not text: its title
    and date are taken (the date as the publication date) and the block is cut off."""
    match = _FRONT_MATTER.match(parsed.text)
    if not match:
        return parsed
    for line in match.group(1).splitlines():
        key, sep, value = line.partition(":")
        value = value.strip().strip("\"'").strip()
        if sep and value and key.strip() == "title":
            parsed.meta["title"] = value
        elif sep and value and key.strip() in ("date", "published"):
            parsed.meta["publication_date"] = value
    parsed.text = parsed.text[match.end():].lstrip("\n")
    return parsed


def resolve_meta(parsed: Parsed, override: dict[str, Any]) -> dict[str, Any]:
    """Merge, lowest first: what the text says, what the format says (unless it is a
    placeholder, such as a template's or a report writer's), the given metadata."""
    found = metadata.extract(parsed.text)
    if metadata.is_placeholder_title(str(parsed.meta.get("title") or "")):
        parsed.meta.pop("title")
    merged: dict[str, Any] = {**found, **{k: v for k, v in parsed.meta.items() if v}}
    merged.update({k: v for k, v in override.items() if v is not None})
    for key in ("meeting_date", "publication_date"):
        if merged.get(key):
            iso = metadata.parse_date(str(merged[key]))
            if not iso:
                parsed.warnings.append(f"{key} {merged[key]!r} is not a date; ignored")
            merged[key] = iso
    doc_type = str(merged.get("doc_type") or "other").lower()
    if doc_type not in DOC_TYPES:
        parsed.warnings.append(f"doc_type {doc_type!r} unknown (use one of {', '.join(DOC_TYPES)})")
        doc_type = "other"
    merged["doc_type"] = doc_type
    merged["restricted"] = merged.get("restricted") in _TRUE
    return merged


__all__ = ["Loaded", "META_FIELDS", "is_sidecar", "load_path", "parse_bytes", "resolve_meta",
           "unreadable_reason"]
