"""The FastAPI application; routes call the package's public functions only."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..bots import install
from ..config import Settings, get_settings
from ..errors import (
    AssistantError,
    Busy,
    ConversationNotFound,
    DocumentNotFound,
    IndexBusy,
    IndexMismatch,
    IndexMissing,
    StoreUnavailable,
)
from . import documents, routes
from .auth import parse_keys
from .limits import GuardedBody, validation_error
from .metrics import CONTENT_TYPE
from .state import State

log = logging.getLogger("assistant.server")


def create_app(settings: Settings | None = None, keys: str | None = None) -> FastAPI:
    """Build the app over the configured index, with keys from ASSISTANT_API_KEYS."""
    import os

    settings = settings or get_settings()
    spec = keys if keys is not None else os.environ.get("ASSISTANT_API_KEYS")
    keys_file = os.environ.get("ASSISTANT_API_KEYS_FILE")
    state = State(settings, parse_keys(spec, Path(keys_file) if keys_file else None))
    app = FastAPI(title="Council documents assistant", version=__version__,
                  description="Cited answers from council minutes, decisions and reports.",
                  lifespan=_warm_up(state))
    app.state.assistant_state = state
    app.include_router(routes.router)
    app.include_router(documents.router)
    install(app, state, state.authorize)
    _web(app)
    _ops(app, state)
    _limits_and_errors(app, state)
    return app


def _warm_up(state: State) -> Any:
    """Open the index and load the model while the server starts, so the first question is
    not the slow one (Teams' outgoing webhook allows five seconds); requests wait on it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        threading.Thread(target=_open_quietly, args=(state,), daemon=True).start()
        yield

    return lifespan


def _open_quietly(state: State) -> None:
    try:
        state.ready()
    except AssistantError as exc:  # no index yet: the first request says so
        log.warning("%s", exc)


WEB = Path(__file__).resolve().parents[1] / "web"


def _web(app: FastAPI) -> None:
    """The chat page at / and its files under /static; nothing is fetched from elsewhere."""
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html", headers={
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
                                       "frame-ancestors 'none'"})


def _ops(app: FastAPI, state: State) -> None:
    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, Any]:
        """The index is open and matches the configured model."""
        return state.ready()

    @app.get("/metrics", response_class=PlainTextResponse)
    def metrics() -> Response:
        """Prometheus metrics: requests and latency by route, answers, index size."""
        try:
            ready = state.ready()
            size = (ready["documents"], ready["chunks"])
        except AssistantError:
            size = (None, None)
        return Response(state.metrics.exposition(*size), media_type=CONTENT_TYPE)


def _limits_and_errors(app: FastAPI, state: State) -> None:
    @app.middleware("http")
    async def measure(request: Request, call_next: Any) -> Any:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        name = getattr(route, "path", "unmatched")
        state.metrics.request(name, request.method, response.status_code,
                              time.perf_counter() - started)
        return response

    # Added last, so it runs first: the key and the body's size are checked before any
    # route or body parser sees the request.
    app.add_middleware(GuardedBody, state=state)
    app.add_exception_handler(RequestValidationError, validation_error)

    @app.exception_handler(AssistantError)
    async def assistant_error(request: Request, exc: AssistantError) -> JSONResponse:
        if isinstance(exc, Busy):
            return JSONResponse({"detail": str(exc)}, 429,
                                headers={"Retry-After": str(exc.retry_after)})
        if isinstance(exc, StoreUnavailable):  # where the database is stays in the log
            log.error("%s", exc)
            return JSONResponse({"detail": "the database is unavailable; try again shortly "
                                           "(the server log has the details)"}, 503)
        status = 404 if isinstance(exc, DocumentNotFound | ConversationNotFound) else (
            409 if isinstance(exc, IndexBusy) else
            503 if isinstance(exc, IndexMissing | IndexMismatch) else 400)
        detail = str(exc) + ("; or upload documents with POST /v1/documents"
                             if isinstance(exc, IndexMissing) else "")
        return JSONResponse({"detail": detail}, status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse({"detail": "internal error; the server log has the details"}, 500)
