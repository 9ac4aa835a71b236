"""What every channel's rendering shares: where a source opens and how it is described."""

from __future__ import annotations

from urllib.parse import quote as url_quote

from ..schema import Answer, Citation

QUOTE_CHARS = 600  # a chat source stays readable; the link opens the whole passage


def source_link(citation: Citation, public_url: str | None) -> str | None:
    """Where a source opens: the document's own URL (at the page for PDFs), else the
    passage highlighted in this service's web page when its public URL is known."""
    if citation.url and citation.url.startswith(("http://", "https://")):
        return citation.url
    return passage_link(citation, public_url)


def passage_link(citation: Citation, public_url: str | None) -> str | None:
    """The web page's document view with the passage highlighted."""
    if not public_url:
        return None
    page = f"&page={citation.page}" if citation.page else ""
    return (f"{public_url.rstrip('/')}/#doc={url_quote(citation.doc_id, safe='')}"
            f"&start={citation.start}&end={citation.end}{page}")


def describe(citation: Citation) -> str:
    """Committee · meeting date · page · who speaks, whichever are known."""
    parts = [citation.committee, citation.meeting_date and f"meeting {citation.meeting_date}",
             citation.page and f"p. {citation.page}", speaking(citation)]
    return " · ".join(str(p) for p in parts if p)


def speaking(citation: Citation) -> str | None:
    """Who says the quote, where a transcript's turn names them: "Julie Morgan AM speaking"."""
    return f"{citation.speaker} speaking" if citation.speaker else None


def notices(answer: Answer) -> list[str]:
    """The lines shown above an answer: how a mistyped question was read, and which words
    of what it asks about no cited document contains (none when neither applies)."""
    lines = [f"Read as: “{answer.read_as}”"] if answer.read_as else []
    if answer.unmentioned:
        quoted = [f"“{w}”" for w in answer.unmentioned]
        words = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
        lines.append(f"The cited documents never mention {words}: check that they answer "
                     "what you asked." if answer.answerable
                     else f"The documents found never mention {words}.")
    return lines


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def heading(answer: Answer) -> str:
    return "Sources" if answer.answerable else "Possibly related"


def plain_text(answer: Answer) -> str:
    """The notification and fallback text: the answer alone."""
    return answer.answer
