"""An answer and search results as the command line prints them."""

from __future__ import annotations

from ..schema import Answer, SearchResult
from .common import notices, speaking


def render_answer(answer: Answer) -> str:
    """The answer, then its numbered sources with the exact quoted passages."""
    lines = [*notices(answer), answer.answer, ""]
    lines.append("Sources:" if answer.answerable else "Possibly related:")
    for c in answer.citations:
        where = ", ".join(x for x in (
            c.doc_type, c.committee, f"meeting {c.meeting_date}" if c.meeting_date else None,
            f"p. {c.page}" if c.page else None, f"§ {c.section}" if c.section else None,
            speaking(c)) if x)
        lines.append(f" [{c.n}] {c.title or c.doc_id} ({where})")
        lines.append(f"     “{' '.join(c.quote.split())}”")
        lines.append(f"     {c.url or c.source}  [chars {c.start}-{c.end}]")
    if answer.mode == "generated":
        lines.append("\n(written by a language model; each statement checked against the "
                     f"passages it cites{f', {len(answer.dropped)} left out' if answer.dropped else ''})")
    if answer.note:
        lines.append(f"\n(note: {answer.note})")
    lines.append(f"\n(conversation {answer.conversation_id})")
    return "\n".join(lines)


def render_passages(results: list[SearchResult]) -> str:
    """Ranked passages: title, place, score, section and the start of the text."""
    lines = []
    for i, r in enumerate(results, start=1):
        page = f" p. {r.page}" if r.page else ""
        lines.append(f"{i}. {r.title or r.doc_id} [{r.doc_id} {r.start}-{r.end}{page}] "
                     f"score {r.score:.4f}")
        if r.section:
            lines.append(f"   § {r.section}")
        text = " ".join(r.text.split())
        lines.append("   " + (text[:400] + "…" if len(text) > 400 else text))
    return "\n".join(lines) or "No passages found."
