"""Chat bots: Slack and Microsoft Teams, answering through the app's one answering path.

The bots depend on the facade (through `chat.AnswerSource`) and on an authorisation function
the app passes in; the server mounts their routers, and nothing here imports the server."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request

from ..storage import state_db
from .chat import AnswerSource, Authorize
from .store import BOTS_FILE, VERDICTS, BotStore

__all__ = ["AnswerSource", "Authorize", "install"]


def install(app: FastAPI, source: AnswerSource, authorize: Authorize) -> None:
    """Mount /slack, /teams and /v1/feedback on the app."""
    from . import slack, teams  # the SDKs load only when the bots are mounted

    store = BotStore(state_db(source.settings, BOTS_FILE))
    app.include_router(slack.router(slack.SlackBot(source, store)))
    app.include_router(teams.router(teams.TeamsBot(source, store)))
    app.include_router(feedback_router(store, authorize))


def feedback_router(store: BotStore, authorize: Authorize) -> APIRouter:
    api = APIRouter(tags=["Feedback"])

    def writer(request: Request) -> None:
        """Feedback holds people's questions: it takes a key with the write scope."""
        authorize(request, "write")

    @api.get("/v1/feedback", dependencies=[Depends(writer)])
    def feedback(verdict: Annotated[str | None, Query(pattern="^(helpful|not_helpful)$")] = None,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> dict[str, Any]:
        """Verdicts people gave bot answers, with the question and answer, newest first."""
        return {"verdicts": list(VERDICTS),
                "feedback": [f.as_json() for f in store.feedback(verdict, limit)]}

    return api
