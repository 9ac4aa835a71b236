"""The ingestion pipeline: files → documents → chunks → vectors → one committed generation."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chunking import chunk_text
from .config import Settings, get_settings
from .embedding import HASHING_MODEL, INT8, Embedder, HashingEmbedder, TextEncoder, gpu_available
from .errors import RESTRICTED_WRITE, AssistantError
from .loaders import Loaded, is_sidecar
from .parsing import ParseClock, ParseOptions, load_files, parse_workers
from .progress import IngestProgress, show_progress
from .records import Chunk, Document, FileResult, IngestReport
from .store import Index, Manifest, PgIndex, PgWriter, Store, Writer
from .store.manifest import read_manifest
from .store.pgcollection import read_pg_manifest
from .store.pgpool import pool_for
from .store.vector_cache import VectorCache

CHUNKER_VERSION = 1
IGNORE_FILE = ".assistantignore"
EMBED_GROUP = 2048  # chunks embedded together, so batches sort by length as in one big encode
CACHE_BATCH = 256  # chunks embedded and kept at a time: a kill loses at most this many
GPU_BATCH = 256  # the GPU is fed large batches (fp16, about 2,700 chunks/s on an H100)


@dataclass
class _Pending:
    result: FileResult
    document: Document
    source_key: str
    chunks: list[Chunk]
    is_update: bool


@lru_cache(maxsize=4)
def get_embedder(model: str, batch_size: int = 32, threads: int = 0, backend: str = "torch",
                 cache: Path | None = None) -> TextEncoder:
    """One embedder per configuration per process, so the model loads once."""
    if model == HASHING_MODEL:
        return HashingEmbedder()
    if backend == INT8:
        from .embedding_onnx import OnnxEmbedder

        return OnnxEmbedder(model, cache or Path(".cache"), batch_size, threads)
    if backend == "cuda":
        return Embedder(model, max(batch_size, GPU_BATCH), threads, device="cuda")
    return Embedder(model, batch_size, threads)


def embedder_for(settings: Settings) -> TextEncoder:
    """The configured embedder. `auto` keeps to what the index was built with (int8 vectors
    are not torch's), and for a new index picks the GPU when torch sees one, else onnx-int8."""
    return get_embedder(settings.model, settings.batch_size, settings.threads,
                        resolve_backend(settings), settings.cache)


def resolve_backend(settings: Settings) -> str:
    """The backend `settings.embedding_backend` means on this machine, for this index."""
    chosen = settings.embedding_backend
    if chosen != "auto":
        if chosen == "cuda" and not gpu_available():
            raise AssistantError("ASSISTANT_EMBEDDING_BACKEND=cuda but torch sees no GPU; "
                                 "use auto, torch or onnx-int8")
        return chosen
    built = built_manifest(settings)
    if built is not None and built.model.endswith(f"+{INT8}"):
        return INT8
    if gpu_available():
        return "cuda"
    return "torch" if built is not None else INT8


def chunking_settings(settings: Settings) -> dict[str, int]:
    """What the manifest records about chunking; a change re-chunks documents on re-ingest."""
    return {"max_tokens": settings.chunk_tokens, "overlap_sentences": settings.chunk_overlap,
            "chunker_version": CHUNKER_VERSION}


def open_index(settings: Settings | None = None, create: bool = False,
               embedder: TextEncoder | None = None) -> Store:
    """Open (or create) the configured index (files, or a collection in PostgreSQL when a
    database URL is set), checked against the embedder that will be used with it (by
    default the configured one)."""
    settings = settings or get_settings()
    embedder = embedder or embedder_for(settings)
    if settings.database_url:
        return PgIndex.open(settings.database_url, settings.collection, settings.index,
                            embedder.name, embedder.dimension, chunking_settings(settings),
                            create=create, pool_size=settings.database_pool,
                            timeout=settings.database_timeout)
    return Index.open(settings.index, embedder.name, embedder.dimension,
                      chunking_settings(settings), create=create, nprobe=settings.ivf_nprobe)


def built_manifest(settings: Settings) -> Manifest | None:
    """What the configured index was built with; None before it exists."""
    if not settings.database_url:
        return read_manifest(settings.index)
    pool = pool_for(settings.database_url, settings.database_pool, settings.database_timeout)
    return read_pg_manifest(pool, settings.collection)


def ingest(
    paths: Iterable[Path], settings: Settings | None = None, prune: bool = False,
    may_change_restricted: bool = True,
) -> IngestReport:
    """Ingest files and folders into the index; bad files are reported, never fatal.

    Without `may_change_restricted` (an API key lacking the restricted scope), a file that
    would add, change or replace a restricted document fails instead."""
    settings = settings or get_settings()
    embedder = embedder_for(settings)
    index = open_index(settings, create=True, embedder=embedder)
    report = IngestReport()
    started = time.perf_counter()
    cache = VectorCache(settings.index, embedder.name, embedder.dimension)
    try:
        with index.writer(settings.ann_threshold) as writer:
            _Run(index, writer, embedder, settings, report, may_change_restricted,
                 cache).run(list(paths), prune)
    except BaseException:
        cache.close()  # what was embedded is kept for the rerun
        raise
    else:
        cache.clear()
    finally:
        index.close()
        report.seconds = time.perf_counter() - started
    return report


def remove(doc_ids: Iterable[str], settings: Settings | None = None) -> tuple[list[str], list[str]]:
    """Delete documents by id; returns (removed, not found)."""
    index = open_index(settings)
    removed: list[str] = []
    missing: list[str] = []
    try:
        with index.writer((settings or get_settings()).ann_threshold) as writer:
            for doc_id in doc_ids:
                (removed if writer.remove(doc_id) else missing).append(doc_id)
    finally:
        index.close()
    return removed, missing


class _Run:
    """One ingest: walks the inputs, embeds in groups, writes through the writer."""

    def __init__(self, index: Store, writer: Writer | PgWriter, embedder: TextEncoder, settings: Settings,
                 report: IngestReport, may_change_restricted: bool, cache: VectorCache):
        self.index, self.writer, self.embedder, self.cache = index, writer, embedder, cache
        self.settings, self.report = settings, report
        # vectors pending when the run begins were left by a stopped run; any found later
        # are of a text this run embedded already (the same boilerplate in two reports)
        self.resuming = len(cache) > 0
        self.known = index.sources()
        self.taken_ids = {doc_id for doc_id, _ in self.known.values()}
        self.seen_keys: set[str] = set()
        self.pending: list[_Pending] = []
        self.fingerprint = json.dumps(chunking_settings(settings), sort_keys=True)
        self.may_change_restricted = may_change_restricted
        self.restricted_sources = set() if may_change_restricted else index.restricted_sources()

    def run(self, paths: list[Path], prune: bool) -> None:
        files = list(_expand(paths, self.report, self.index.directory))
        self.report.files_total = len(files)
        self.progress = IngestProgress(files, show_progress(self.settings.progress))
        options = ParseOptions(int(self.settings.max_file_mb * 1e6), self.settings.pdf_password,
                               self.settings.ocr)
        clock = ParseClock()
        try:
            for path, loaded in load_files(files, options,
                                           parse_workers(self.settings.parse_workers), clock,
                                           idle=self._flush):
                for one in loaded:
                    self._take(one)
                self.progress.file_done(path)
                if sum(len(p.chunks) for p in self.pending) >= EMBED_GROUP:
                    self._flush()
            self._flush()
        finally:
            self.progress.close()
            self.report.parse_wait_seconds = clock.waited
        if prune:
            self._prune(files)

    def _take(self, loaded: Loaded) -> None:
        if loaded.parsed is None:
            self.report.failed.append(FileResult(loaded.key, reason=loaded.error))
            return
        parsed = loaded.parsed
        source_key = _source_key(loaded.key)
        self.seen_keys.add(source_key)
        content_hash = _hash(parsed.text, parsed.meta, self.fingerprint)
        existing = self.known.get(source_key)
        result = FileResult(loaded.key, warnings=parsed.warnings)
        if existing and existing[1] == content_hash:
            result.doc_id = existing[0]
            self.report.unchanged.append(result)
            return
        if not self.may_change_restricted and (
                source_key in self.restricted_sources or parsed.meta.get("restricted")):
            result.reason = RESTRICTED_WRITE
            self.report.failed.append(result)
            return
        doc_id = existing[0] if existing else self._new_id(loaded.key, parsed.doc_id)
        if doc_id is None:
            result.reason = (f"doc_id {parsed.doc_id!r} is already used by another source; "
                             "remove that document first or give this one another id")
            self.report.failed.append(result)
            return
        result.doc_id = doc_id
        fields = {k: v for k, v in parsed.meta.items() if k in _DOCUMENT_FIELDS}
        extra = {k: v for k, v in parsed.meta.items() if k not in _DOCUMENT_FIELDS}
        document = Document(
            doc_id=doc_id, text=parsed.text, source=source_key.split("#", 1)[0],
            format=parsed.format, page_starts=parsed.page_starts, content_hash=content_hash,
            extra=extra, **fields,
        )
        chunks = chunk_text(doc_id, parsed.text, self.embedder.count_tokens,
                            self.settings.chunk_tokens, self.settings.chunk_overlap,
                            parsed.page_starts)
        self.pending.append(_Pending(result, document, source_key, chunks, existing is not None))

    def _flush(self) -> None:
        if not self.pending:
            return
        texts = [c.text for p in self.pending for c in p.chunks]
        vectors = self._embed(texts)
        offset = 0
        for item in self.pending:
            count = len(item.chunks)
            self.writer.put(item.document, item.source_key, item.chunks,
                            vectors[offset:offset + count] if count else np.zeros((0, 1)))
            offset += count
            (self.report.updated if item.is_update else self.report.added).append(item.result)
        self.pending = []

    def _embed(self, texts: list[str]) -> np.ndarray:
        """Vectors for the texts: those a stopped run, or this one, embedded are taken back;
        the rest are embedded shortest first (little padding), each batch kept as soon as it
        is done."""
        out = np.zeros((len(texts), self.embedder.dimension), dtype=np.float32)
        done = self.cache.get(texts)
        for row, vector in done.items():
            out[row] = vector
        if self.resuming:
            self.report.chunks_reused += len(done)
        else:
            self.report.chunks_repeated += len(done)
        todo = sorted((i for i in range(len(texts)) if i not in done), key=lambda i: len(texts[i]))
        for start in range(0, len(todo), CACHE_BATCH):
            rows = todo[start:start + CACHE_BATCH]
            batch = [texts[i] for i in rows]
            vectors = self.embedder.encode(batch, progress=False)
            self.cache.put(batch, vectors)
            out[rows] = vectors
            self.report.chunks_embedded += len(rows)
            self.progress.chunks(len(rows))
        return out

    def _new_id(self, key: str, given: str | None) -> str | None:
        if given is not None:
            if given in self.taken_ids:
                return None
            self.taken_ids.add(given)
            return given
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(key).stem).strip("-.").lower() or "document"
        candidate = base
        if candidate in self.taken_ids:
            candidate = f"{base}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        self.taken_ids.add(candidate)
        return candidate

    def _prune(self, files: list[Path]) -> None:
        ingested_jsonl = {str(_absolute(f)) for f in files}
        for source_key, (doc_id, _) in self.known.items():
            if source_key.startswith("upload:"):
                continue
            path, _, record = source_key.partition("#")
            gone = not Path(path).exists()
            dropped = bool(record) and path in ingested_jsonl and source_key not in self.seen_keys
            if (gone or dropped) and self.writer.remove(doc_id):
                self.report.removed.append(doc_id)


