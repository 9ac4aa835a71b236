"""What the app holds: settings, keys, the open assistant (behind a lock), jobs, metrics."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException, Request

from ..answering import Answer
from ..config import Settings
from ..conversation import LOCAL_OWNER
from ..errors import AssistantError, IndexMissing
from ..retrieval import Filters
from ..service import Assistant
from .auth import Caller, authenticate
from .jobs import JobQueue

MAX_BODY_BYTES = 1_000_000
MAX_UPLOAD_FILES = 20


@dataclass
class Metrics:
    """Counters and latency sums for the Prometheus endpoint."""

    requests: dict[tuple[str, str, int], int] = field(default_factory=lambda: defaultdict(int))
    latency_sum: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    latency_count: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    answers: int = 0
    abstentions: int = 0


class State:
    """The app's shared state; queries share one assistant, serialised by a lock."""

    def __init__(self, settings: Settings, keys: dict[str, frozenset[str]]):
        self.settings = settings
        self.keys = keys
        self.lock = threading.RLock()
        self.jobs = JobQueue(settings)
        self.metrics = Metrics()
        self._assistant: Assistant | None = None

    def caller(self, request: Request) -> Caller:
        return authenticate(request, self.keys)

    @contextmanager
    def assistant(self) -> Iterator[Assistant]:
        """The open assistant, opened on first use; 503 while there is no index yet."""
        with self.lock:
            if self._assistant is None:
                try:
                    assistant = Assistant(self.settings)
                    assistant.embedder.encode(["warm-up"], progress=False)  # load the model now
                    self._assistant = assistant
                except IndexMissing as exc:
                    raise HTTPException(503, f"{exc}; or upload documents with "
                                             "POST /v1/documents") from exc
                except AssistantError as exc:
                    raise HTTPException(503, str(exc)) from exc
            yield self._assistant

    def ask(self, message: str, conversation_id: str | None, filters: Filters,
            history: list[str] | None = None, owner: str = LOCAL_OWNER) -> Answer:
        """The one answering path of every interface: API, web page and bots."""
        with self.assistant() as assistant:
            answer = assistant.ask(message, conversation_id, filters, history, owner)
        self.metrics.answers += 1
        self.metrics.abstentions += 0 if answer.answerable else 1
        return answer

    def ready(self) -> dict[str, Any]:
        with self.assistant() as assistant:
            stats = assistant.index.stats()
        return {"status": "ready", "documents": stats["documents"], "chunks": stats["chunks"],
                "generation": stats["generation"]}
