"""Typed records that travel between the pipeline's stages."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

DOC_TYPES = ("minutes", "decision", "report", "news", "other")
# A document's metadata may sit beside it in NAME.meta.json (uploads keep theirs so too).
SIDECAR_SUFFIX = ".meta.json"
# Who owns conversations asked at the command line (or by anyone, when no keys are set).
LOCAL_OWNER = "local"

# Metadata fields every document carries (None when unknown).
META_FIELDS = (
    "title",
    "doc_type",
    "committee",
    "meeting_date",
    "publication_date",
    "decision_status",
    "url",
    "restricted",
)


@dataclass
class Document:
    """A document's stored text, its metadata and where it came from."""

    doc_id: str
    text: str
    source: str
    title: str | None = None
    doc_type: str = "other"
    committee: str | None = None
    meeting_date: str | None = None
    publication_date: str | None = None
    decision_status: str | None = None
    url: str | None = None
    restricted: bool = False
    format: str = "text"
    page_starts: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    content_hash: str = ""

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding the character at offset, or None for paged-less text."""
        if not self.page_starts:
            return None
        return bisect.bisect_right(self.page_starts, offset)

    def named(self) -> str:
        """The title with the publisher, when the document names one ("Bristol City
        Council" for a page of its site that never says so): what search reads as the
        document's title."""
        publisher = str(self.extra.get("publisher") or "")
        title = self.title or ""
        return f"{title} ({publisher})" if publisher and publisher not in title else title

    def metadata(self) -> dict[str, Any]:
        """The metadata fields as a plain mapping."""
        return {name: getattr(self, name) for name in META_FIELDS}


@dataclass
class Chunk:
    """A passage of a document: text[start:end], with its place in the document."""

    doc_id: str
    ordinal: int
    start: int
    end: int
    text: str
    section: str | None = None
    page_start: int | None = None
    page_end: int | None = None
    id: int | None = None


@dataclass
class FileResult:
    """What happened to one input file (or one JSONL record) during ingestion."""

    path: str
    doc_id: str | None = None
    reason: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """The summary an ingest ends with."""

    added: list[FileResult] = field(default_factory=list)
    updated: list[FileResult] = field(default_factory=list)
    unchanged: list[FileResult] = field(default_factory=list)
    failed: list[FileResult] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    chunks_reused: int = 0  # embedded by an earlier run that was stopped before committing
    chunks_repeated: int = 0  # the text of a chunk this run had embedded already
    files_total: int = 0
    seconds: float = 0.0
    parse_wait_seconds: float = 0.0  # of `seconds`, spent waiting for files to be parsed

    def as_json(self) -> dict[str, Any]:
        """The machine-readable form printed by `assistant ingest --json`."""

        def landed(items: list[FileResult]) -> list[dict[str, Any]]:
            return [
                {"path": r.path, "doc_id": r.doc_id, **({"warnings": r.warnings} if r.warnings else {})}
                for r in items
            ]

        return {
            "added": landed(self.added),
            "updated": landed(self.updated),
            "unchanged": landed(self.unchanged),
            "failed": [{"path": r.path, "reason": r.reason} for r in self.failed],
            "removed": list(self.removed),
            "chunks_embedded": self.chunks_embedded,
            "chunks_reused": self.chunks_reused,
            "chunks_repeated": self.chunks_repeated,
            "files_total": self.files_total,
            "seconds": round(self.seconds, 2),
            "parse_wait_seconds": round(self.parse_wait_seconds, 2),
            "chunks_per_second": round(self.chunks_embedded / self.seconds, 1)
            if self.seconds else 0.0,
        }


@dataclass
class Filters:
    """Which documents a search, a listing or the facets may use; None leaves a field open."""

    committee: str | None = None
    doc_types: list[str] | None = None
    date_from: str | None = None
    date_to: str | None = None
    doc_ids: list[str] | None = None
    include_restricted: bool = False

    def is_open(self) -> bool:
        """True when nothing but the restricted rule narrows the documents."""
        return not (self.committee or self.doc_types or self.date_from or self.date_to
                    or self.doc_ids)
