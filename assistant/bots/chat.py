"""What both chat platforms share: the answering path, conversation keys, the usage hint."""

from __future__ import annotations

import hashlib

from ..answering import Answer
from ..retrieval import Filters
from ..server.state import State
from .store import BotStore

USAGE = "Ask me a question about the council's documents, e.g. “What did the inspectors recommend?”"


def conversation_key(platform: str, *parts: str) -> str:
    """A stable conversation id for a chat thread, so follow-ups there continue it."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{platform}-{digest}"


def ask(state: State, question: str, conversation_id: str) -> Answer:
    """The API's answer, never drawn from restricted documents: chat identities are not API
    keys, and a channel or direct message is no place for closed-session material."""
    return state.ask(question, conversation_id, Filters(include_restricted=False))


def answer_with_record(state: State, store: BotStore, platform: str, question: str,
                       conversation_id: str) -> tuple[Answer, str]:
    """The answer, kept under an id that its feedback buttons point at."""
    answer = ask(state, question, conversation_id)
    return answer, store.record_answer(platform, conversation_id, question, answer.as_json())
