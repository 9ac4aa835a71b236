"""Benchmark: 16 concurrent clients for 30 s against live servers over the QMSum index.

Half the requests are chats, half searches, with QMSum's questions, spread over the
servers; ten seconds in, one document is uploaded to the first server and ingested while
the load goes on. Prints requests per second, p50/p95/p99 latency, the error count, and how
long the upload took to become searchable on the last server (with `--servers 2`, the
other one). `--backend postgres` serves from one PostgreSQL database (ASSISTANT_DATABASE_URL,
else a bundled one in .bench/postgres) into which the QMSum index is copied, vectors and all.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from assistant.config import Settings
from assistant.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]
QMSUM = ROOT.parent / "shared/bench/qmsum-committee"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--qmsum", type=Path, default=QMSUM)
    parser.add_argument("--servers", type=int, default=1, help="server processes (ports)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite",
                        help="sqlite: the servers share one index folder; postgres: one database")
    args = parser.parse_args()
    source = ROOT / ".bench/qmsum-source"  # as bench_query.py: indexed as a user's would be
    ingest([args.qmsum / "documents.jsonl"], Settings(index=source, progress=False))
    questions = [json.loads(line)["question"] for line in
                 (args.qmsum / "questions.jsonl").read_text().splitlines()]
    # a load test of one client address: no per-caller rate limit
    env = {**os.environ, "ASSISTANT_API_KEYS": "", "ASSISTANT_RATE_LIMIT": ""}
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        folders = [Path(tmp) / f"index-{n}" for n in range(args.servers)]
        if args.backend == "postgres":
            env.update(_database(source))
        else:
            shutil.copytree(source, folders[0])
            folders = [folders[0]] * args.servers
        ports = [_free_port() for _ in folders]
        servers = [subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--index",
             str(folder)], env=env, stderr=subprocess.DEVNULL)
            for port, folder in zip(ports, folders, strict=True)]
        try:
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            for url in urls:
                _wait_ready(url)
            result = _load(urls, questions, args.clients, args.seconds)
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
    result = {"servers": args.servers, "backend": args.backend, **result}
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


def _database(source: Path) -> dict[str, str]:
    """The environment for servers over a database holding a copy of the source index."""
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_postgres

    from assistant.storage import drop_store, import_index

    url = Settings().database_url or bench_postgres.local_server(ROOT / ".bench/postgres")
    settings = Settings(index=source, progress=False, database_url=url, collection="bench-api")
    drop_store(settings)
    import_index(settings, source)
    return {"ASSISTANT_DATABASE_URL": url, "ASSISTANT_COLLECTION": "bench-api"}


def _load(urls: list[str], questions: list[str], clients: int,
          seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=urls[number % len(urls)], timeout=30) as http:
            i = number
            while time.perf_counter() < stop:
                question = questions[i % len(questions)]
                started = time.perf_counter()
                try:
                    response = (http.post("/v1/chat", json={"message": question}) if i % 2 else
                                http.post("/v1/search", json={"query": question, "k": 8}))
                    ok = response.status_code == 200
                    detail = f"{response.status_code} {response.text[:100]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, repr(exc)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not ok:
                        errors.append(detail)
                i += clients

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    upload = _upload_mid_run(urls[0], urls[-1], seconds / 3)
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    ms = np.array(latencies) * 1000
    return {
        "clients": clients, "seconds": round(wall, 1), "requests": len(latencies),
        "requests_per_second": round(len(latencies) / wall, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p95_ms": round(float(np.percentile(ms, 95)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "errors": len(errors), "first_errors": errors[:3], **upload,
    }


def _upload_mid_run(url: str, other: str, delay: float) -> dict[str, object]:
    """Upload a document to one server; time until the other reports the job done and
    until it finds the document."""
    time.sleep(delay)
    text = (ROOT / "corpus" / "004_a352e7ef0d09dbd7.txt").read_bytes()
    query = {"query": "Wear House at Belmont Business Park", "k": 3}
    with httpx.Client(base_url=url, timeout=60) as http, \
            httpx.Client(base_url=other, timeout=60) as far:
        started = time.perf_counter()
        job = http.post("/v1/documents", files=[("files", ("durham-minutes.txt", text))]).json()
        while job["status"] not in ("done", "failed"):
            time.sleep(0.2)
            job = far.get(f"/v1/jobs/{job['job_id']}").json()
        took = time.perf_counter() - started
        found = False
        while not found and time.perf_counter() - started < 120:
            found = any(r["doc_id"] == "durham-minutes"
                        for r in far.post("/v1/search", json=query).json()["results"])
        searchable = time.perf_counter() - started
    return {"upload_status": f"{job['status']}: {job['files'][0]['status']}",
            "upload_seconds": round(took, 1), "upload_searchable": found,
            "upload_to_answer_on_last_server_seconds": round(searchable, 1)}


def _wait_ready(url: str) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not become ready")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


if __name__ == "__main__":
    sys.exit(main())
