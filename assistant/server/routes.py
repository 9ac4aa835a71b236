"""Questions: chat (with streaming), search, conversations, and the OpenAI-compatible API."""

from __future__ import annotations

import functools
import json
import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from ..records import Filters
from ..render import notices, plain_body, render_plain
from ..schema import Answer
from .auth import Caller
from .schemas import (
    ERRORS,
    ChatRequest,
    ConversationModel,
    FilterModel,
    OpenAIChatRequest,
    SearchRequest,
    SearchResponse,
)
from .state import State

log = logging.getLogger("assistant.server")
MODEL_ID = "council-assistant"
router = APIRouter(responses=ERRORS)


def state_of(request: Request) -> State:
    state: State = request.app.state.assistant_state
    return state


def reader(request: Request) -> Caller:
    return state_of(request).authorize(request, "read")


def to_filters(model: FilterModel | None, caller: Caller) -> Filters:
    data = model.model_dump() if model else {}
    return Filters(**data, include_restricted=caller.sees_restricted)


STREAMED: dict[int | str, dict[str, Any]] = {200: {
    "content": {"text/event-stream": {}},
    "description": "The answer (JSON), or server-sent events when `stream` is true"}}


@router.post("/v1/chat", response_model=Answer, responses=STREAMED)
def chat(body: ChatRequest, request: Request, caller: Annotated[Caller, Depends(reader)]) -> Any:
    """Answer a question with citations; `stream: true` answers as server-sent events
    (a generated answer streams each statement once it has been checked)."""
    state = state_of(request)
    ask = functools.partial(state.ask, body.message, body.conversation_id,
                            to_filters(body.filters, caller), owner=caller.owner)
    if not body.stream:
        return ask().as_json()
    return StreamingResponse(_chat_events(answer_events(ask)), media_type="text/event-stream")


def _pieces(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def answer_events(ask: Callable[..., Answer]) -> Iterator[tuple[str, Any]]:
    """("delta", text) for each checked statement as it comes, then ("answer", Answer).
    The answering runs in a thread; its first event is awaited here, so an error before
    anything is said (no index yet, a stranger's conversation) is still an HTTP status."""
    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def run() -> None:
        try:
            events.put(("answer", ask(on_statement=lambda text: events.put(("delta", text)))))
        except Exception as exc:  # noqa: BLE001  (handed to the request's thread)
            events.put(("error", exc))

    threading.Thread(target=run, name="answer-stream", daemon=True).start()
    first = events.get()
    if first[0] == "error":
        raise first[1]

    def rest() -> Iterator[tuple[str, Any]]:
        item = first
        while True:
            yield item
            if item[0] in ("answer", "error"):
                return
            item = events.get()

    return rest()


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _chat_events(events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    streamed = False
    for kind, value in events:
        if kind == "delta":
            streamed = True
            yield _sse("delta", {"text": value})
        elif kind == "error":
            log.error("answering failed mid-stream: %s", value)
            yield _sse("error", {"detail": "answering failed"})
        else:
            data = value.as_json()
            if not streamed:  # an extractive answer comes whole: sent in word-sized pieces
                yield from (_sse("delta", {"text": piece}) for piece in _pieces(value.answer))
            yield _sse("citations", data["citations"])
            yield _sse("done", data)


@router.post("/v1/search", response_model=SearchResponse)
def search(body: SearchRequest, request: Request, caller: Annotated[Caller, Depends(reader)]) -> Any:
    """Ranked passages for a query."""
    with state_of(request).assistant() as assistant:
        passages = assistant.search(body.query, body.k, to_filters(body.filters, caller))
    return {"results": [p.result() for p in passages]}


@router.get("/v1/conversations/{conversation_id}", response_model=ConversationModel)
def conversation(conversation_id: str, request: Request,
                 caller: Annotated[Caller, Depends(reader)]) -> Any:
    """A conversation's turns, for the key that started it alone; answers drawn from
    documents restricted since are withheld."""
    with state_of(request).assistant() as assistant:
        turns = assistant.conversation(conversation_id, caller.owner, caller.sees_restricted)
    return {"conversation_id": conversation_id, "turns": [
        {"question": t.question, "answer": t.answer, "created_at": t.created_at} for t in turns]}


@router.get("/v1/models")
def models(caller: Annotated[Caller, Depends(reader)]) -> dict[str, Any]:
    """The one model this service offers, for OpenAI-compatible clients."""
    return {"object": "list", "data": [
        {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "council-assistant"}]}


@router.post("/v1/chat/completions", responses=STREAMED)
def chat_completions(body: OpenAIChatRequest, request: Request,
                     caller: Annotated[Caller, Depends(reader)]) -> Any:
    """OpenAI chat completions: the reply is the answer with its sources listed under it;
    the structured citations ride in the extra `citations` field."""
    questions = [q for m in body.messages if m.role == "user" and (q := _text(m.content).strip())]
    question = questions[-1][:2000] if questions else ""
    # a front end may open with only a system message: ask for a question, politely
    ask: Callable[..., Answer] = functools.partial(
        state_of(request).ask, question, None, to_filters(None, caller), questions[:-1],
        caller.owner) if questions else _greeting
    created = int(time.time())
    if body.stream:
        return StreamingResponse(_completion_chunks(f"chatcmpl-{uuid.uuid4().hex}", created,
                                                    answer_events(ask)),
                                 media_type="text/event-stream")
    answer = ask()
    content = render_plain(answer)
    return {
        "id": f"chatcmpl-{answer.conversation_id}", "object": "chat.completion",
        "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": len(question.split()), "completion_tokens": len(
            content.split()), "total_tokens": len(question.split()) + len(content.split())},
        "citations": answer.as_json()["citations"], "answerable": answer.answerable,
        "conversation_id": answer.conversation_id, "mode": answer.mode,
    }


def _greeting(on_statement: Callable[[str], None] | None = None) -> Answer:
    return Answer(answer="Ask a question about the council's documents, and I will answer it "
                         "with citations.", answerable=False, conversation_id="")


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _after_statements(answer: Answer, streamed: str) -> str:
    """What a streamed reply still owes once its statements are out: the notices a plain
    reply opens with (how the question was read, words no source mentions) under them, then
    the sources."""
    return "".join(f"\n{line}" for line in notices(answer)) + plain_body(answer)[len(streamed):]


def _completion_chunks(completion_id: str, created: int,
                       events: Iterator[tuple[str, Any]]) -> Iterator[str]:
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": MODEL_ID}

    def chunk(delta: dict[str, Any], **extra: Any) -> str:
        body = {**base, "choices": [{"index": 0, "delta": delta,
                                     "finish_reason": extra.pop("finish_reason", None)}], **extra}
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed = ""
    for kind, value in events:
        if kind == "delta":
            streamed += value
            yield chunk({"content": value})
        elif kind == "answer":
            rest = _after_statements(value, streamed) if streamed else render_plain(value)
            for piece in _pieces(rest) if not streamed else [rest]:
                yield chunk({"content": piece})
            yield chunk({}, finish_reason="stop", citations=value.as_json()["citations"],
                        answerable=value.answerable, mode=value.mode)
        else:
            log.error("answering failed mid-stream: %s", value)
            yield chunk({}, finish_reason="stop")
    yield "data: [DONE]\n\n"
