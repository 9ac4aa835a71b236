"""An answer as a Teams Adaptive Card, and as Teams markdown for outgoing webhooks."""

from __future__ import annotations

from typing import Any

from ..schema import Answer
from .common import describe, heading, notices, short_quote, source_link

ADAPTIVE_CARD_VERSION = "1.4"  # what Teams renders on desktop, web and mobile alike


def _text_block(text: str, **style: Any) -> dict[str, Any]:
    """Document words for a card: a RichTextBlock's TextRun, which Teams shows as text,
    where a TextBlock would read "*" or "1." in a quote as markdown."""
    spacing: dict[str, Any] = {k: style.pop(k) for k in ("spacing", "separator") if k in style}
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **style}],
            **spacing}


def teams_card(answer: Answer, answer_id: str | None, public_url: str | None) -> dict[str, Any]:
    """An Adaptive Card: the answer, each source with its details and an Open button."""
    body: list[dict[str, Any]] = [
        _text_block(line, isSubtle=True) for line in notices(answer)]
    body.append(_text_block(answer.answer, size="Medium" if answer.answerable else "Default"))
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
    parts = [*notices(answer), answer.answer]
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
