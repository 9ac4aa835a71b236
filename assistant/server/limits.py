"""What every request meets before a route: the key checked (and its rate limit counted)
before the body is read, the body cut off at its limit as it arrives (declared length or
not), and validation errors that never repeat what was sent."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from .state import MAX_BODY_BYTES, MAX_UPLOAD_FILES, State

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

# Paths anyone may call: they read no body and give nothing away.
OPEN_PATHS = ("/v1/me",)


def body_limit(path: str, method: str, state: State) -> int:
    """The most bytes a request body may have: uploads take files, the rest take JSON."""
    if path == "/v1/documents" and method == "POST":
        return int(state.settings.max_file_mb * 1e6) * MAX_UPLOAD_FILES + MAX_BODY_BYTES
    return MAX_BODY_BYTES


class GuardedBody:
    """Pure ASGI middleware (it must see `receive` itself to count bytes as they arrive)."""

    def __init__(self, app: ASGIApp, state: State):
        self.app = app
        self.state = state

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path, method = scope["path"], scope["method"]
        limit = body_limit(path, method, self.state)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            await _too_large(send, limit, int(length))
            return
        if path.startswith("/v1/") and path not in OPEN_PATHS:
            try:
                caller = self.state.caller(request)
            except HTTPException as exc:
                await _reply(send, exc.status_code, {"detail": exc.detail}, exc.headers)
                return
            who = caller.owner if self.state.keys else (request.client.host if request.client
                                                        else "local")
            wait = self.state.rate.retry_after(who)
            if wait is not None:
                self.state.metrics.rate_limited.labels("api").inc()
                await _reply(send, 429, {"detail": f"too many requests for this key; try again "
                                                   f"in {wait} s (ASSISTANT_RATE_LIMIT)"},
                             {"Retry-After": str(wait)})
                return
        await self._call_limited(scope, receive, send, limit)

    async def _call_limited(self, scope: MutableMapping[str, Any], receive: Receive, send: Send,
                            limit: int) -> None:
        received = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if not started:
                        await _too_large(send, limit)
                    refused = True
                    # The route sees the client go away and stops; nothing more is read.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; whatever the route says now goes nowhere
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)


async def _too_large(send: Send, limit: int, length: int | None = None) -> None:
    size = f"request body is {length} bytes" if length else "request body is larger"
    await _reply(send, 413, {"detail": f"{size}, over the {limit} byte limit for this "
                                       "endpoint"}, None)


async def _reply(send: Send, status: int, body: dict[str, Any],
                 headers: Mapping[str, str] | None) -> None:
    data = json.dumps(body).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
           (b"connection", b"close")]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": data})


def _clean(value: Any, cap: int = 120) -> Any:
    """A location part or message made safe to send back: short, valid Unicode."""
    if isinstance(value, int):
        return value
    return str(value)[:cap].encode("utf-8", "replace").decode("utf-8")


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """422 with where and what is wrong, never the input itself (it may be huge, or text
    that cannot even be encoded, such as an unpaired surrogate)."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    detail = [{"loc": [_clean(part) for part in error.get("loc", ())][:8],
               "msg": _clean(error.get("msg", "invalid"), 300), "type": _clean(error.get("type"))}
              for error in list(errors)[:20]]
    return JSONResponse({"detail": detail}, 422)
