"""API keys as bearer tokens, each with scopes: read, write, restricted."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from fastapi import HTTPException, Request

from ..errors import ConfigurationError
from ..records import LOCAL_OWNER

SCOPES = ("read", "write", "restricted")


@dataclass(frozen=True)
class Caller:
    """Who is asking, and what they may do."""

    key_name: str
    scopes: frozenset[str]
    owner: str = LOCAL_OWNER  # what conversations are kept under: a fingerprint of the key

    @property
    def sees_restricted(self) -> bool:
        return "restricted" in self.scopes


OPEN = Caller("local", frozenset(SCOPES))


def parse_keys(spec: str | None, keys_file: Path | None = None) -> dict[str, frozenset[str]]:
    """`k1=read,k2=read+write+restricted` (and/or one such entry a line in a file)."""
    entries = [e for e in (spec or "").split(",") if e.strip()]
    if keys_file:
        entries += [line for line in keys_file.read_text().splitlines()
                    if line.strip() and not line.startswith("#")]
    keys: dict[str, frozenset[str]] = {}
    for entry in entries:
        key, _, scopes = entry.strip().partition("=")
        wanted = frozenset(s.strip() for s in (scopes or "read").split("+") if s.strip())
        unknown = wanted - set(SCOPES)
        if not key or unknown:
            raise ConfigurationError(f"bad API key entry {entry.strip()!r}: use KEY=scope+scope with "
                             f"scopes from {', '.join(SCOPES)}")
        keys[key] = wanted
    return keys


def authenticate(request: Request, keys: dict[str, frozenset[str]]) -> Caller:
    """The caller named by the bearer token; everyone is the local operator without keys."""
    if not keys:
        return OPEN
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "an API key is required: send `Authorization: Bearer KEY`",
                            headers={"WWW-Authenticate": "Bearer"})
    for key, scopes in keys.items():
        if hmac.compare_digest(key.encode(), token.strip().encode()):
            return Caller(key[:4] + "…", scopes, "key:" + hashlib.sha256(key.encode()).hexdigest()[:24])
    raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})


def require(caller: Caller, scope: str) -> None:
    """403 unless the caller has the scope."""
    if scope not in caller.scopes:
        raise HTTPException(403, f"this API key lacks the '{scope}' scope")
