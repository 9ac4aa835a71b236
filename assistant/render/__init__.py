"""One answer, one rendering per channel: each a pure function of `schema.Answer`."""

from .common import describe, heading, notices, passage_link, plain_text, short_quote, source_link
from .plain import plain_body, render_plain
from .slack import SLACK_MAX_BLOCKS, SLACK_SECTION_CHARS, slack_blocks, slack_escape
from .teams import teams_card, teams_text
from .terminal import render_answer, render_passages

__all__ = ["SLACK_MAX_BLOCKS", "SLACK_SECTION_CHARS", "describe", "heading", "notices",
           "passage_link", "plain_body", "plain_text", "render_answer", "render_passages",
           "render_plain", "short_quote", "slack_blocks", "slack_escape", "source_link",
           "teams_card", "teams_text"]
