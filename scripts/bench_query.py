"""Benchmark: search and full-answer latency at 10k, 100k and 1M chunks, one question at a time.

The chunks are QMSum's real committee-transcript chunks (from the QMSum index that
`assistant eval` builds, or built here). Beyond their 4,273 real chunks the texts repeat under
new document ids and the vectors are the real ones jittered and renormalised, so FAISS sees
realistic clusters. Questions are QMSum's. Prints p50/p95 of: the whole answer to a question
not asked before (answer_cold), then, for the same question again, query embedding, search
beyond the embedding, whole search, and whole answer; plus index build time and memory.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

import bench_postgres
import numpy as np

from assistant.config import Settings
from assistant.ingest import chunking_settings, embedder_for, ingest, resolve_backend
from assistant.service import Assistant
from assistant.store import Index
from assistant.store import db as store_db
from assistant.store.manifest import write_manifest
from assistant.store.vectors import VectorIndex, build_ivf

ROOT = Path(__file__).resolve().parents[1]
QMSUM = ROOT.parent / "shared/bench/qmsum-committee"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--questions", type=int, default=150)
    parser.add_argument("--work", type=Path, default=ROOT / ".bench")
    parser.add_argument("--qmsum", type=Path, default=QMSUM)
    parser.add_argument("--keep", action="store_true", help="keep the built indexes in --work")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                        help="postgres: ASSISTANT_DATABASE_URL, else a bundled PostgreSQL "
                             "started in --work (HNSW index; its build time, disk and RSS too)")
    parser.add_argument("--reuse", action="store_true",
                        help="postgres: measure a collection of the size left by an earlier "
                             "run (with --keep) instead of loading it again")
    parser.add_argument("--restricted", type=float, default=0.01,
                        help="then mark this share of documents restricted and measure again "
                             "for a caller without the scope (0: skip)")
    args = parser.parse_args()
    # the copies are made from QMSum indexed as a user's new index is (with onnx-int8 on a
    # CPU, the GPU where there is one; `assistant eval` keeps its own, fp32 one), and keep
    # its vectors and its embedder, which the questions then use
    settings = Settings(index=args.work / "qmsum-source", progress=False)
    ingest([args.qmsum / "documents.jsonl"], settings)  # a no-op once built
    backend = resolve_backend(settings)
    source = _load_source(settings)
    questions = [json.loads(line)["question"] for line in
                 (args.qmsum / "questions.jsonl").read_text().splitlines()][: args.questions]
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        target = args.work / f"query-{size}"
        started = time.perf_counter()
        if args.backend == "postgres":
            measured = _postgres_settings(args.work, target, size, args.reuse, backend)
            extra = bench_postgres.build(measured, source, size, args.reuse)
        else:
            measured, extra = settings.model_copy(update={"index": target}), {}
            _build(target, source, size, settings)
        build_seconds = time.perf_counter() - started
        results.append(_measure(measured, size, questions, build_seconds, extra))
        if args.restricted:
            share = (bench_postgres.restrict(measured, args.restricted)
                     if args.backend == "postgres" else _restrict(target, args.restricted))
            result = _measure(measured, size, questions, build_seconds, extra,
                              label=f"{share:.1%} of documents restricted, caller without scope")
            results.append(result)
        if not args.keep:
            shutil.rmtree(target, ignore_errors=True)
    print(json.dumps(results))
    return 0


def _load_source(settings: Settings) -> dict[str, object]:
    model = embedder_for(settings).name
    index = Index.open(settings.index, model, 384)
    rows = index.conn.execute("SELECT id, doc_id, ordinal, start, \"end\", section, text FROM "
                              "chunks ORDER BY id").fetchall()
    documents = {r["doc_id"]: r for r in index.conn.execute("SELECT * FROM documents")}
    vectors, ids = index.vectors.vectors_and_ids()
    order = {int(i): n for n, i in enumerate(ids)}
    matrix = np.vstack([vectors[order[r["id"]]] for r in rows])
    index.close()
    return {"chunks": rows, "documents": documents, "vectors": matrix, "model": model}


def _build(target: Path, source: dict, size: int, settings: Settings) -> None:
    """An index of `size` chunks in the store's own format, bulk-loaded."""
    shutil.rmtree(target, ignore_errors=True)
    index = Index.open(target, source["model"], 384, chunking_settings(settings), create=True)
    chunks, documents, real = source["chunks"], source["documents"], source["vectors"]
    rng = np.random.default_rng(0)
    conn = index.conn
    conn.execute("BEGIN")
    vectors = np.empty((size, real.shape[1]), dtype=np.float32)
    copy, made = 0, 0
    while made < size:
        for doc_id, doc in documents.items():
            new_id = doc_id if copy == 0 else f"{doc_id}~{copy}"
            conn.execute(
                "INSERT INTO documents (doc_id, source_key, source, format, title, doc_type, "
                "content_hash, text) VALUES (?, ?, ?, 'jsonl', ?, 'other', '', ?)",
                (new_id, f"bench:{new_id}", "bench", doc["title"], doc["text"]))
        rows = []
        for n, chunk in enumerate(chunks):
            if made >= size:
                break
            doc_id = chunk["doc_id"] if copy == 0 else f"{chunk['doc_id']}~{copy}"
            rows.append((made + 1, doc_id, chunk["ordinal"], chunk["start"], chunk["end"],
                         chunk["section"], chunk["text"]))
            vector = real[n] if copy == 0 else real[n] + rng.normal(0, 0.04, real.shape[1])
            vectors[made] = vector / np.linalg.norm(vector)
            made += 1
        conn.executemany('INSERT INTO chunks (id, doc_id, ordinal, start, "end", section, text) '
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO chunks_fts (rowid, text, section, title) VALUES "
                         "(?, ?, ?, '')", [(r[0], r[6], r[5] or "") for r in rows])
        copy += 1
    ids = np.arange(1, size + 1, dtype=np.int64)
    if size > settings.ann_threshold:
        vector_index = build_ivf(vectors, ids, settings.ivf_nprobe)
    else:
        vector_index = VectorIndex.empty(vectors.shape[1])
        vector_index.add(ids, vectors)
    vector_index.save(target / "vectors-000001.faiss")
    store_db.set_meta(conn, "generation", "1")
    store_db.set_meta(conn, "vectors_file", "vectors-000001.faiss")
    conn.execute("COMMIT")
    index.manifest.generation, index.manifest.vector_index = 1, vector_index.kind
    index.manifest.chunks = size
    write_manifest(target, index.manifest)
    index.close()


