"""Files → loaded documents, parsed (and OCR'd) in worker processes while the caller embeds.

Parsing a PDF is pure Python (pypdf, pdfplumber) or a Tesseract run; the model is busy in
the main process at the same time. A few files at most are in flight per worker, so memory
stays flat on a folder of any size. Workers are forked (Linux only): forkserver and spawn
re-run the caller's script in each worker, which breaks scripts that call `ingest` without
an `if __name__ == "__main__"` guard; a forked worker only parses, so the model's threads in
the parent do not matter to it (as with PyTorch's own data-loader workers). If a worker
dies, the rest of the files are parsed in this process.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .loaders import Loaded, load_path, unreadable_reason

IN_FLIGHT_PER_WORKER = 2
MIN_FILES_FOR_WORKERS = 4  # below this, starting workers costs more than it saves


@dataclass(frozen=True)
class ParseOptions:
    """What a worker needs to parse a file as the caller would."""

    max_bytes: int
    pdf_password: str | None
    ocr: bool


def parse_workers(setting: int) -> int:
    """Worker processes to use: the setting, or (-1) one core fewer than the machine has,
    at most four; none where processes cannot be forked."""
    if not sys.platform.startswith("linux"):
        return 0
    if setting >= 0:
        return setting
    return max(0, min(4, (os.cpu_count() or 1) - 1))


class ParseClock:
    """Seconds the caller waited for parsing: all of it in one process, only what the
    workers had not finished ahead of time with them."""

    def __init__(self) -> None:
        self.waited = 0.0

    def time(self, started: float) -> None:
        self.waited += time.perf_counter() - started


def load_files(files: list[Path], options: ParseOptions, workers: int,
               clock: ParseClock | None = None,
               idle: Callable[[], None] | None = None) -> Iterator[tuple[Path, list[Loaded]]]:
    """Each file's documents (or its failure), in the files' order. With workers, `idle` is
    called whenever the next file is not parsed yet: the caller's chance to embed."""
    clock = clock or ParseClock()
    if workers <= 0 or len(files) < MIN_FILES_FOR_WORKERS:
        for path in files:
            started = time.perf_counter()
            loaded = load_one(path, options)
            clock.time(started)
            yield path, loaded
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    waiting: deque[tuple[Path, Future[list[Loaded]]]] = deque()
    queue = iter(files)
    try:
        while True:
            while len(waiting) < workers * IN_FLIGHT_PER_WORKER:
                upcoming = next(queue, None)
                if upcoming is None:
                    break
                waiting.append((upcoming, pool.submit(load_one, upcoming, options)))
            if not waiting:
                return
            path, future = waiting.popleft()
            if idle is not None and not future.done():
                idle()
            started = time.perf_counter()
            try:
                loaded = future.result()
            except BrokenProcessPool:  # a worker died: parse the rest here, one by one
                rest = [path, *(p for p, _ in waiting), *queue]
                waiting.clear()
                yield from load_files(rest, options, 0, clock)
                return
            clock.time(started)
            yield path, loaded
    finally:
        pool.shutdown(cancel_futures=True)


def load_one(path: Path, options: ParseOptions) -> list[Loaded]:
    """One file's documents; any failure is this file's alone."""
    try:
        return list(load_path(path, options.max_bytes, options.pdf_password, options.ocr))
    except Exception as exc:
        return [Loaded(str(path), error=unreadable_reason(path.suffix.lstrip(".") or "input",
                                                          exc))]
