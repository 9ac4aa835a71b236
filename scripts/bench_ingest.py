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
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.ingest import get_embedder, ingest

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
        get_embedder(settings.model, settings.batch_size, settings.threads)  # loaded once
        for name, chosen in (("pdfs_ingest", pdfs), ("all_ingest", files)):
            started = time.perf_counter()
            report = ingest(chosen, settings.model_copy(update={"index": Path(tmp) / name}))
            wall = time.perf_counter() - started
            parse = out["real_council_pdfs" if name == "pdfs_ingest" else "all"]
            assert isinstance(parse, dict)
            out[name] = {"chunks": report.chunks_embedded, "wall_seconds": round(wall, 2),
                         "chunks_per_second": round(report.chunks_embedded / wall, 1),
                         "parse_share": round(parse["parse_seconds"] / wall, 3)}
    samples = sorted((SHARED / "bench/pdf-samples").glob("*.pdf"))
    if samples:
        out["pdf_samples"] = parse_rate(samples)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("jsonl", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--council", type=Path, default=SHARED / "bench/real-council")
    parser.add_argument("--skip-qmsum", action="store_true")
    args = parser.parse_args()
    if args.council.is_dir():
        found = council(args.council)
        for key, value in found.items():
            print(f"{key:>22}: {value}")
        print(json.dumps({"council": found}))
    if args.skip_qmsum:
        return 0
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
