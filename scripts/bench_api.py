"""Benchmark: 16 concurrent clients for 30 s against a live server over the QMSum index.

Half the requests are chats, half searches, with QMSum's questions; ten seconds in, one
document is uploaded and ingested while the load goes on. Prints requests per second,
p50/p95/p99 latency, the error count, and how long the upload took to become searchable.
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
    args = parser.parse_args()
    source = ROOT / ".bench/qmsum-index"
    ingest([args.qmsum / "documents.jsonl"], Settings(index=source, progress=False))
    questions = [json.loads(line)["question"] for line in
                 (args.qmsum / "questions.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        index = Path(tmp) / "index"
        shutil.copytree(source, index)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--index", str(index)],
            # a load test of one client address: no per-caller rate limit
            env={**os.environ, "ASSISTANT_API_KEYS": "", "ASSISTANT_RATE_LIMIT": ""},
            stderr=subprocess.DEVNULL)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url)
            result = _load(url, questions, args.clients, args.seconds)
        finally:
            server.terminate()
            server.wait(10)
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    print(json.dumps(result))
    return 0 if result["errors"] == 0 else 1


def _load(url: str, questions: list[str], clients: int, seconds: float) -> dict[str, object]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
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
    upload = _upload_mid_run(url, seconds / 3)
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


def _upload_mid_run(url: str, delay: float) -> dict[str, object]:
    time.sleep(delay)
    text = (ROOT / "corpus" / "004_a352e7ef0d09dbd7.txt").read_bytes()
    with httpx.Client(base_url=url, timeout=60) as http:
        started = time.perf_counter()
        job = http.post("/v1/documents", files=[("files", ("durham-minutes.txt", text))]).json()
        while job["status"] not in ("done", "failed"):
            time.sleep(0.2)
            job = http.get(f"/v1/jobs/{job['job_id']}").json()
        took = time.perf_counter() - started
        found = http.post("/v1/search", json={"query": "Wear House at Belmont Business Park",
                                              "k": 3}).json()["results"]
    return {"upload_status": f"{job['status']}: {job['files'][0]['status']}",
            "upload_seconds": round(took, 1),
            "upload_searchable": any(r["doc_id"] == "durham-minutes" for r in found)}


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
