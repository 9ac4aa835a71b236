"""Chunking: exact offsets, structure-aware sections, whole sentences, page ranges."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS

from assistant.chunking import chunk_text


def words(texts):
    """A deterministic token counter for unit tests: one token per word or punctuation."""
    return [len(re.findall(r"\w+|[^\w\s]", t)) for t in texts]


MINUTES = """Agenda item

Probation reform

The Community Safety Manager presented slides. Case management would be delivered by the NPS from Spring 2021. Programmes will be put out for tender.

7.1       Becky Canning presented her report to the Committee. The Committee asked about staff training.

7.3       RESOLVED:

That the report be noted.
"""


def test_every_chunk_is_an_exact_slice() -> None:
    text = (CORPUS / "002_1c09857bd252f741.txt").read_text()
    chunks = chunk_text("d", text, words, max_tokens=60)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:], strict=False))


@pytest.mark.parametrize("max_tokens", [100, 150, 200])
def test_chunks_respect_the_limit_and_end_on_sentences(max_tokens: int) -> None:
    text = (CORPUS / "004_a352e7ef0d09dbd7.txt").read_text()
    for chunk in chunk_text("d", text, words, max_tokens=max_tokens):
        assert words([chunk.text])[0] <= max_tokens + 2
        assert chunk.text.rstrip()[-1] in ".:;!?”\"’)" or chunk.end == len(text.rstrip())


def test_sections_follow_headings_and_numbered_minutes() -> None:
    chunks = chunk_text("d", MINUTES, words, max_tokens=40)
    sections = [c.section for c in chunks]
    assert any(s and s.endswith("Probation reform") for s in sections)
    assert any(s and "7.1" in s for s in sections)
    spring = next(c for c in chunks if "Spring 2021" in c.text)
    assert "7.1" not in spring.text  # a numbered minute opens a new chunk


def test_abbreviations_do_not_end_sentences() -> None:
    text = "Mr. Smith and Cllr. J. Allen met Dr. Patel. " * 6 + "The end."
    chunks = chunk_text("d", text, words, max_tokens=20)
    for chunk in chunks:
        assert chunk.text.endswith(("Patel.", "end."))


def test_a_sentence_over_the_limit_is_cut_at_spaces() -> None:
    text = " ".join(f"word{i}" for i in range(500)) + "."
    chunks = chunk_text("d", text, words, max_tokens=100)
    assert len(chunks) >= 5
    assert all(not c.text.startswith(" ") and words([c.text])[0] <= 110 for c in chunks)
    assert "".join(c.text + " " for c in chunks).strip() == text


def test_page_ranges_come_from_page_starts() -> None:
    page_one = "First page sentence. " * 30
    page_two = "Second page sentence. " * 30
    text = page_one + "\n\n" + page_two
    chunks = chunk_text("d", text, words, max_tokens=50, page_starts=[0, len(page_one) + 2])
    boundary = len(page_one) + 2
    assert chunks[0].page_start == 1
    assert chunks[-1].page_end == 2
    for chunk in chunks:  # each end is on the page that holds its character
        assert chunk.page_start == (1 if chunk.start < boundary else 2)
        assert chunk.page_end == (1 if chunk.end - 1 < boundary else 2)


def test_overlap_repeats_the_last_sentence() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    plain = chunk_text("d", text, words, max_tokens=30)
    overlapped = chunk_text("d", text, words, max_tokens=30, overlap=1)
    assert len(overlapped) > len(plain)
    assert overlapped[1].start < overlapped[0].end
