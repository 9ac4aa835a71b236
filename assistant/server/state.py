"""What the app holds: settings, keys, the facade (behind a lock), upload jobs, metrics."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request

from ..config import Settings
from ..rate import RateLimit
from ..records import LOCAL_OWNER, Filters
from ..schema import Answer
from ..service import Assistant
from .auth import Caller, authenticate
from .jobs import JobQueue
from .metrics import Metrics

MAX_BODY_BYTES = 1_000_000
MAX_UPLOAD_FILES = 20


class State:
    """The app's shared state; queries share one assistant, serialised by a lock."""

    def __init__(self, settings: Settings, keys: dict[str, frozenset[str]]):
        self.settings = settings
        self.keys = keys
        self.lock = threading.RLock()
        self.facade = Assistant(settings.model_copy(update={"progress": False}))
        self._warm = False
        self.jobs = JobQueue(self.facade, settings.upload_queue)
        self.metrics = Metrics()
        self.rate = RateLimit(settings.rate_limit, "api")

    def caller(self, request: Request) -> Caller:
        return authenticate(request, self.keys)

    def authorize(self, request: Request, scope: str) -> Caller:
        """The caller, once it has the scope (HTTP 401/403 otherwise)."""
        from .auth import require

        caller = self.caller(request)
        require(caller, scope)
        return caller

    @contextmanager
    def assistant(self) -> Iterator[Assistant]:
        """The facade with its index open and model loaded; IndexMissing while there is no
        index yet (the app answers 503)."""
        with self.lock:
            self.facade.index  # noqa: B018  (opens it, or raises)
            if not self._warm:
                self.facade.embedder.encode(["warm-up"], progress=False)  # load the model
                self._warm = True
            yield self.facade

    def ask(self, message: str, conversation_id: str | None, filters: Filters,
            history: list[str] | None = None, owner: str = LOCAL_OWNER,
            on_statement: Callable[[str], None] | None = None) -> Answer:
        """The one answering path of every interface: API, web page and bots."""
        with self.assistant() as assistant:
            answer = assistant.ask(message, conversation_id, filters, history, owner,
                                   on_statement)
        self.metrics.answered(answer, generating=assistant.generator is not None)
        return answer

    def ready(self) -> dict[str, Any]:
        with self.assistant() as assistant:
            stats = assistant.stats()
        return {"status": "ready", "documents": stats["documents"], "chunks": stats["chunks"],
                "generation": stats["generation"], "answers": stats["answers"]}
