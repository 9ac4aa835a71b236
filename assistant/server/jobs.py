"""Background ingestion of uploads: one worker, jobs in order, per-file results."""

from __future__ import annotations

import hashlib
import json
import queue
import re
import threading
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import AssistantError
from ..ingest import ingest

UPLOADS = "uploads"


@dataclass
class Job:
    """An upload's progress: queued, running, then done (per-file outcomes) or failed."""

    job_id: str
    files: list[dict[str, Any]]
    status: str = "queued"
    error: str | None = None
    paths: list[Path] = field(default_factory=list)


def safe_name(name: str | None) -> str:
    """A file name that cannot escape a folder or hide characters: base name, no controls."""
    base = re.split(r"[\\\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    return base[:120] or "upload"


class JobQueue:
    """Stores uploads by content and ingests them one job at a time in a worker thread."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs: dict[str, Job] = {}
        self._queue: queue.Queue[Job] = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
        self._worker.start()

    def submit(self, uploads: list[tuple[str, bytes]], meta: dict[str, Any]) -> Job:
        """Save each upload under a folder named by its content hash, then queue the job."""
        job = Job(uuid.uuid4().hex, [])
        for original, data in uploads:
            name = safe_name(original)
            digest = hashlib.sha256(data).hexdigest()[:16]
            folder = self.settings.index / UPLOADS / digest
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_bytes(data)
            sidecar = {k: v for k, v in meta.items() if v is not None}
            sidecar.setdefault("title", Path(name).stem)
            (folder / f"{name}.meta.json").write_text(json.dumps(sidecar))
            job.paths.append(path)
            job.files.append({"filename": name, "status": "pending"})
        self.jobs[job.job_id] = job
        self._queue.put(job)
        return job

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            job.status = "running"
            try:
                report = ingest(job.paths, self.settings.model_copy(update={"progress": False}))
            except AssistantError as exc:
                job.status, job.error = "failed", str(exc)
                continue
            except Exception as exc:  # the worker must outlive any one bad job
                job.status, job.error = "failed", f"ingestion failed: {type(exc).__name__}"
                continue
            outcomes = {r.path: ("added", r) for r in report.added}
            outcomes.update({r.path: ("updated", r) for r in report.updated})
            outcomes.update({r.path: ("unchanged", r) for r in report.unchanged})
            outcomes.update({r.path: ("failed", r) for r in report.failed})
            for entry, path in zip(job.files, job.paths, strict=True):
                status, result = outcomes.get(str(path), ("failed", None))
                entry.update(status=status, doc_id=result.doc_id if result else None,
                             reason=result.reason if result else "not processed")
                if status == "failed" and result is not None:
                    path.unlink(missing_ok=True)  # keep no file the index does not hold
            job.status = "done"