def _restrict(target: Path, share: float) -> float:
    """Mark every n-th document restricted (n = 1 / share); returns the share marked."""
    conn = store_db.connect(target / "store.sqlite")
    every = max(1, round(1 / share))
    conn.execute("UPDATE documents SET restricted = (rowid % ? = 0)", (every,))
    marked, total = conn.execute("SELECT SUM(restricted), COUNT(*) FROM documents").fetchone()
    conn.close()
    return marked / total


def _postgres_settings(work: Path, target: Path, size: int, reuse: bool,
                       backend: str) -> Settings:
    """Settings for a collection of this size in ASSISTANT_DATABASE_URL's database, or in a
    bundled PostgreSQL run in the work folder."""
    url = Settings().database_url or bench_postgres.local_server(work / "postgres",
                                                                 fresh=not reuse)
    # (with your own ASSISTANT_DATABASE_URL the collection bench-SIZE is replaced in it)
    return Settings(index=target, progress=False, database_url=url,
                    collection=f"bench-{size}").model_copy(update={"embedding_backend": backend})


def _measure(settings: Settings, size: int, questions: list[str], build_seconds: float,
             extra: dict[str, object], label: str = "none restricted") -> dict[str, object]:
    assistant = Assistant(settings)
    embedder = embedder_for(settings)
    for question in questions[:5]:  # warm caches: model, SQLite pages, term counts
        assistant.ask(question)
    timings: dict[str, list[float]] = {"answer_cold": [], "embed": [],
                                       "search_beyond_embed": [], "search": [], "answer": []}
    for question in questions:
        t0 = time.perf_counter()
        assistant.ask(question)  # a question not seen before: its terms are counted now
        t1 = time.perf_counter()
        vector = embedder.encode([question], progress=False)[0]
        t2 = time.perf_counter()
        assistant.retriever.search(question, 8, query_vector=vector)
        t3 = time.perf_counter()
        assistant.search(question, 8)
        t4 = time.perf_counter()
        assistant.ask(question)
        t5 = time.perf_counter()
        for key, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4),
                              strict=True):
            timings[key].append(value * 1000)
    result: dict[str, object] = {
        "chunks": size, "restricted": label, "vector_index": assistant.stats()["vector_index"],
        "build_seconds": round(build_seconds, 1), "rss_mib": _rss_mib(), **extra,
    }
    if settings.database_url:
        result["database_rss_mib"] = bench_postgres.server_rss_mib()
    for key, values in timings.items():
        result[f"{key}_p50_ms"] = round(statistics.median(values), 1)
        result[f"{key}_p95_ms"] = round(float(np.percentile(values, 95)), 1)
    assistant.close()
    print(" ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    return result


def _rss_mib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


if __name__ == "__main__":
    sys.exit(main())
