"""Tell a file's real kind from its bytes, not its name, and decode text safely."""

from __future__ import annotations

import codecs
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
    wide = bom_encoding(data)
    if wide:  # UTF-16/32 text is full of NULs: read its head as text, not as binary
        head = data[:4096].decode(wide, errors="ignore").encode("utf-8")
        data = head
    elif looks_binary(data):
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


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark names (UTF-32 or UTF-16), else None."""
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def decode_text(data: bytes) -> tuple[str, list[str]]:
    """Decode text bytes: by byte-order mark (UTF-16/32), else UTF-8, else Windows-1252 with a
    warning; anything else fails with the reason and what to do."""
    wide = bom_encoding(data)
    if wide:
        try:
            return data.decode(wide), []
        except UnicodeDecodeError as exc:
            raise UnsupportedDocument(f"marked as {wide.upper()} but not valid {wide.upper()} "
                                      f"(byte {exc.start}); re-save it as UTF-8") from exc
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        where = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise UnsupportedDocument(
            f"text in an unknown encoding: not UTF-8 (byte {where}), UTF-16 or Windows-1252 "
            f"(byte 0x{data[exc.start]:02x} at {exc.start}); re-save it as UTF-8") from exc
    return text, [f"not valid UTF-8 (byte {where}); decoded as Windows-1252"]


def normalise_newlines(text: str) -> str:
    """Unify line endings; every other character is kept so offsets match the file."""
    return text.replace("\r\n", "\n").replace("\r", "\n")
