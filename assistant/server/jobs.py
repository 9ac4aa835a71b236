"""Background ingestion of uploads: one worker, jobs in order, per-file results."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import queue
import re
import threading
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AssistantError, Busy
from ..records import SIDECAR_SUFFIX as SIDECAR
from ..records import IngestReport
from ..service import Assistant
from ..storage import now, state_db

log = logging.getLogger("assistant.server.jobs")
UPLOADS = "uploads"
JOBS_FILE = "jobs.sqlite"
RETRY_AFTER_SECONDS = 30


@dataclass
class Job:
    """An upload's progress: queued, running, then done (per-file outcomes) or failed."""

    job_id: str
    files: list[dict[str, Any]]
    status: str = "queued"
    error: str | None = None
    paths: list[Path] = field(default_factory=list)
    may_change_restricted: bool = False
    # sidecars as they were before this job, for files the index already held
    previous_sidecars: dict[Path, str | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "status": self.status, "files": self.files,
                "error": self.error}


def safe_name(name: str | None) -> str:
    """A file name that cannot escape a folder or hide characters: base name, no controls."""
    base = re.split(r"[\\\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    return base[:120] or "upload"


class JobQueue:
    """Stores uploads by content and ingests them one job at a time in a worker thread.
    Each job's state is also recorded (in the database every server shares, when there is
    one), so any server can report a job, and a restart does not forget finished ones."""

    def __init__(self, assistant: Assistant, size: int = 16):
        self.assistant = assistant
        self.settings = assistant.settings
        self.jobs: dict[str, Job] = {}
        self.records = state_db(self.settings, JOBS_FILE)
        self.records.create("""
            CREATE TABLE IF NOT EXISTS jobs (
                job_id TEXT PRIMARY KEY, status TEXT NOT NULL, files TEXT NOT NULL,
                error TEXT, updated_at TEXT NOT NULL);
        """)
        self._queue: queue.Queue[Job] = queue.Queue(maxsize=size)
        # The uploads folder is written by requests and tidied by the worker, one at a time:
        # a failed file is not removed while a job queued after it needs the same one (the
        # same bytes under the same name, sent again before the first job ran), and is
        # removed, not kept, when no job has ever ingested it (`_unheld`).
        self._files = threading.Lock()
        self._needed: Counter[Path] = Counter()
        self._unheld: set[Path] = set()
        self._worker = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
        self._worker.start()

    def target(self, original: str | None, data: bytes) -> Path:
        """Where an upload is kept: a folder named by its content hash, its safe name."""
        digest = hashlib.sha256(data).hexdigest()[:16]
        return self.settings.index / UPLOADS / digest / safe_name(original)

    def submit(self, uploads: list[tuple[str, bytes]], meta: dict[str, Any],
               may_change_restricted: bool = False) -> Job:
        """Save each upload under a folder named by its content hash, then queue the job;
        Busy (nothing saved) when the queue is full."""
        if self._queue.full():
            raise Busy(f"{self._queue.maxsize} uploads are waiting to be ingested already; "
                       "send this one again shortly", RETRY_AFTER_SECONDS)
        job = Job(uuid.uuid4().hex, [], may_change_restricted=may_change_restricted)
        with self._files:
            for original, data in uploads:
                self._save(job, self.target(original, data), data, meta)
            self._needed.update(set(job.paths))
        self.jobs[job.job_id] = job
        self._queue.put_nowait(job)
        self._record(job)
        return job

    def _save(self, job: Job, path: Path, data: bytes, meta: dict[str, Any]) -> None:
        """Keep one upload and its sidecar of metadata (under self._files)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        sidecar_path = path.with_name(path.name + SIDECAR)
        if path in job.paths:
            pass  # the same file twice in one upload
        elif path.exists():  # same bytes, same name: the index may hold it already
            job.previous_sidecars[path] = (
                sidecar_path.read_text() if sidecar_path.exists() else None)
        else:
            path.write_bytes(data)
            self._unheld.add(path)
        sidecar = {k: v for k, v in meta.items() if v is not None}
        sidecar.setdefault("title", path.stem)
        sidecar_path.write_text(json.dumps(sidecar))
        job.paths.append(path)
        job.files.append({"filename": path.name, "status": "pending"})

    def status(self, job_id: str) -> dict[str, Any] | None:
        """A job's id, status, files and error; None when no server knows it."""
        job = self.jobs.get(job_id)
        if job is not None:
            return job.as_json()
        rows = self.records.rows("SELECT status, files, error FROM jobs WHERE job_id = ?",
                                 (job_id,))
        if not rows:
            return None
        status, files, error = rows[0]
        return {"job_id": job_id, "status": status,
                "files": files if isinstance(files, list) else json.loads(files), "error": error}

    def _record(self, job: Job) -> None:
        files = json.dumps(job.files)
        self.records.run(
            "INSERT INTO jobs (job_id, status, files, error, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (job_id) DO UPDATE SET status = excluded.status, files = excluded.files, "
            "error = excluded.error, updated_at = excluded.updated_at",
            (job.job_id, job.status, files, job.error, now(precise=True)))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                self._process(job)
            except Exception:  # the worker must outlive any one job, whatever goes wrong
                log.exception("upload job %s failed", job.job_id)
                job.status, job.error = "failed", "ingestion failed; the server log has details"
            with self._files:
                self._needed -= Counter(set(job.paths))  # drops the paths no job needs
            with contextlib.suppress(Exception):  # a lost record must not stop the worker
                self._record(job)

    def _process(self, job: Job) -> None:
        job.status = "running"
        self._record(job)
        try:
            report = self.assistant.ingest(job.paths,
                                           may_change_restricted=job.may_change_restricted)
        except Exception as exc:  # one bad job fails alone
            reason = str(exc) if isinstance(exc, AssistantError) else (
                f"ingestion failed: {type(exc).__name__}")
            self._fail(job, reason)
            return
        for entry, path in zip(job.files, job.paths, strict=True):
            entry.update(_outcome(report, path))
            if entry["status"] == "failed":
                self._discard(job, path)
            else:
                with self._files:
                    self._unheld.discard(path)
        job.status = "done"

    def _fail(self, job: Job, reason: str) -> None:
        """The whole job failed: every file says so, and none is kept."""
        job.status, job.error = "failed", reason
        for entry, path in zip(job.files, job.paths, strict=True):
            entry.update(status="failed", doc_id=None, reason=reason)
            self._discard(job, path)

    def _discard(self, job: Job, path: Path) -> None:
        """Undo a failed file's upload, unless a job queued since needs the same file."""
        with self._files:
            if self._needed[path] <= 1:
                _discard(job, path, held=path not in self._unheld)
                self._unheld.discard(path)


def _outcome(report: IngestReport, path: Path) -> dict[str, Any]:
    """One uploaded file's outcome; a JSONL file's records are summed up in one entry."""
    mine = [(status, r) for status, results in (
        ("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged),
        ("failed", report.failed)) for r in results
        if r.path == str(path) or r.path.startswith((f"{path}#", f"{path}:"))]
    if not mine:
        return {"status": "failed", "doc_id": None, "reason": "not processed"}
    landed = [(status, r) for status, r in mine if status != "failed"]
    status, first = landed[0] if landed else mine[0]
    reasons = [r.reason for s, r in mine if s == "failed" and r.reason]
    return {"status": status, "doc_id": first.doc_id, "reason": "; ".join(reasons)[:2000] or None}


def _discard(job: Job, path: Path, held: bool) -> None:
    """Undo a failed file's upload: a file no job ingested goes with its sidecar (and its
    folder if empty); a file the index holds keeps its file and gets its old sidecar back."""
    sidecar = path.with_name(path.name + SIDECAR)
    try:
        if held:
            previous = job.previous_sidecars.get(path)
            if previous is None:
                sidecar.unlink(missing_ok=True)
            elif path.exists():
                sidecar.write_text(previous)
            return
        path.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()
    except OSError as exc:
        log.warning("could not tidy up upload %s: %s", path, exc)
