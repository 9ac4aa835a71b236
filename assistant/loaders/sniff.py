"""Tell a file's real kind from its bytes, not its name, and decode text safely."""

from __future__ import annotations

import io
import zipfile

from ..errors import UnsupportedDocument

SUPPORTED = "PDF, DOCX, HTML, XML, plain text, Markdown and JSONL"


def sniff(data: bytes, suffix: str) -> str:
    """Return one of pdf, docx, html, jsonl, markdown, text; raise for anything else."""
    head = data[:2048]
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedDocument(
            "legacy Microsoft Office file (.doc/.xls); save it as DOCX or PDF and ingest that"
        )
    if looks_binary(data):
        raise UnsupportedDocument(f"unrecognised binary content; supported formats are {SUPPORTED}")
    lowered = head.lstrip().lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower():
        return "html"
    if suffix in (".html", ".htm") or b"<body" in data[:4096].lower():
        return "html"
    if lowered.startswith(b"<?xml") or suffix == ".xml":
        return "xml"
    if suffix in (".md", ".markdown"):
        return "markdown"
    return "text"


def _zip_kind(data: bytes) -> str:
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile as exc:
        raise UnsupportedDocument(f"damaged ZIP container ({exc}); re-save the file") from exc
    if "word/document.xml" in names:
        return "docx"
    raise UnsupportedDocument(
        f"ZIP archive that is not a Word document; unpack it and ingest the files ({SUPPORTED})"
    )


def looks_binary(data: bytes) -> bool:
    """True when the bytes are not text: NULs, or many control characters."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    if not sample:
        return False
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls / len(sample) > 0.05


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """Decode text bytes: UTF-8 first, then Windows-1252; report a fallback as a warning."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        where = exc.start
    try:
        text = data.decode("cp1252")
        return text, [f"not valid UTF-8 (byte {where}); decoded as Windows-1252"]
    except UnicodeDecodeError:
        return data.decode("latin-1"), [f"not valid UTF-8 (byte {where}); decoded as Latin-1"]


def normalise_newlines(text: str) -> str:
    """Unify line endings; every other character is kept so offsets match the file."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
