"""An answer as plain text with its sources under it (OpenAI-compatible replies)."""

from __future__ import annotations

from ..schema import Answer
from .common import notices


def render_plain(answer: Answer) -> str:
    """The answer as plain text with its sources listed under it."""
    lines = [*notices(answer), answer.answer, "",
             "Sources:" if answer.answerable else "Possibly related:"]
    for c in answer.citations:
        where = ", ".join(x for x in (c.committee, c.meeting_date,
                                      f"p. {c.page}" if c.page else None) if x)
        quote = " ".join(c.quote.split())
        lines.append(f"[{c.n}] {c.title or c.doc_id}" + (f" ({where})" if where else "")
                     + f": “{quote}”")
    return "\n".join(lines)
