"""An answer as plain text with its sources under it (OpenAI-compatible replies)."""

from __future__ import annotations

from ..schema import Answer
from .common import notices, speaking


def render_plain(answer: Answer) -> str:
    """The answer as plain text with its sources listed under it, after its notices."""
    return "\n".join([*notices(answer), plain_body(answer)])


def plain_body(answer: Answer) -> str:
    """The answer's text and its sources, without the notices above them (a streamed reply
    sends the text first and the rest after it)."""
    lines = [answer.answer, "", "Sources:" if answer.answerable else "Possibly related:"]
    for c in answer.citations:
        where = ", ".join(x for x in (c.committee, c.meeting_date,
                                      f"p. {c.page}" if c.page else None, speaking(c)) if x)
        quote = " ".join(c.quote.split())
        lines.append(f"[{c.n}] {c.title or c.doc_id}" + (f" ({where})" if where else "")
                     + f": “{quote}”")
    return "\n".join(lines)