_DOCUMENT_FIELDS = {"title", "doc_type", "committee", "meeting_date", "publication_date",
                    "decision_status", "url", "restricted"}


def _expand(paths: list[Path], report: IngestReport, index_dir: Path) -> Iterator[Path]:
    """Files named, and files under folders named (recursively), minus ignored ones."""
    index_dir = _absolute(index_dir)
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()):
                relative = found.relative_to(path)
                if _ignored(found, relative, path) or index_dir in _absolute(found).parents:
                    continue
                yield found
        elif path.exists() or path.is_symlink():
            yield path
        else:
            report.failed.append(FileResult(str(path), reason="no such file or folder"))


def _ignored(found: Path, relative: Path, root: Path) -> bool:
    if any(part.startswith(".") for part in relative.parts) or is_sidecar(found):
        return True
    patterns = _ignore_patterns(root)
    return any(fnmatch.fnmatch(str(relative), p) or fnmatch.fnmatch(found.name, p) for p in patterns)


@lru_cache(maxsize=64)
def _ignore_patterns(root: Path) -> tuple[str, ...]:
    ignore = root / IGNORE_FILE
    if not ignore.is_file():
        return ()
    lines = ignore.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _absolute(path: Path) -> Path:
    return Path(path).expanduser().absolute()


def _source_key(key: str) -> str:
    path, sep, record = key.partition("#")
    return f"{_absolute(Path(path))}{sep}{record}"


def _hash(text: str, meta: dict[str, object], fingerprint: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass"))
    digest.update(json.dumps(meta, sort_keys=True, default=str).encode())
    digest.update(fingerprint.encode())
    return digest.hexdigest()
