"""What a format loader returns: text and what the format itself says about it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Parsed:
    """A loader's output, before sidecar metadata and ids are applied."""

    text: str
    format: str
    page_starts: list[int] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    doc_id: str | None = None
