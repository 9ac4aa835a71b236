"""The HTTP API through a live uvicorn server on loopback, with real clients."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn
from conftest import pdf_sample, private_copy

from assistant.config import Settings
from assistant.server import create_app
from assistant.server.auth import parse_keys

KEYS = "reader1=read,writer1=read+write,boss1=read+write+restricted"
SECRET = "Quillfeather depot lease to Marbleway Holdings"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving the app on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings, keys: str):
        self.port = _free_port()
        config = uvicorn.Config(create_app(settings, keys), host="127.0.0.1", port=self.port,
                                log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 30
        while not self.server.started and time.time() < deadline:
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def client(self, key: str | None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def serve_copy(seed: Settings, folder: Path, keys: str) -> Iterator[LiveServer]:
    """A live server over a private copy of the seed index."""
    server = LiveServer(private_copy(seed, folder), keys)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def live(seed_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server over a copy of the seed index, on each backend in turn."""
    yield from serve_copy(seed_store, tmp_path_factory.mktemp("served"), KEYS)


def wait_for_job(client: httpx.Client, job_id: str) -> dict:
    for _ in range(600):
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("job did not finish")


def test_health_ready_metrics_docs(live: LiveServer) -> None:
    anonymous = live.client(None)
    assert anonymous.get("/healthz").json() == {"status": "ok"}
    assert anonymous.get("/readyz").json()["documents"] >= 5
    assert anonymous.get("/docs").status_code == 200
    live.client("reader1").post("/v1/chat", json={"message": "What does BOOST stand for?"})
    metrics = anonymous.get("/metrics").text
    chat_lines = [line for line in metrics.splitlines()
                  if line.startswith("assistant_requests_total{") and 'route="/v1/chat"' in line
                  and 'method="POST"' in line and 'status="200"' in line]
    assert chat_lines and float(chat_lines[0].rsplit(" ", 1)[1]) >= 1
    assert "assistant_answers_total" in metrics and "assistant_chunks" in metrics


