"""The word tokenizer agrees with the FTS5 keyword index on what a word is and its stem."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import CORPUS, SHARED

from assistant.text import FTS_TOKENIZER, content_terms, stem, stems, tokens


def fts_terms(*texts: str) -> set[str]:
    """What SQLite's FTS5 index, as the store creates it, holds for these texts."""
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{FTS_TOKENIZER}')")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    conn.executemany("INSERT INTO t (x) VALUES (?)", [(t,) for t in texts])
    return {row[0] for row in conn.execute("SELECT term FROM v")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Councillor Müller", ["councillor", "muller"]),
    ("the café on the green", ["the", "cafe", "on", "the", "green"]),
    ("Ysgol Gymraeg Llundain", ["ysgol", "gymraeg", "llundain"]),
    ("Llanfair Pwllgwyngyll", ["llanfair", "pwllgwyngyll"]),
    ("51% of respondents", ["51", "of", "respondents"]),
    ("a £1.2m grant", ["a", "1", "2m", "grant"]),
    ("the S.106 agreement", ["the", "s", "106", "agreement"]),
    ("Ŵyddgrug and Dinbych-y-Pysgod", ["wyddgrug", "and", "dinbych", "y", "pysgod"]),
])
def test_tokens_are_letters_of_any_script_folded(text: str, expected: list[str]) -> None:
    assert tokens(text) == expected
    assert {stem(t) for t in tokens(text)} == fts_terms(text)


def test_stems_are_the_index_stems() -> None:
    assert stem("inspections") == stem("inspected") == "inspect"
    assert stem("owned") == stem("owns") == "own"
    assert stem("analogies") == "analog"  # SQLite's porter, not Snowball's ("analog" vs "analogi")
    assert stem("is") == "is"  # words under three letters are left alone, as FTS5 does
    assert stems(["councillors", "Müller"]) == ["councillor", "muller"]


def test_content_terms_drop_stop_words_and_possessives() -> None:
    assert content_terms("What did the CRC's inspectors say about 51% of users?") == [
        "crc", "inspectors", "51", "users"]
    assert content_terms("Café Müller’s licence") == ["cafe", "muller", "licence"]
    # which way a vote went is what a question about it asks
    assert content_terms("How many voted against it?") == ["many", "voted", "against"]


def test_every_word_of_real_documents_stems_as_the_index_does() -> None:
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(CORPUS.iterdir())]
    council = SHARED / "bench" / "real-council"
    texts += [p.read_text(encoding="utf-8", errors="replace")
              for p in sorted(council.glob("*.*")) if p.suffix in (".md", ".html", ".xml")]
    ours = {stem(t) for text in texts for t in tokens(text)}
    assert len(ours) > 1000
    assert ours == fts_terms(*texts)
