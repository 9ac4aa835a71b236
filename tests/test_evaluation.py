"""`assistant eval` over a user's own documents and questions, and how it reads their files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import cli

from assistant.errors import BadEvaluationFile
from assistant.evaluation import read_conversations, read_questions

MINUTES = """# Ashby Parva Parish Council

Minutes of the meeting held on Tuesday 4 March 2025 at the Village Hall.

Present: Cllr J Hart (Chair), Cllr P Owen, Cllr S Lee.

1. Internal audit. The council appointed Max Bergin as internal auditor for 2024/25.

2. Play area. Councillors agreed to replace the swings at a cost of £2,400.

3. Next meeting: Tuesday 1 April 2025 at 7.30pm.
"""


def _lines(path: Path, *items: object) -> Path:
    path.write_text("".join(json.dumps(item) + "\n" for item in items), encoding="utf-8")
    return path


def _question(qid: str, question: str, keys: list[list[str]], answerable: bool = True,
              spans: list[str] | None = None) -> dict[str, object]:
    return {"qid": qid, "question": question, "gold_spans": spans or [], "answer_keys": keys,
            "answerable": answerable}


def test_a_questions_file_is_checked_line_by_line(tmp_path: Path) -> None:
    good = _lines(tmp_path / "good.jsonl", _question("q1", "Who is the clerk?", [["Dale"]]),
                  _question("q2", "What is the precept?", [], answerable=False))
    assert [q["qid"] for q in read_questions(good)] == ["q1", "q2"]
    bad = _lines(tmp_path / "bad.jsonl", {"qid": "q1", "question": "Who is the clerk?"},
                 {"qid": "q2", "question": "Who chairs it?", "answer_keys": "Hart",
                  "answerable": "yes"},
                 _question("q2", "When is the next meeting?", [], answerable=False))
    with pytest.raises(BadEvaluationFile) as caught:
        read_questions(bad)
    message = str(caught.value)
    for problem in ("line 1: no 'answer_keys'", "line 1: no 'answerable'",
                    'line 2: "answerable" must be true or false',
                    'line 2: "answer_keys" must be a list of lists',
                    "line 3: qid 'q2' is used on line 2 too",
                    'Each line needs "qid"'):
        assert problem in message
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(_question("q1", "Who?", [["A"]])) + '\n{"qid": "q2", "que\n',
                      encoding="utf-8")
    with pytest.raises(BadEvaluationFile, match=r"line 2: not valid JSON"):
        read_questions(broken)
    with pytest.raises(BadEvaluationFile, match=r"turn 2: no 'answerable'"):
        read_conversations(_lines(tmp_path / "talk.jsonl", {"cid": "c1", "corpus": "seed", "turns": [
            {"question": "Who chairs it?", "answer_keys": [["Hart"]], "answerable": True},
            {"question": "Since when?", "answer_keys": []}]}))


def test_eval_names_a_missing_or_broken_file_before_indexing_anything(tmp_path: Path) -> None:
    index = tmp_path / "index"
    missing = cli("eval", "--skip-qmsum", "--index", str(index), "--real-council-check",
                  str(tmp_path / "nothing.jsonl"))
    assert missing.returncode == 2 and "no file at" in missing.stderr
    assert "--real-council-check" in missing.stderr
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"qid": "q1", "question": "Who?"\n', encoding="utf-8")
    result = cli("eval", "--skip-qmsum", "--index", str(index), "--real-council-check",
                 str(broken))
    assert result.returncode == 2 and "line 1: not valid JSON" in result.stderr
    empty = cli("eval", "--skip-qmsum", "--real-council-corpus", str(tmp_path / "none"))
    assert empty.returncode == 2 and "no documents in" in empty.stderr
    assert not index.exists()


def test_eval_reports_your_questions_over_your_documents(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "ashby_parva_minutes_2025-03-04.md").write_text(MINUTES, encoding="utf-8")
    audit = "The council appointed Max Bergin as internal auditor for 2024/25."
    mine = _lines(tmp_path / "mine.jsonl",
                  _question("m1", "Who was appointed internal auditor for 2024/25?",
                            [["Bergin"]], spans=[audit]),
                  _question("m2", "When is the next meeting?", [["1 April 2025"]],
                            spans=["Next meeting: Tuesday 1 April 2025 at 7.30pm."]))
    dev = _lines(tmp_path / "dev.jsonl", _question(
        "d1", "What did councillors agree about the play area?", [["swings"]]))
    none = tmp_path / "none.jsonl"
    none.write_text("", encoding="utf-8")
    result = cli("eval", "--skip-qmsum", "--json", "--corpus", str(documents),
                 "--seeds", str(dev), "--real-council", str(dev), "--conversations", str(none),
                 "--real-council-corpus", str(documents), "--real-council-check", str(mine))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert "council kept out" in result.stdout
    kept = report["real_council_check"]
    assert kept["questions"] == 2
    assert kept["answer_accuracy"] == 1.0 and kept["citation_accuracy"] == 1.0
