"""Benchmark: peak memory of an ingest against the size of the folder ingested.

A generator writes synthetic minutes (varied sentences, so chunks differ) into folders of
growing size; each is ingested in its own process with the model-free hashing encoder (the
model's own memory is constant and is not what is measured) and its peak RSS printed. Parsing
works file by file with a few files in flight, so what grows is the index itself: the chunk
vectors (384 float32 per chunk) and SQLite's pages.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("council committee agreed resolved budget clerk parish highways planning application "
         "footpath precept grant hall playing field county borough tree hedge drainage report "
         "minutes approved noted members councillor chair quotation contractor survey").split()


def write_corpus(folder: Path, megabytes: int, seed: int = 7) -> int:
    """Files of about 200 KB of sentences until the folder holds `megabytes`; returns files."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written, files = 0, 0
    while written < megabytes * 1_000_000:
        sentences = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 24))).capitalize()
                     + f" (item {rng.randint(1, 10_000)})." for _ in range(1600)]
        text = "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))
        (folder / f"minutes-{files:05d}.txt").write_text(text, encoding="utf-8")
        written += len(text)
        files += 1
    return files


def measure(folder: Path) -> dict[str, float]:
    """Ingest the folder in this process; the peak RSS it reached and what it ingested."""
    from assistant.config import Settings
    from assistant.embedding import HASHING_MODEL
    from assistant.ingest import ingest

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        started = time.perf_counter()
        report = ingest([folder], Settings(index=Path(tmp) / "index", model=HASHING_MODEL,
                                           progress=False))
        return {"files": len(report.added), "chunks": report.chunks_embedded,
                "seconds": round(time.perf_counter() - started, 1),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,40,160", help="folder sizes in MB")
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-memory-corpus-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            folder = Path(tmp) / f"{size}mb"
            write_corpus(folder, size)
            done = subprocess.run([sys.executable, __file__, "--one", str(folder)],
                                  capture_output=True, text=True, check=True)
            row = {"corpus_mb": size, **json.loads(done.stdout.strip().splitlines()[-1])}
            rows.append(row)
            print(row, flush=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
