"""Prometheus metrics through prometheus_client, one registry per app."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Summary, generate_latest

from ..schema import Answer

__all__ = ["CONTENT_TYPE", "Metrics"]


class Metrics:
    """Requests and latency by route, answers and abstentions, index size."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("assistant_requests_total", "HTTP requests by route and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Summary("assistant_request_seconds", "Time to answer a request",
                               ["route"], registry=self.registry)
        self.answers = Counter("assistant_answers_total", "Questions answered",
                               registry=self.registry)
        self.abstentions = Counter("assistant_abstentions_total",
                                   "Questions the documents did not answer", registry=self.registry)
        self.documents = Gauge("assistant_documents", "Documents in the index",
                               registry=self.registry)
        self.chunks = Gauge("assistant_chunks", "Chunks in the index", registry=self.registry)
        self.generated = Counter("assistant_generated_answers_total",
                                 "Answers written by the language model", registry=self.registry)
        self.fallbacks = Counter("assistant_generation_fallbacks_total",
                                 "Generated answers that fell back to the extractive one",
                                 registry=self.registry)
        self.dropped = Counter("assistant_dropped_statements_total",
                               "Generated statements left out, by reason", ["reason"],
                               registry=self.registry)
        self.rate_limited = Counter("assistant_rate_limited_total",
                                    "Requests refused by a rate limit", ["scope"],
                                    registry=self.registry)

    def request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def answered(self, answer: Answer, generating: bool = False) -> None:
        self.answers.inc()
        if not answer.answerable:
            self.abstentions.inc()
        if answer.mode == "generated":
            self.generated.inc()
        elif generating and answer.answerable:
            self.fallbacks.inc()
        for drop in answer.dropped:
            self.dropped.labels(drop.reason.split(" ", 1)[0]).inc()  # number, name, cites…

    def exposition(self, documents: int | None, chunks: int | None) -> bytes:
        """The text format, with the index's size as of now (when it is open)."""
        if documents is not None and chunks is not None:
            self.documents.set(documents)
            self.chunks.set(chunks)
        return generate_latest(self.registry)
