"""Chat bots: Slack and Microsoft Teams, answering through the app's one answering path."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request

from ..server.auth import Caller, require
from ..server.state import State
from . import slack, teams
from .store import VERDICTS, BotStore


def install(app: FastAPI, state: State) -> None:
    """Mount /slack, /teams and /v1/feedback on the app."""
    store = BotStore(state.settings.index)
    app.include_router(slack.router(slack.SlackBot(state, store)))
    app.include_router(teams.router(teams.TeamsBot(state, store)))
    app.include_router(feedback_router(state, store))


def writer(request: Request) -> Caller:
    """Feedback holds people's questions: it takes a key with the write scope."""
    state: State = request.app.state.assistant_state
    caller = state.caller(request)
    require(caller, "write")
    return caller


def feedback_router(state: State, store: BotStore) -> APIRouter:
    api = APIRouter(tags=["Feedback"])

    @api.get("/v1/feedback")
    def feedback(caller: Annotated[Caller, Depends(writer)],
                 verdict: Annotated[str | None, Query(pattern="^(helpful|not_helpful)$")] = None,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict[str, Any]:
        """Verdicts people gave bot answers, with the question and answer, newest first."""
        return {"verdicts": list(VERDICTS),
                "feedback": [f.as_json() for f in store.feedback(verdict, limit)]}

    return api
