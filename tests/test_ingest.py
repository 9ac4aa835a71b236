"""Ingestion end to end with the real model: seeds, PDFs, re-ingest, update, delete, crashes."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PDF_SAMPLES, SHARED, cli

from assistant.config import Settings
from assistant.errors import IndexMismatch
from assistant.ingest import CACHE_BATCH, embedder_for, ingest, open_index, remove
from assistant.store.vector_cache import CACHE_FILE

CLI = [sys.executable, "-m", "assistant"]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def index_state(settings: Settings) -> dict[str, object]:
    index = open_index(settings)
    try:
        stats = index.stats()
        hits = index.keyword_search("Omnia case management", 3)
        return {"documents": stats["documents"], "chunks": stats["chunks"],
                "vectors": stats["vectors"], "generation": stats["generation"],
                "omnia": bool(hits)}
    finally:
        index.close()


def test_seed_corpus_lands_with_metadata_and_exact_offsets(seed_index: Settings) -> None:
    index = open_index(seed_index)
    stats = index.stats()
    assert stats["documents"] == 5
    assert stats["chunks"] == stats["vectors"] > 20
    # the index records the model and, when not torch's own vectors, the backend
    assert stats["model"] == embedder_for(seed_index).name
    assert stats["model"].startswith("sentence-transformers/all-MiniLM-L6-v2")
    decision = index.document("000_e8fa5ca575a63cad")
    assert (decision.doc_type, decision.committee, decision.meeting_date) == (
        "decision", "Safer Stronger Communities Select Committee", "2018-12-19")
    assert decision.decision_status == "Recommendations Approved"
    assert index.document("002_1c09857bd252f741").doc_type == "news"
    for document in index.documents():
        chunks = index.chunks_of(document.doc_id)
        assert chunks, document.doc_id
        for chunk in chunks:
            assert document.text[chunk.start:chunk.end] == chunk.text
    index.close()


def test_reingest_embeds_nothing(seed_index: Settings, tmp_path: Path) -> None:
    settings = seed_index.model_copy(update={"index": tmp_path / "index"})
    shutil.copytree(seed_index.index, settings.index)
    before = index_state(settings)
    report = ingest([Path(__file__).parents[1] / "corpus"], settings)
    assert len(report.unchanged) == 5 and not report.added and not report.updated
    assert report.chunks_embedded == 0
    assert index_state(settings) == before


def test_changed_file_replaces_its_chunks_and_remove_deletes(store_settings: Settings,
                                                            corpus_copy: Path) -> None:
    settings = store_settings
    ingest([corpus_copy], settings)
    before = index_state(settings)
    target = corpus_copy / "003_838ef0023b3293d1.txt"
    target.write_text(target.read_text() + "\n\nThe zebra crossing on Quayside was approved.\n")
    report = ingest([corpus_copy], settings)
    assert [r.doc_id for r in report.updated] == ["003_838ef0023b3293d1"]
    assert len(report.unchanged) == 4
    index = open_index(settings)
    assert index.keyword_search("zebra Quayside", 5)
    stats = index.stats()
    assert stats["chunks"] == stats["vectors"] >= before["chunks"]  # type: ignore[operator]
    index.close()
    removed, missing = remove(["003_838ef0023b3293d1", "no-such-doc"], settings)
    assert (removed, missing) == (["003_838ef0023b3293d1"], ["no-such-doc"])
    index = open_index(settings)
    assert not index.keyword_search("zebra Quayside", 5)
    assert index.stats()["chunks"] == index.stats()["vectors"]
    index.close()


def test_prune_drops_documents_whose_files_are_gone(store_settings: Settings,
                                                    corpus_copy: Path) -> None:
    settings = store_settings
    ingest([corpus_copy], settings)
    (corpus_copy / "002_1c09857bd252f741.txt").unlink()
    report = ingest([corpus_copy], settings, prune=True)
    assert report.removed == ["002_1c09857bd252f741"]
    assert index_state(settings)["documents"] == 4


def test_pdf_samples_each_ingest_or_give_a_reason(hashing_settings: Settings) -> None:
    settings = hashing_settings.model_copy(update={"ocr": False})  # OCR has its own test
    if not PDF_SAMPLES.is_dir():
        pytest.skip("shared PDF samples are not beside this checkout")
    report = ingest([PDF_SAMPLES], settings)
    reasons = {Path(r.path).name: r.reason for r in report.failed}
    assert "encrypted" in reasons["libreoffice-writer-password.pdf"]
    for scanned in ("cmyk-image.pdf", "grayscale-image.pdf", "imagemagick-ASCII85Decode.pdf",
                    "imagemagick-CCITTFaxDecode.pdf", "imagemagick-lzw.pdf"):
        assert "looks scanned" in reasons[scanned]
    assert set(reasons) == {"libreoffice-writer-password.pdf", "cmyk-image.pdf",
                            "grayscale-image.pdf", "imagemagick-ASCII85Decode.pdf",
                            "imagemagick-CCITTFaxDecode.pdf", "imagemagick-lzw.pdf"}
    index = open_index(settings)
    landed = {Path(d.source).name: d for d in index.documents()}
    assert len([n for n in landed if n.endswith(".pdf")]) == 22
    four = landed["pdflatex-4-pages.pdf"]
    assert len(four.page_starts) == 4
    for chunk in index.chunks_of(four.doc_id):
        assert four.text[chunk.start:chunk.end] == chunk.text
        assert chunk.page_start == four.page_at(chunk.start)
        assert chunk.page_end == four.page_at(chunk.end - 1)
    index.close()


def test_bad_files_are_reported_and_the_rest_land_cli(tmp_path: Path) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "corpus" / "003_838ef0023b3293d1.txt", folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "notes.pdf").write_text("Plain notes from the ward forum about street lighting.")
    (folder / "garbage.bin").write_bytes(bytes(range(256)) * 16)
    (folder / "latin.txt").write_bytes("Caf\xe9 licence renewed for Mr M\xfcller.".encode("latin-1"))
    (folder / "huge.txt").write_text("council " * 300_000)
    index = tmp_path / "index"
    result = cli("ingest", str(folder), "--index", str(index), "--json", "--max-file-mb", "1")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    failed = {Path(r["path"]).name: r["reason"] for r in report["failed"]}
    assert set(failed) == {"empty.txt", "garbage.bin", "huge.txt"}
    assert "empty" in failed["empty.txt"]
    assert "binary" in failed["garbage.bin"]
    assert "limit" in failed["huge.txt"]
    added = {Path(r["path"]).name for r in report["added"]}
    assert added == {"003_838ef0023b3293d1.txt", "notes.pdf", "latin.txt"}
    assert all(set(r) >= {"path", "doc_id"} for r in report["added"])
    stats = json.loads(cli("stats", "--index", str(index), "--json").stdout)
    assert stats["documents"] == 3 and stats["dimension"] == 384
    assert {"documents", "chunks", "model", "dimension"} <= set(stats)


def test_model_mismatch_fails_clearly(seed_index: Settings, tmp_path: Path) -> None:
    copy = tmp_path / "index"
    shutil.copytree(seed_index.index, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest.update(model="intfloat/e5-large-v2", dimension=1024)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatch, match="Rebuild it"):
        open_index(seed_index.model_copy(update={"index": copy}))
    result = cli("stats", "--index", str(copy))
    assert result.returncode == 2
    assert "built with model intfloat/e5-large-v2" in result.stderr
    manifest.update(model="sentence-transformers/all-MiniLM-L6-v2", dimension=384,
                    format_version=99)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert "format version 99" in cli("stats", "--index", str(copy)).stderr


def test_missing_index_and_bad_arguments_exit_2(tmp_path: Path) -> None:
    result = cli("stats", "--index", str(tmp_path / "nothing"))
    assert result.returncode == 2 and "no index at" in result.stderr
    assert cli("ingest").returncode == 2
    assert cli("show", "nope", "--index", str(tmp_path / "nothing")).returncode == 2


@pytest.mark.parametrize("fault", ["after_vectors_saved", "after_commit"])
def test_crash_during_commit_leaves_a_complete_index(hashing_settings: Settings, tmp_path: Path,
                                                     fault: str) -> None:
    # the commit's machinery is under test, not the model: the hashing encoder keeps the
    # crashing subprocess quick
    settings = hashing_settings
    ingest([Path(__file__).parents[1] / "corpus"], settings)
    before = index_state(settings)
    extra = tmp_path / "extra.txt"
    extra.write_text("The Licensing Committee approved the new taxi tariff in March.")
    hashing = {"ASSISTANT_MODEL": settings.model}
    crashed = run_cli("ingest", str(extra), "--index", str(settings.index),
                      env={"ASSISTANT_FAULT": fault, **hashing})
    assert crashed.returncode == 99
    after = index_state(settings)
    if fault == "after_vectors_saved":
        assert after == before  # the new generation never committed
    else:
        assert after["documents"] == before["documents"] + 1  # type: ignore[operator]
        assert after["chunks"] == after["vectors"]
    finished = run_cli("ingest", str(extra), "--index", str(settings.index), "--json", env=hashing)
    assert finished.returncode == 0
    assert index_state(settings)["documents"] == before["documents"] + 1  # type: ignore[operator]


def test_a_killed_ingest_leaves_the_index_usable_and_the_rerun_embeds_only_what_was_left(
        store_settings: Settings, tmp_path: Path) -> None:
    # the kill and the resume are under test, not the model: the hashing encoder with small
    # chunks gives a long ingest (thousands of chunks of QMSum transcripts) in a few seconds
    transcripts = SHARED / "bench" / "qmsum-committee" / "documents.jsonl"
    if not transcripts.is_file():
        pytest.skip("QMSum documents are not beside this checkout")
    documents = tmp_path / "transcripts.jsonl"  # six of them: about 4,000 small chunks
    documents.write_text("".join(transcripts.read_text().splitlines(keepends=True)[:6]))
    settings = store_settings.model_copy(update={"chunk_tokens": 32})
    env = {**os.environ, "ASSISTANT_MODEL": settings.model, "ASSISTANT_CHUNK_TOKENS": "32"}
    ingest([Path(__file__).parents[1] / "corpus"], settings)
    before = index_state(settings)
    process = subprocess.Popen([*CLI, "ingest", str(documents), "--index", str(settings.index)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    pending = settings.index / CACHE_FILE
    kept = 0
    while process.poll() is None and kept < CACHE_BATCH:  # poll until a batch is kept
        if pending.is_file():
            with contextlib.suppress(sqlite3.Error):
                conn = sqlite3.connect(f"file:{pending}?mode=ro", uri=True)
                kept = conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
                conn.close()
    assert process.poll() is None, "the ingest finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert index_state(settings) == before  # queries still see the last complete state
    index = open_index(settings)
    query = embedder_for(settings).encode(["probation inspection"])[0]
    assert len(index.vector_search(query, 3)) == 3
    index.close()
    report = ingest([documents], settings)  # the same command again
    assert report.chunks_reused >= CACHE_BATCH
    total = report.chunks_reused + report.chunks_embedded
    assert total == index_state(settings)["chunks"] - before["chunks"]  # type: ignore[operator]
    assert report.chunks_embedded < total
    assert not pending.exists()  # committed: nothing is left pending


def test_a_chunk_text_repeated_in_one_run_is_embedded_once_and_not_called_resumed(
        hashing_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # two reports share a boilerplate paragraph; each file is embedded in its own group
    monkeypatch.setattr("assistant.ingest.EMBED_GROUP", 1)
    boilerplate = ("Ofsted regulates and inspects to achieve excellence in the care of children "
                   "and young people, and in education and skills for learners of all ages.")
    folder = tmp_path / "reports"
    folder.mkdir()
    for place in ("Barsetshire", "Wessex"):
        (folder / f"{place}.txt").write_text(
            f"Inspection of {place}\n\n" + f"Leaders in {place} know their services well. " * 4
            + f"\n\n{boilerplate}\n")
    settings = hashing_settings.model_copy(update={"parse_workers": 0, "chunk_tokens": 32})
    report = ingest([folder], settings)
    assert report.chunks_reused == 0  # no run was stopped
    assert report.chunks_repeated >= 1
    assert report.as_json()["chunks_repeated"] == report.chunks_repeated
    chunks = index_state(settings)["chunks"]
    assert report.chunks_embedded + report.chunks_repeated == chunks


def test_an_image_only_pdf_is_read_by_ocr_and_found_by_search(hashing_settings: Settings,
                                                              tmp_path: Path) -> None:
    import io

    import pypdfium2

    source = SHARED / "bench" / "real-council" / "merton_audit_committee_2009-10-22_agenda_pack.pdf"
    if not source.is_file():
        pytest.skip("real-council documents are not beside this checkout")
    if shutil.which("tesseract") is None:
        pytest.skip("Tesseract is not installed (apt-get install tesseract-ocr)")
    page = pypdfium2.PdfDocument(source.read_bytes())[2].render(scale=150 / 72).to_pil()
    top = page.crop((0, 0, page.width, page.height * 2 // 5)).convert("RGB")  # a quicker OCR
    scan = io.BytesIO()
    top.save(scan, format="PDF")  # an image and no text layer, as a scanner makes
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "scanned-minutes.pdf").write_bytes(scan.getvalue())
    assert cli("ingest", str(tmp_path / "docs"), "--index", str(hashing_settings.index)
               ).returncode == 0
    found = json.loads(cli("search", "Dave Roberts Chairman Angela Caldara", "--json", "-k", "1",
                           "--index", str(hashing_settings.index)).stdout)["results"]
    assert "Dave Roberts (Chairman)" in found[0]["text"]
    shown = json.loads(cli("show", found[0]["doc_id"], "--json", "--no-text",
                           "--index", str(hashing_settings.index)).stdout)
    assert shown["extra"]["ocr_pages"] == [1]


def test_a_worker_that_dies_leaves_its_files_to_be_parsed_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant import parsing

    parent = os.getpid()
    real = parsing.load_path

    def crashing(path: Path, *args: object) -> object:
        if path.name == "crash.txt" and os.getpid() != parent:
            os._exit(1)  # a parser that takes its worker down with it
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(parsing, "load_path", crashing)
    files = []
    for name in ("a", "b", "crash", "d", "e", "f"):
        files.append(tmp_path / f"{name}.txt")
        files[-1].write_text(f"Minutes of meeting {name}. The committee agreed item {name}.")
    options = parsing.ParseOptions(1_000_000, None, False)
    loaded = list(parsing.load_files(files, options, workers=2))
    assert [path for path, _ in loaded] == files
    assert all(docs and docs[0].parsed is not None for _, docs in loaded)


def test_a_script_without_a_main_guard_can_ingest_with_workers(tmp_path: Path) -> None:
    for n in range(6):
        (tmp_path / f"minutes-{n}.txt").write_text(f"The council agreed budget item {n}.")
    script = tmp_path / "script.py"
    script.write_text(
        "from pathlib import Path\nfrom assistant.config import Settings\n"
        "from assistant.ingest import ingest\n"
        f"report = ingest([Path({str(tmp_path)!r})], Settings(index=Path({str(tmp_path)!r}) / "
        "'index', model='hashing', progress=False, parse_workers=2))\n"
        "print(len(report.added), len(report.failed))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["7", "0"]  # six minutes and the script itself
