"""An answer as Slack Block Kit."""

from __future__ import annotations

from typing import Any

from ..schema import Answer, Citation
from .common import QUOTE_CHARS, describe, heading, notices, short_quote, source_link

# Slack's limits: https://api.slack.com/reference/block-kit/blocks
SLACK_SECTION_CHARS = 3000
SLACK_MAX_BLOCKS = 50
SLACK_BUTTON_VALUE_CHARS = 2000


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
    blocks += [{"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(line)}]}
               for line in notices(answer)]
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
