"""Rate limits per caller (an API key, a chat user), through the `limits` library."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse_many, storage, strategies

from .errors import ConfigurationError


class RateLimit:
    """Moving-window limits kept in this process's memory; `retry_after` counts a hit."""

    def __init__(self, spec: str, scope: str):
        try:
            self.items: list[RateLimitItem] = parse_many(spec) if spec.strip() else []
        except ValueError as exc:
            raise ConfigurationError(f"bad rate limit {spec!r}: write it as '120/minute' or "
                                     "'10/second;1000/hour', or leave it empty for none") from exc
        self.scope = scope
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def retry_after(self, who: str) -> int | None:
        """None when `who` may go ahead (the hit is counted); else seconds to wait."""
        for item in self.items:
            if not self.limiter.hit(item, self.scope, who):
                reset = self.limiter.get_window_stats(item, self.scope, who).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None
