"""Each channel's rendering of one answer, against golden files (a pure function each).

After a deliberate change to a renderer, refresh the files with
`ASSISTANT_UPDATE_GOLDEN=1 pytest tests/test_render.py` and review the diff."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from assistant.render import (
    render_answer,
    render_passages,
    render_plain,
    slack_blocks,
    teams_card,
    teams_text,
)
from assistant.schema import Answer, Citation, SearchResult

GOLDEN = Path(__file__).parent / "golden"
PUBLIC = "https://minutes.example.gov.uk"

ANSWER = Answer(
    answer="The committee approved the *2020/21* precept of £12,000 [1]. It asked the clerk "
           "to order <two> benches [2].",
    answerable=True, conversation_id="c0ffee", read_as="What precept did the committee approve?",
    unmentioned=["reserves"],
    citations=[
        Citation(n=1, doc_id="west-dereham-2019-12-05", title="West Dereham Parish Council minutes",
                 doc_type="minutes", committee="West Dereham Parish Council",
                 meeting_date="2019-12-05", page=2, section="7 Precept 2020/21",
                 quote="The committee approved the *2020/21* precept of £12,000.", start=1200,
                 end=1257, source="/srv/minutes/west-dereham.pdf",
                 url="file:///srv/minutes/west-dereham.pdf#page=2", score=0.91),
        Citation(n=2, doc_id="notes", title=None, doc_type="other", committee=None,
                 meeting_date=None, page=None, section=None,
                 quote="It asked the clerk to order <two> benches & a [bin](http://x).",
                 start=10, end=70, source="upload:notes.txt", url=None, score=0.5,
                 speaker="Cllr Ann Smith"),
    ])
DECLINED = Answer(answer="The documents do not answer this question.", answerable=False,
                  conversation_id="c1", citations=ANSWER.citations[1:],
                  unmentioned=["dog", "fouling", "fines"])
RESULTS = [SearchResult(doc_id="notes", title="Notes", start=0, end=40, page=3, page_end=3,
                        section="Benches", text="The clerk will order two benches.\\nSoon.",
                        score=0.1234, doc_type="other", committee=None, meeting_date=None)]


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False) + "\n"


RENDERINGS = {
    "terminal.txt": lambda: render_answer(ANSWER) + "\n---\n" + render_answer(DECLINED),
    "passages.txt": lambda: render_passages(RESULTS),
    "plain.txt": lambda: render_plain(ANSWER) + "\n---\n" + render_plain(DECLINED),
    "slack.json": lambda: slack_blocks(ANSWER, "a1", PUBLIC),
    "teams-card.json": lambda: teams_card(ANSWER, "a1", PUBLIC),
    "teams.md": lambda: teams_text(ANSWER, PUBLIC),
}


@pytest.mark.parametrize("name", sorted(RENDERINGS))
def test_rendering_matches_its_golden_file(name: str) -> None:
    rendered = _as_text(RENDERINGS[name]())
    golden = GOLDEN / name
    if os.environ.get("ASSISTANT_UPDATE_GOLDEN"):
        golden.write_text(rendered, encoding="utf-8")
    assert rendered == golden.read_text(encoding="utf-8")


def test_renderers_are_pure() -> None:
    before = ANSWER.model_copy(deep=True)
    assert all(_as_text(r()) == _as_text(r()) for r in RENDERINGS.values())
    assert before == ANSWER


def test_the_api_schema_is_the_answer_schema(tmp_path: Path) -> None:
    from assistant.config import Settings
    from assistant.server import create_app

    app = create_app(Settings(index=tmp_path / "index"), "")
    schema = app.openapi()["components"]["schemas"]
    assert set(schema["Citation"]["properties"]) == set(Citation.model_fields)
    assert set(schema["Answer"]["properties"]) == set(Answer.model_fields)
