"""An in-process token bucket per key (the client address): ``rate`` tokens a second refill a
bucket of ``burst``; a request takes one. Bounded memory: the least recently seen keys are
dropped beyond ``max_keys`` (a dropped key starts full again). ``rate <= 0`` disables it.

Per process: with several API workers each has its own buckets (docs/consumer.md)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict


class TokenBucket:
    def __init__(self, *, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, *, now: float | None = None) -> int | None:
        """None when admitted; else the whole seconds to wait (for ``Retry-After``, >= 1)."""
        if not self.enabled:
            return None
        t = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.burst), t))
            tokens = min(float(self.burst), tokens + max(0.0, t - last) * self.rate)
            admitted = tokens >= 1.0
            if admitted:
                tokens -= 1.0
            self._buckets[key] = (tokens, t)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        if admitted:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate))
