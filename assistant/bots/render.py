"""One answer, three chat renderings: Slack Block Kit, a Teams Adaptive Card, Teams text."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote as url_quote

from ..answering import Answer, Citation

# Slack's limits: https://api.slack.com/reference/block-kit/blocks
SLACK_SECTION_CHARS = 3000
SLACK_MAX_BLOCKS = 50
SLACK_BUTTON_VALUE_CHARS = 2000
QUOTE_CHARS = 600  # a chat source stays readable; the link opens the whole passage
ADAPTIVE_CARD_VERSION = "1.4"  # what Teams renders on desktop, web and mobile alike


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
    """Committee · meeting date · page, whichever are known."""
    parts = [citation.committee, citation.meeting_date and f"meeting {citation.meeting_date}",
             citation.page and f"p. {citation.page}"]
    return " · ".join(str(p) for p in parts if p)


def short_quote(text: str, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def heading(answer: Answer) -> str:
    return "Sources" if answer.answerable else "Possibly related"


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_source(citation: Citation, public_url: str | None) -> str:
    title = slack_escape(citation.title or citation.doc_id)
    link = source_link(citation, public_url)
    line = f"*[{citation.n}]* " + (f"<{link}|{title}>" if link else f"*{title}*")
    if (meta := describe(citation)):
        line += f"\n{slack_escape(meta)}"
    room = SLACK_SECTION_CHARS - len(line) - 8
    return line + "\n> " + slack_escape(short_quote(citation.quote, min(QUOTE_CHARS, room)))


def slack_blocks(answer: Answer, answer_id: str | None, public_url: str | None,
                 preface: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Block Kit for an answer: the text with its markers, the sources, feedback buttons
    (after an optional preface block, such as who asked)."""
    text = answer.answer if answer.answerable else f":mag: {answer.answer}"
    blocks: list[dict[str, Any]] = [preface] if preface else []
    blocks += [{"type": "section", "text": {
        "type": "mrkdwn", "text": slack_escape(short_quote(text, SLACK_SECTION_CHARS - 100))}}]
    if answer.citations:
        blocks += [{"type": "divider"}, {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"*{heading(answer)}*"}]}]
    room = SLACK_MAX_BLOCKS - len(blocks) - (1 if answer_id else 0)
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": _slack_source(c, public_url)}}
               for c in answer.citations[:room]]
    if answer_id:
        blocks.append({"type": "actions", "block_id": "feedback", "elements": [
            _slack_button("Helpful", "helpful", answer_id, "primary"),
            _slack_button("Not helpful", "not_helpful", answer_id, None)]})
    return blocks


def _slack_button(label: str, verdict: str, answer_id: str, style: str | None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": f"feedback_{verdict}",
                              "text": {"type": "plain_text", "text": label}, "value": answer_id}
    if style:
        button["style"] = style
    return button


def plain_text(answer: Answer) -> str:
    """The notification and fallback text: the answer alone."""
    return answer.answer


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    """Document words for a card: a RichTextBlock's TextRun, which Teams shows as text,
    where a TextBlock would read "*" or "1." in a quote as markdown."""
    spacing: dict[str, Any] = {k: style.pop(k) for k in ("spacing", "separator") if k in style}
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}],
            **spacing}


def teams_card(answer: Answer, answer_id: str | None, public_url: str | None) -> dict[str, Any]:
    """An Adaptive Card: the answer, each source with its details and an Open button."""
    body: list[dict[str, Any]] = [
        _text_block(answer.answer, size="Medium" if answer.answerable else "Default")]
    if answer.citations:
        body.append(_text_block(heading(answer), weight="Bolder", separator=True,
                                spacing="Medium"))
    for c in answer.citations:
        items: list[dict[str, Any]] = [
            _text_block(f"[{c.n}] {c.title or c.doc_id}", weight="Bolder"),
            _text_block(describe(c), isSubtle=True, spacing="None"),
            _text_block(f"“{short_quote(c.quote)}”", italic=True, spacing="Small")]
        if (link := source_link(c, public_url)):
            items.append({"type": "ActionSet", "actions": [
                {"type": "Action.OpenUrl", "title": f"Open [{c.n}]" + (
                    f" at page {c.page}" if c.page else ""), "url": link}]})
        body.append({"type": "Container", "items": items, "spacing": "Medium"})
    card: dict[str, Any] = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                            "type": "AdaptiveCard", "version": ADAPTIVE_CARD_VERSION, "body": body}
    if answer_id:
        card["actions"] = [
            {"type": "Action.Submit", "title": "Helpful",
             "data": {"feedback": "helpful", "answer_id": answer_id}},
            {"type": "Action.Submit", "title": "Not helpful",
             "data": {"feedback": "not_helpful", "answer_id": answer_id}}]
    return card


def teams_text(answer: Answer, public_url: str | None) -> str:
    """Markdown for a Teams outgoing-webhook reply, which cannot carry buttons."""
    parts = [answer.answer]
    if answer.citations:
        parts.append(f"**{heading(answer)}**")
    for c in answer.citations:
        title = c.title or c.doc_id
        link = source_link(c, public_url)
        line = f"[{c.n}] " + (f"[{title}]({link})" if link else f"**{title}**")
        if (meta := describe(c)):
            line += f" ({meta})"
        parts.append(f"{line}: “{short_quote(c.quote)}”")
    return "\n\n".join(parts)
