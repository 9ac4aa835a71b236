"""What both chat platforms share: the answering path, conversation keys, the usage hint."""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, Protocol

from fastapi import Request

from ..config import Settings
from ..records import Filters
from ..schema import Answer
from .store import BotStore

log = logging.getLogger("assistant.bots")


class AnswerSource(Protocol):
    """What the bots need of the app: its settings and its one answering path."""

    settings: Settings

    def ask(self, message: str, conversation_id: str | None, filters: Filters,
            history: list[str] | None = None, owner: str = ...) -> Answer: ...


# Checks that the request's caller has a scope; raises (an HTTP 401/403) otherwise.
Authorize = Callable[[Request, str], object]
P = ParamSpec("P")
USAGE = "Ask me a question about the council's documents, e.g. “What did the inspectors recommend?”"


def slow_down(wait: int) -> str:
    """What a person over the bots' rate limit is told instead of an answer."""
    return (f"You have asked several questions in a short time; please wait {wait} "
            "seconds and ask again.")


def conversation_key(platform: str, *parts: str) -> str:
    """A stable conversation id for a chat thread, so follow-ups there continue it."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"{platform}-{digest}"


def ask(state: AnswerSource, question: str, conversation_id: str) -> Answer:
    """The API's answer, never drawn from restricted documents: chat identities are not API
    keys, and a channel or direct message is no place for closed-session material."""
    platform = conversation_id.split("-", 1)[0]
    return state.ask(question, conversation_id, Filters(include_restricted=False),
                     owner=f"bot:{platform}")


def answer_with_record(state: AnswerSource, store: BotStore, platform: str, question: str,
                       conversation_id: str) -> tuple[Answer, str]:
    """The answer, kept under an id that its feedback buttons point at."""
    answer = ask(state, question, conversation_id)
    return answer, store.record_answer(platform, conversation_id, question, answer.as_json())


def id_part(*parts: Any) -> str | None:
    """A delivery id made of parts, or None when any part is missing (no id, no de-duplication
    by it: a shared placeholder such as `event:None` would drop unrelated messages)."""
    return ":".join(str(p) for p in parts) if all(parts) else None


def background(what: str) -> Callable[[Callable[P, Awaitable[None]]], Callable[P, Awaitable[None]]]:
    """For work done after the HTTP reply: a failure (the platform unreachable, a reset
    connection) is logged in one line and ends that task, never as an unhandled traceback."""

    def wrap(task: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
        @functools.wraps(task)
        async def run(*args: P.args, **kwargs: P.kwargs) -> None:
            try:
                await task(*args, **kwargs)
            except Exception as exc:
                log.error("%s failed: %s: %s", what, type(exc).__name__, exc)

        return run

    return wrap
