"""Benchmark: ingest the QMSum committee transcripts and compare with the raw model encode.

Prints chunks, wall seconds, chunks per second and peak memory of the whole pipeline, then the
throughput of the bundled model encoding the very same chunk texts with nothing around it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.ingest import get_embedder, ingest

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared/bench/qmsum-committee/documents.jsonl"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", nargs="?", type=Path, default=DEFAULT)
    args = parser.parse_args()
    if not args.jsonl.is_file():
        print(f"error: {args.jsonl} not found; pass the path to documents.jsonl", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = Settings(index=Path(tmp) / "index", progress=False)
        started = time.perf_counter()
        report = ingest([args.jsonl], settings)
        wall = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn = sqlite3.connect(settings.index / "store.sqlite")
        texts = [row[0] for row in conn.execute("SELECT text FROM chunks ORDER BY id")]
        conn.close()
    chunks = report.chunks_embedded
    embedder = get_embedder(settings.model, settings.batch_size, settings.threads)
    embedder.encode(texts[:64], progress=False)  # warm-up, as the pipeline's first batch was
    started = time.perf_counter()
    embedder.model.encode(texts, batch_size=settings.batch_size, normalize_embeddings=True)
    raw = time.perf_counter() - started
    result = {
        "documents": len(report.added), "failed": len(report.failed), "chunks": chunks,
        "wall_seconds": round(wall, 1), "chunks_per_second": round(chunks / wall, 2),
        "peak_memory_mib": round(peak_mib), "raw_encode_seconds": round(raw, 1),
        "raw_chunks_per_second": round(len(texts) / raw, 2),
        "pipeline_vs_raw": round((chunks / wall) / (len(texts) / raw), 3),
    }
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
