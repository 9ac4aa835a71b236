"""How far a long ingest has got: files done of all, chunks per second, time left."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tqdm import tqdm


def show_progress(setting: bool | None) -> bool:
    """The progress line is shown on a terminal unless the setting says otherwise."""
    return sys.stderr.isatty() if setting is None else setting


class IngestProgress:
    """A progress line over the input's bytes (so the time left weighs big files as big),
    with files done/total and the embedding rate beside it."""

    def __init__(self, files: list[Path], show: bool):
        self.sizes = {path: _size(path) for path in files}
        self.files_total, self.files_done, self.chunks_done = len(files), 0, 0
        self.started = time.perf_counter()
        self.bar = tqdm(total=sum(self.sizes.values()), unit="B", unit_scale=True,
                        desc="ingest", disable=not show, file=sys.stderr, leave=True)

    def file_done(self, path: Path) -> None:
        self.files_done += 1
        self.bar.update(self.sizes.get(path, 0))
        self._describe()

    def chunks(self, count: int) -> None:
        self.chunks_done += count
        self._describe()

    def rate(self) -> float:
        """Chunks embedded per second so far."""
        return self.chunks_done / max(time.perf_counter() - self.started, 1e-9)

    def _describe(self) -> None:
        self.bar.set_postfix_str(f"files {self.files_done}/{self.files_total}, "
                                 f"{self.rate():.1f} chunks/s", refresh=True)

    def close(self) -> None:
        self.bar.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
