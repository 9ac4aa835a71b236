"""Benchmark: ingestion throughput, parsing beside embedding.

1. The real council documents (and the awkward PDF samples): parse pages/s, and the share of
   the whole ingestion that parsing takes (target: under 20% on the real-council PDFs).
2. The QMSum committee transcripts: chunks, wall seconds, chunks per second and peak memory
   of the whole pipeline, then the bundled model encoding the very same chunk texts alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.embedding import INT8, gpu_available
from assistant.ingest import embedder_for, ingest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT = SHARED / "bench/qmsum-committee/documents.jsonl"


def parse_rate(files: list[Path]) -> dict[str, float]:
    """Parse every file once: files, pages (PDF pages; one per other file), seconds."""
    from assistant.loaders import load_path

    pages, started = 0, time.perf_counter()
    for path in files:
        for loaded in load_path(path, 200_000_000):
            pages += len(loaded.parsed.page_starts) or 1 if loaded.parsed else 0
    seconds = time.perf_counter() - started
    return {"files": len(files), "pages": pages, "parse_seconds": round(seconds, 2),
            "pages_per_second": round(pages / seconds, 1)}


def council(directory: Path) -> dict[str, object]:
    """Parsing against the whole ingestion of the real council documents, PDFs and all."""
    files = sorted(p for p in directory.glob("*.*") if p.name != "SOURCES.md")
    pdfs = [p for p in files if p.suffix == ".pdf"]
    parse_rate(pdfs[:1])  # warm-up: imports, PDFium, pdfplumber
    out: dict[str, object] = {"real_council_pdfs": parse_rate(pdfs), "all": parse_rate(files)}
    with tempfile.TemporaryDirectory(prefix="bench-council-") as tmp:
        settings = Settings(index=Path(tmp) / "index", progress=False)
        embedder_for(settings).encode(["warm-up"])  # the model loaded before any timing
        for name, chosen in (("pdfs_ingest", pdfs), ("all_ingest", files)):
            started = time.perf_counter()
            report = ingest(chosen, settings.model_copy(update={"index": Path(tmp) / name}))
            wall = time.perf_counter() - started
            # parsing's share: the time ingestion waited for it (workers parse ahead)
            out[name] = {"chunks": report.chunks_embedded, "wall_seconds": round(wall, 2),
                         "chunks_per_second": round(report.chunks_embedded / wall, 1),
                         "parse_wait_seconds": round(report.parse_wait_seconds, 2),
                         "parse_share": round(report.parse_wait_seconds / wall, 3)}
    samples = sorted((SHARED / "bench/pdf-samples").glob("*.pdf"))
    if samples:
        out["pdf_samples"] = parse_rate(samples)
    return out


def one_backend(backend: str, inputs: list[Path]) -> dict[str, object]:
    """Ingest the inputs with one backend (in this process, alone, so its peak memory is its
    own), then time the model alone on the very same chunk texts."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = Settings(index=Path(tmp) / "index", progress=False, embedding_backend=backend)
        embedder = embedder_for(settings)
        embedder.encode(["warm-up"] * 8)  # the model is loaded (and int8 made) before timing
        started = time.perf_counter()
        report = ingest(inputs, settings)
        wall = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        conn = sqlite3.connect(settings.index / "store.sqlite")
        texts = [row[0] for row in conn.execute("SELECT text FROM chunks ORDER BY id")]
        conn.close()
    chunks = report.chunks_embedded
    started = time.perf_counter()
    embedder.encode(texts)
    raw = time.perf_counter() - started
    return {"backend": backend, "documents": len(report.added), "chunks": chunks,
            "wall_seconds": round(wall, 1), "chunks_per_second": round(chunks / wall, 1),
            "raw_chunks_per_second": round(len(texts) / raw, 1),
            "pipeline_vs_raw": round((chunks / wall) / (len(texts) / raw), 3),
            "peak_memory_mib": round(peak_mib)}


def side_by_side(label: str, inputs: list[Path], backends: list[str]) -> list[dict[str, object]]:
    """Each backend in its own process, one after another; printed as one table."""
    rows = []
    for backend in backends:
        done = subprocess.run([sys.executable, __file__, "--one", backend, *map(str, inputs)],
                              capture_output=True, text=True, check=False)
        if done.returncode:
            print(f"{backend}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    columns = ["backend", "documents", "chunks", "wall_seconds", "chunks_per_second",
               "raw_chunks_per_second", "pipeline_vs_raw", "peak_memory_mib"]
    print(f"\n{label}")
    print("  ".join(f"{c:>21}" for c in columns))
    for row in rows:
        print("  ".join(f"{row[c]!s:>21}" for c in columns))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--council", type=Path, default=SHARED / "bench/real-council")
    parser.add_argument("--skip-qmsum", action="store_true")
    parser.add_argument("--documents", type=int, default=0,
                        help="only the first N QMSum transcripts (default: all 36)")
    parser.add_argument("--backends", default=",".join(available_backends()),
                        help="comma-separated (default: every backend this machine has)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("inputs", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_backend(args.one, [args.jsonl, *args.inputs])))
        return 0
    backends = args.backends.split(",")
    results: dict[str, object] = {}
    if args.council.is_dir():
        found = council(args.council)
        for key, value in found.items():
            print(f"{key:>22}: {value}")
        results["council"] = found
        files = sorted(p for p in args.council.glob("*.*") if p.name != "SOURCES.md")
        results["council_backends"] = side_by_side(
            "Real council documents (13 files), per backend", files, backends)
    if not args.skip_qmsum:
        if not args.jsonl.is_file():
            print(f"error: {args.jsonl} not found; pass the path to documents.jsonl",
                  file=sys.stderr)
            return 2
        with tempfile.TemporaryDirectory(prefix="bench-qmsum-") as tmp:
            source = args.jsonl
            if args.documents:
                source = Path(tmp) / "documents.jsonl"
                lines = args.jsonl.read_text(encoding="utf-8").splitlines(keepends=True)
                source.write_text("".join(lines[:args.documents]), encoding="utf-8")
            results["qmsum_backends"] = side_by_side(
                f"QMSum committee transcripts ({args.documents or 'all'}), per backend",
                [source], backends)
    print(json.dumps(results))
    return 0


def available_backends() -> list[str]:
    """torch and onnx-int8 everywhere; cuda (fp16) where torch sees a GPU."""
    return ["torch", INT8, *(["cuda"] if gpu_available() else [])]


if __name__ == "__main__":
    sys.exit(main())
