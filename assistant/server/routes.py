"""Questions: chat (with streaming), search, conversations, and the OpenAI-compatible API."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from ..records import Filters
from ..render import render_plain
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
    """Answer a question with citations; `stream: true` answers as server-sent events."""
    state = state_of(request)
    answer = state.ask(body.message, body.conversation_id, to_filters(body.filters, caller),
                       owner=caller.owner)
    if not body.stream:
        return answer.as_json()
    return StreamingResponse(_chat_events(answer), media_type="text/event-stream")


def _pieces(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def _chat_events(answer: Answer) -> Iterator[str]:
    data = answer.as_json()
    for piece in _pieces(answer.answer):
        yield f"event: delta\ndata: {json.dumps({'text': piece})}\n\n"
    yield f"event: citations\ndata: {json.dumps(data['citations'])}\n\n"
    yield f"event: done\ndata: {json.dumps(data)}\n\n"


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
    if questions:
        question = questions[-1][:2000]
        answer = state_of(request).ask(question, None, to_filters(None, caller), questions[:-1],
                                       caller.owner)
    else:  # a front end may open with only a system message: ask for a question, politely
        question = ""
        answer = Answer(answer="Ask a question about the council's documents, and I will "
                               "answer it with citations.", answerable=False, conversation_id="")
    content = render_plain(answer)
    created = int(time.time())
    completion_id = f"chatcmpl-{answer.conversation_id}"
    if body.stream:
        return StreamingResponse(_completion_chunks(completion_id, created, content, answer),
                                 media_type="text/event-stream")
    return {
        "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": len(question.split()), "completion_tokens": len(
            content.split()), "total_tokens": len(question.split()) + len(content.split())},
        "citations": answer.as_json()["citations"], "answerable": answer.answerable,
        "conversation_id": answer.conversation_id,
    }


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return content or ""


def _completion_chunks(completion_id: str, created: int, content: str,
                       answer: Answer) -> Iterator[str]:
    base = {"id": completion_id, "object": "chat.completion.chunk", "created": created,
            "model": MODEL_ID}
    first = {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                  "finish_reason": None}]}
    yield f"data: {json.dumps(first)}\n\n"
    for piece in _pieces(content):
        chunk = {**base, "choices": [{"index": 0, "delta": {"content": piece},
                                      "finish_reason": None}]}
        yield f"data: {json.dumps(chunk)}\n\n"
    last = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            "citations": answer.as_json()["citations"], "answerable": answer.answerable}
    yield f"data: {json.dumps(last)}\n\n"
    yield "data: [DONE]\n\n"
