"""The index's self-description: format, model, chunking, counts."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import IndexMismatch

FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass
class Manifest:
    """What an index was built with; checked every time it is opened."""

    model: str
    dimension: int
    chunking: dict[str, Any]
    format_version: int = FORMAT_VERSION
    vector_index: str = "flat"
    documents: int = 0
    chunks: int = 0
    generation: int = 0
    created_at: str = field(default_factory=lambda: _now())
    updated_at: str = field(default_factory=lambda: _now())

    def check(self, directory: Path | str, model: str, dimension: int,
              rebuild: str | None = None) -> None:
        """Raise IndexMismatch, saying how to rebuild, when this index cannot be used as is."""
        rebuild = rebuild or (
            f"Rebuild it: move {directory} aside (or pass another --index) and run "
            f"`assistant ingest corpus/ --index {directory}`."
        )
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatch(
                f"index at {directory} has format version {self.format_version}; this version of "
                f"the assistant reads version {FORMAT_VERSION}. {rebuild}"
            )
        if self.model != model or self.dimension != dimension:
            built_model, _, built_backend = self.model.partition("+")
            use = (f"ASSISTANT_MODEL={built_model} ASSISTANT_EMBEDDING_BACKEND="
                   f"{built_backend or 'torch'}")
            raise IndexMismatch(
                f"index at {directory} was built with model {self.model} ({self.dimension} "
                f"dimensions) but the assistant is configured for {model} ({dimension} "
                f"dimensions); queries would be compared against the wrong vectors. {rebuild} "
                f"Or set {use} to use it as built."
            )


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest in directory, or None when there is none."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(**data)
    except (json.JSONDecodeError, TypeError) as exc:
        raise IndexMismatch(
            f"{path} is unreadable ({exc}); the index is damaged. Rebuild it with "
            f"`assistant ingest corpus/ --index {directory}` into an empty folder."
        ) from exc


def write_manifest(directory: Path, manifest: Manifest) -> None:
    """Replace the manifest atomically."""
    manifest.updated_at = _now()
    path = directory / MANIFEST
    tmp = path.with_name(MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(asdict(manifest), handle, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
