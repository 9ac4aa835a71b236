"""Holes found by probing the service as an attacker or a careless user would, each
reproduced as it was found: restricted text through a shared file, one bad DOCX stopping a
batch, unbounded chunked bodies, restricted documents made public by re-upload, an unpaired
surrogate, and conversations read with another key."""

from __future__ import annotations

import io
import json
import select
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from conftest import private_copy
from test_server import KEYS, SECRET, LiveServer, serve_copy, wait_for_job

from assistant.chunking import chunk_text
from assistant.cli import main
from assistant.config import Settings
from assistant.errors import RESTRICTED_WRITE
from assistant.ingest import ingest


@pytest.fixture(scope="module")
def live(seed_store: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve_copy(seed_store, tmp_path_factory.mktemp("probed"), KEYS)


def _word_file(text: str) -> bytes:
    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _broken_word_file() -> bytes:
    """A real DOCX whose word/document.xml is not well-formed XML."""
    source = zipfile.ZipFile(io.BytesIO(_word_file("Fine text.")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = data[: len(data) // 2]  # cut mid-element
            target.writestr(item, data)
    return out.getvalue()


def test_file_of_a_jsonl_record_never_carries_the_other_records(
        seed_index: Settings, tmp_path: Path) -> None:
    settings = private_copy(seed_index, tmp_path)
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in (
        {"doc_id": "public-notice", "title": "Public notice",
         "text": "The library opens on Saturdays from March."},
        {"doc_id": "exempt-item", "title": "Exempt item", "meta": {"restricted": True},
         "text": f"Exempt report. The {SECRET} was agreed in closed session."})) + "\n")
    report = ingest([records], settings)
    assert not report.failed and len(report.added) == 2
    server = LiveServer(settings, KEYS)
    try:
        reader, boss = server.client("reader1"), server.client("boss1")
        public = reader.get("/v1/documents/public-notice/file")
        assert public.status_code == 200 and "Saturdays" in public.text
        assert "Marbleway" not in public.text and "exempt-item" not in public.text
        assert reader.get("/v1/documents/exempt-item/file").status_code == 404
        exempt = boss.get("/v1/documents/exempt-item/file")
        assert SECRET in exempt.json()["text"] and "Saturdays" not in exempt.text
    finally:
        server.stop()


def test_one_malformed_docx_is_reported_and_the_rest_of_the_batch_lands(
        settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "broken.docx").write_bytes(_broken_word_file())
    (folder / "good.docx").write_bytes(_word_file("The precept for 2020/21 was set at £12,000."))
    (folder / "notes.txt").write_text("The parish clerk will order two new benches.")
    assert main(["ingest", str(folder), "--index", str(settings.index)]) == 1  # some failed
    out = capsys.readouterr()
    assert "2 added" in out.out and "1 failed" in out.out
    assert "broken.docx" in out.out + out.err and "damaged" in out.out + out.err
    assert "Traceback" not in out.out + out.err


def test_malformed_docx_fails_alone_in_an_upload_job(live: LiveServer) -> None:
    writer = live.client("writer1")
    created = writer.post("/v1/documents", files=[
        ("files", ("broken.docx", _broken_word_file())),
        ("files", ("benches.txt", b"The parish clerk will order two new oak benches."))])
    job = wait_for_job(writer, created.json()["job_id"])
    broken, benches = job["files"]
    assert job["status"] == "done"
    assert broken["status"] == "failed" and "damaged" in broken["reason"]
    assert benches["status"] == "added"


def _raw_request(port: int, head: str, chunks: int, chunk: bytes) -> tuple[bytes, int]:
    """Send a request with a chunked body, a piece at a time, until the server answers;
    returns the response's first bytes and how many body bytes were sent."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode())
        for _ in range(chunks):
            if select.select([sock], [], [], 0)[0]:
                break  # the server has answered: stop sending
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        sock.settimeout(30)
        response = b""
        try:
            while b"\r\n\r\n" not in response:
                piece = sock.recv(65536)
                if not piece:
                    break
                response += piece
            response += sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            pass
    return response, sent


def _chunked_head(path: str, key: str | None) -> str:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Transfer-Encoding: chunked\r\n{auth}\r\n")


def test_chunked_body_is_cut_off_at_the_limit(live: LiveServer) -> None:
    port = int(live.url.rsplit(":", 1)[1])
    piece = b"[" + b"1," * 500_000  # 1 MB of a JSON array that never ends
    response, sent = _raw_request(port, _chunked_head("/v1/chat", "reader1"), 300, piece)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"byte limit" in response
    assert sent < 20_000_000  # refused after about 1 MB, not after 300 MB


def test_key_is_checked_before_a_body_is_read(live: LiveServer) -> None:
    port = int(live.url.rsplit(":", 1)[1])
    response, sent = _raw_request(port, _chunked_head("/v1/chat", None), 100, b" " * 1_000_000)
    assert response.startswith(b"HTTP/1.1 401"), response[:200]
    assert sent < 20_000_000


def test_validation_errors_never_echo_the_input(live: LiveServer) -> None:
    client = live.client("reader1")
    marker = "Quillfeather" * 80
    too_long = client.post("/v1/chat", json={"message": marker * 3})
    assert too_long.status_code == 422 and "Quillfeather" not in too_long.text
    assert len(too_long.content) < 2000
    extra = client.post("/v1/search", json={"query": "x", "k": marker})
    assert extra.status_code == 422 and "Quillfeather" not in extra.text


def test_unpaired_surrogate_is_a_422_and_the_connection_survives(live: LiveServer) -> None:
    with live.client("reader1") as client:
        for path, body in (("/v1/chat", b'{"message": "\\ud800"}'),
                           ("/v1/search", b'{"query": "rent \\udfff"}'),
                           ("/v1/chat/completions",
                            b'{"messages": [{"role": "user", "content": "\\ud800 hi"}]}')):
            response = client.post(path, content=body,
                                   headers={"content-type": "application/json"})
            assert response.status_code == 422, (path, response.text)
            assert "Unicode" in response.text or "unicode" in response.text
        assert client.post("/v1/search", json={"query": "Omnia"}).status_code == 200


def test_write_key_cannot_make_a_restricted_document_public(live: LiveServer) -> None:
    boss, writer, reader = live.client("boss1"), live.client("writer1"), live.client("reader1")
    data = f"Closed session. The {SECRET} terms were noted.".encode()
    created = boss.post("/v1/documents", data={"restricted": "true"},
                        files=[("files", ("closed-session.txt", data))])
    doc_id = wait_for_job(boss, created.json()["job_id"])["files"][0]["doc_id"]
    assert reader.get(f"/v1/documents/{doc_id}").status_code == 404

    again = writer.post("/v1/documents", data={"restricted": "false"},
                        files=[("files", ("closed-session.txt", data))])
    assert again.status_code == 403 and "restricted" in again.json()["detail"]
    marking = writer.post("/v1/documents", data={"restricted": "true"},
                          files=[("files", ("other.txt", b"Some other text."))])
    assert marking.status_code == 403
    assert reader.get(f"/v1/documents/{doc_id}").status_code == 404
    assert boss.get(f"/v1/documents/{doc_id}").json()["restricted"] is True
    assert writer.delete(f"/v1/documents/{doc_id}").status_code == 404


def test_ingest_without_the_scope_refuses_to_change_restricted_documents(
        settings: Settings, tmp_path: Path) -> None:
    paper = tmp_path / "paper.txt"
    paper.write_text("Exempt paper. The depot lease terms were noted.")
    paper.with_name("paper.txt.meta.json").write_text(json.dumps({"restricted": True}))
    assert len(ingest([paper], settings).added) == 1
    paper.with_name("paper.txt.meta.json").write_text(json.dumps({"restricted": False}))
    report = ingest([paper], settings, may_change_restricted=False)
    assert [r.reason for r in report.failed] == [RESTRICTED_WRITE]
    assert len(ingest([paper], settings).updated) == 1  # the operator may


def test_failed_upload_leaves_nothing_behind(live: LiveServer, seed_index: Settings) -> None:
    writer = live.client("writer1")
    created = writer.post("/v1/documents", files=[("files", ("blank.txt", b"   \n"))])
    job = wait_for_job(writer, created.json()["job_id"])
    assert job["files"][0]["status"] == "failed"
    uploads = Path(live.server.config.app.state.assistant_state.settings.index) / "uploads"
    assert not [p for p in uploads.rglob("blank.txt*")]


def test_conversation_belongs_to_the_key_that_started_it(live: LiveServer) -> None:
    boss, reader = live.client("boss1"), live.client("reader1")
    question = "Who gets the Quillfeather depot lease?"
    conversation = boss.post("/v1/chat", json={"message": question}).json()["conversation_id"]
    assert boss.get(f"/v1/conversations/{conversation}").json()["turns"][0]["question"] == question
    seen = reader.get(f"/v1/conversations/{conversation}")
    assert seen.status_code == 404 and "Quillfeather" not in seen.text
    continued = reader.post("/v1/chat", json={"message": "Who else?",
                                              "conversation_id": conversation})
    assert continued.status_code == 404 and "Quillfeather" not in continued.text


def test_a_huge_line_is_tokenized_in_bounded_pieces() -> None:
    words = ("the council agreed the parish budget for the next year " * 40_000).strip()
    longest: list[int] = []

    def count(texts: list[str]) -> list[int]:
        longest.append(max(len(t) for t in texts))
        return [len(t.split()) for t in texts]

    chunks = chunk_text("d", words, count, max_tokens=200)
    assert max(longest) <= 200 * 16  # never the whole 2 MB line at once
    assert chunks[0].start == 0 and chunks[-1].end == len(words)
    assert all(len(c.text.split()) <= 210 for c in chunks)  # cut by length, so about 200
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))



def test_same_failing_file_twice_in_one_upload_keeps_the_worker_alive(live: LiveServer) -> None:
    writer = live.client("writer1")
    twice = [("files", ("files", b" ")), ("files", ("files", b" "))]  # found by the fuzzer
    job = wait_for_job(writer, writer.post("/v1/documents", files=twice).json()["job_id"])
    assert [f["status"] for f in job["files"]] == ["failed", "failed"]
    later = writer.post("/v1/documents", files=[("files", ("later.txt", b"The ferry runs daily."))])
    assert wait_for_job(writer, later.json()["job_id"])["files"][0]["status"] == "added"


def test_restricted_chunks_crowding_the_top_are_still_excluded(store_settings: Settings,
                                                                tmp_path: Path) -> None:
    from assistant.records import Filters
    from assistant.service import Assistant

    folder = tmp_path / "docs"
    folder.mkdir()
    for n in range(150):  # far more restricted passages on the topic than a search fetches
        (folder / f"exempt-{n}.txt").write_text(f"Quillfeather depot lease terms, offer {n}.")
        (folder / f"exempt-{n}.txt.meta.json").write_text(json.dumps({"restricted": True}))
    (folder / "public.txt").write_text("The depot on Quillfeather Lane needs a new roof.")
    assistant = Assistant(store_settings)
    try:
        assert len(assistant.ingest([folder]).added) == 151
        found = assistant.search("Quillfeather depot lease terms", 8, Filters())
        assert [p.doc_id for p in found] == ["public"]
        allowed = assistant.search("Quillfeather depot lease terms", 8,
                                   Filters(include_restricted=True))
        assert len(allowed) == 8 and "public" not in [p.doc_id for p in allowed[:3]]
    finally:
        assistant.close()


def test_a_failing_file_sent_again_before_its_first_job_ran_is_there_for_the_second(
        tmp_path: Path) -> None:
    import threading

    from assistant.records import FileResult, IngestReport
    from assistant.server.jobs import JobQueue

    release = threading.Event()

    class HeldIngest:
        """Ingestion that waits for the test, then fails each file for what it finds (the
        component under test is the queue's handling of the uploads folder)."""

        settings = Settings(index=tmp_path / "index", progress=False)

        def ingest(self, paths: list[Path], may_change_restricted: bool = False) -> IngestReport:
            release.wait(10)
            return IngestReport(failed=[FileResult(str(p), reason="empty file" if p.exists()
                                                   else "no such file") for p in paths])

    jobs = JobQueue(HeldIngest())  # type: ignore[arg-type]
    first = jobs.submit([("blank.txt", b" ")], {})
    second = jobs.submit([("blank.txt", b" ")], {})  # the same bytes, the same name
    release.set()
    for job in (first, second):
        for _ in range(200):
            if jobs.status(job.job_id)["status"] == "done":  # type: ignore[index]
                break
            threading.Event().wait(0.05)
    assert [f["reason"] for f in first.files + second.files] == ["empty file", "empty file"]
    assert not list((tmp_path / "index" / "uploads").rglob("blank.txt*"))  # then it goes