def test_chat_streaming_and_search(live: LiveServer) -> None:
    client = live.client("reader1")
    answer = client.post("/v1/chat", json={"message": "What does BOOST stand for?"}).json()
    assert answer["answerable"] and "Burnt Oak" in answer["answer"]
    follow = client.post("/v1/chat", json={
        "message": "Which company owns that CRC?",
        "conversation_id": client.post("/v1/chat", json={
            "message": "Tell me about the probation inspection in Northamptonshire"}
        ).json()["conversation_id"]}).json()
    assert "Sodexo" in follow["answer"]
    turns = client.get(f"/v1/conversations/{follow['conversation_id']}").json()["turns"]
    assert len(turns) == 2
    with client.stream("POST", "/v1/chat", json={"message": "What does BOOST stand for?",
                                                 "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = list(response.iter_lines())
    events = [line for line in lines if line.startswith("event:")]
    assert events[0] == "event: delta" and events[-2:] == ["event: citations", "event: done"]
    final = json.loads(lines[lines.index("event: done") + 1].removeprefix("data: "))
    pieces = [json.loads(line.removeprefix("data: "))["text"]
              for before, line in zip(lines, lines[1:], strict=False) if before == "event: delta"]
    assert "".join(pieces) == final["answer"] and final["citations"]
    results = client.post("/v1/search", json={"query": "Omnia", "k": 2}).json()["results"]
    assert len(results) == 2 and "Omnia" in results[0]["text"]


def test_upload_job_listed_answerable_delete(live: LiveServer, tmp_path: Path) -> None:
    writer = live.client("writer1")
    with open(pdf_sample("pdflatex-4-pages.pdf"), "rb") as handle:
        created = writer.post("/v1/documents", files=[
            ("files", ("../../etc/evil name\x07.pdf", handle.read(), "application/pdf")),
            ("files", ("empty.txt", b"", "text/plain"))], data={"committee": "Test Board"})
    assert created.status_code == 202
    job = wait_for_job(writer, created.json()["job_id"])
    pdf, empty = job["files"]
    assert pdf["filename"].startswith("evil name") and pdf["filename"].endswith(".pdf")
    assert "/" not in pdf["filename"] and ".." not in pdf["filename"]
    assert all(ch.isprintable() for ch in pdf["filename"])
    assert pdf["status"] == "added"
    assert empty["status"] == "failed" and "empty" in empty["reason"]
    doc_id = pdf["doc_id"]
    listed = writer.get("/v1/documents", params={"committee": "Test Board"}).json()
    assert [d["doc_id"] for d in listed["documents"]] == [doc_id]
    assert listed["documents"][0]["source"] == f"upload:{pdf['filename']}"
    detail = writer.get(f"/v1/documents/{doc_id}").json()
    assert detail["pages"] == 4 and detail["chunks"]
    answer = writer.post("/v1/chat", json={"message": "Where is some text without a meaning?",
                                           "filters": {"doc_ids": [doc_id]}}).json()
    assert answer["answerable"] and answer["citations"][0]["page"] >= 1
    assert writer.delete(f"/v1/documents/{doc_id}").status_code == 204
    assert writer.get(f"/v1/documents/{doc_id}").status_code == 404
    gone = writer.post("/v1/search", json={"query": "text without a meaning",
                                           "filters": {"doc_ids": [doc_id]}}).json()
    assert gone["results"] == []


def test_keys_and_scopes(live: LiveServer) -> None:
    assert live.client(None).post("/v1/chat", json={"message": "hi"}).status_code == 401
    assert live.client("wrong").post("/v1/search", json={"query": "x"}).status_code == 401
    reader = live.client("reader1")
    refused = reader.post("/v1/documents", files=[("files", ("a.txt", b"text", "text/plain"))])
    assert refused.status_code == 403 and "write" in refused.json()["detail"]
    assert reader.delete("/v1/documents/000_e8fa5ca575a63cad").status_code == 403


def test_restricted_document_cannot_be_drawn_out_without_the_scope(live: LiveServer) -> None:
    boss = live.client("boss1")
    created = boss.post("/v1/documents", data={"restricted": "true", "title": "Exempt report"},
                        files=[("files", ("exempt.txt", f"Exempt report. The {SECRET} was "
                                          "agreed in closed session.".encode(), "text/plain"))])
    job = wait_for_job(boss, created.json()["job_id"])
    doc_id = job["files"][0]["doc_id"]
    assert SECRET in boss.post("/v1/chat", json={"message": "What was agreed about the "
                                                 "Quillfeather depot lease?"}).text
    reader = live.client("reader1")
    leaks = [
        reader.post("/v1/search", json={"query": "Quillfeather depot Marbleway", "k": 50}).text,
        reader.post("/v1/chat", json={"message": "Who gets the Quillfeather depot lease?"}).text,
        reader.get("/v1/documents", params={"limit": 200}).text,
        reader.get(f"/v1/documents/{doc_id}").text,
        reader.post("/v1/chat/completions", json={"messages": [
            {"role": "user", "content": "Tell me about the Quillfeather depot"},
            {"role": "user", "content": "Who will buy it?"}]}).text,
    ]
    opened = boss.post("/v1/chat", json={"message": "Who gets the Quillfeather depot lease?"})
    conversation = opened.json()["conversation_id"]
    leaks.append(reader.get(f"/v1/conversations/{conversation}").text)
    leaks.append(reader.post("/v1/chat", json={"message": "Who is it sold to?",
                                               "conversation_id": conversation}).text)
    for text in leaks:
        assert "Marbleway" not in text and "Quillfeather depot lease to" not in text


def test_limits_and_malformed_requests(live: LiveServer) -> None:
    client = live.client("writer1")
    too_long = client.post("/v1/chat", json={"message": "x" * 5000})
    assert too_long.status_code == 422
    huge = client.post("/v1/search", content=b"{" + b" " * 2_000_000 + b"}",
                       headers={"content-type": "application/json"})
    assert huge.status_code == 413 and "limit" in huge.json()["detail"]
    bad = client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 422 and "detail" in bad.json()
    form = client.post("/v1/chat", data={"message": "hello"})
    assert form.status_code == 422
    many = client.post("/v1/documents", files=[("files", (f"{i}.txt", b"x", "text/plain"))
                                               for i in range(21)])
    assert many.status_code == 413 and "at most 20" in many.json()["detail"]
    assert client.get("/v1/jobs/nope").status_code == 404


def test_openai_client_plain_and_streaming(live: LiveServer) -> None:
    client = openai.OpenAI(base_url=f"{live.url}/v1", api_key="reader1")
    assert [m.id for m in client.models.list().data] == ["council-assistant"]
    reply = client.chat.completions.create(model="council-assistant", messages=[
        {"role": "user", "content": "What case management system does the London CRC use?"}])
    content = reply.choices[0].message.content
    assert "Omnia" in content and "Sources:" in content
    assert reply.model_extra["citations"][0]["quote"]
    stream = client.chat.completions.create(model="council-assistant", stream=True, messages=[
        {"role": "user", "content": "What does BOOST stand for?"}])
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert "Burnt Oak Opportunity Support Team" in streamed


def test_serve_refuses_public_address_without_keys(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "assistant", "serve", "--host", "0.0.0.0",
                             "--index", str(tmp_path)], capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and "without API keys" in result.stderr


def test_queries_keep_answering_while_an_upload_is_ingested(live: LiveServer) -> None:
    writer = live.client("writer1")
    statuses: list[int] = []
    done = threading.Event()

    def ask_repeatedly() -> None:
        with live.client("reader1") as reader:
            while not done.is_set():
                statuses.append(reader.post("/v1/search", json={"query": "probation"}).status_code)

    threads = [threading.Thread(target=ask_repeatedly) for _ in range(3)]
    for thread in threads:
        thread.start()
    text = "\n\n".join(f"Item {i}. The Harbour Board noted berth {i} repairs." for i in range(200))
    created = writer.post("/v1/documents", files=[("files", ("harbour.txt", text.encode()))])
    job = wait_for_job(writer, created.json()["job_id"])
    done.set()
    for thread in threads:
        thread.join()
    assert job["files"][0]["status"] == "added"
    assert statuses and set(statuses) == {200}
    found = writer.post("/v1/search", json={"query": "Harbour Board berth repairs"}).json()
    assert found["results"][0]["doc_id"] == "harbour"


def test_key_parsing_from_variable_and_file(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text("# officers\nofficer9=read+write\n")
    keys = parse_keys("k1=read, k2=read+write+restricted", keys_file)
    assert keys == {"k1": {"read"}, "k2": {"read", "write", "restricted"},
                    "officer9": {"read", "write"}}
    with pytest.raises(ValueError, match="scopes from read, write, restricted"):
        parse_keys("k3=admin")


def test_rate_limit_per_key_answers_429_with_retry_after(seed_index: Settings,
                                                          tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    settings = private_copy(seed_index, tmp_path, rate_limit="3/minute")
    client = TestClient(create_app(settings, "ka=read,kb=read"))
    first, second = {"Authorization": "Bearer ka"}, {"Authorization": "Bearer kb"}
    assert [client.get("/v1/facets", headers=first).status_code for _ in range(3)] == [200] * 3
    refused = client.get("/v1/facets", headers=first)
    assert refused.status_code == 429 and 0 < int(refused.headers["retry-after"]) <= 60
    assert "ASSISTANT_RATE_LIMIT" in refused.json()["detail"]
    assert client.get("/v1/facets", headers=second).status_code == 200  # per key
    assert 'assistant_rate_limited_total{scope="api"} 1.0' in client.get("/metrics").text


def test_full_upload_queue_answers_429(seed_index: Settings, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    settings = private_copy(seed_index, tmp_path, upload_queue=1)
    app = create_app(settings, "w=read+write")
    facade = app.state.assistant_state.facade
    started, release = threading.Event(), threading.Event()
    ingest = facade.ingest

    def held(*args: object, **kwargs: object) -> object:  # the worker waits here
        started.set()
        assert release.wait(60)
        return ingest(*args, **kwargs)

    monkeypatch.setattr(facade, "ingest", held)
    client = TestClient(app, headers={"Authorization": "Bearer w"})

    def upload(n: int) -> httpx.Response:
        return client.post("/v1/documents", files=[("files", (f"n{n}.txt", f"Note {n}.".encode()))])

    running = upload(1)
    assert running.status_code == 202 and started.wait(30)
    waiting = upload(2)
    assert waiting.status_code == 202
    refused = upload(3)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    release.set()
    for job in (running, waiting):
        assert wait_for_job(client, job.json()["job_id"])["files"][0]["status"] == "added"


def test_a_streamed_reply_gives_its_statements_once_then_notices_and_sources() -> None:
    from assistant.schema import Answer, Citation
    from assistant.server.routes import _completion_chunks

    citation = Citation(n=1, doc_id="wd", title="West Dereham minutes", quote="The hall roof.",
                        start=0, end=14, score=1.0)
    answer = Answer(answer="The hall roof was mended [1].", answerable=True,
                    conversation_id="c", citations=[citation], mode="generated",
                    read_as="What did they say about the pond?", unmentioned=["pond"])
    events = iter([("delta", "The hall roof was mended [1]."), ("answer", answer)])
    chunks = [json.loads(line.removeprefix("data: "))
              for line in _completion_chunks("id", 0, events) if line != "data: [DONE]\n\n"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text.count("The hall roof was mended [1].") == 1
    assert text.startswith("The hall roof was mended [1].\nRead as: “What did they say about")
    assert "never mention “pond”" in text and text.index("pond”") < text.index("Sources:")
    assert text.endswith("[1] West Dereham minutes: “The hall roof.”")
