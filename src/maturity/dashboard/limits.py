"""How much one visitor, and everyone together, may ask of a public server.

A :class:`RateLimiter` counts events per key (a visitor's session, or ``""`` for the whole
server) in rolling windows, e.g. "5 a minute and 20 an hour", and refuses the event that
would go beyond any of them with a sentence the visitor can act on. It holds at most
``max_keys`` keys (the least recently seen are forgotten first) and forgets a key once its
longest window has passed, so a script inventing new visitors cannot make it grow without
bound. :class:`RunCap` counts once for the whole life of a server (the organisations a
Quick Check may add to its collection folder).

Everything is checked on the server, in the one thread that answers requests.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable

__all__ = ["Window", "RateLimiter", "RunCap", "MAX_KEYS"]

#: Keys a limiter remembers at most (a few hundred bytes each).
MAX_KEYS = 20_000


@dataclass(frozen=True)
class Window:
    """At most ``count`` events in any ``seconds``; ``message`` is shown when one more is refused
    (``{count}`` in it is filled in)."""

    count: int
    seconds: float
    message: str


class RateLimiter:
    """Rolling-window limits per key.

    Parameters
    ----------
    windows : sequence of Window
    max_keys : int
        Keys remembered at most; beyond it the least recently seen is forgotten.
    clock : callable, optional
        Seconds, monotonic (``time.monotonic`` by default; tests pass their own).

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = RateLimiter([Window(2, 60, "at most {count} a minute")], clock=lambda: now[0])
    >>> limiter.refusal("a"), limiter.refusal("a"), limiter.refusal("a"), limiter.refusal("b")
    (None, None, 'at most 2 a minute', None)
    >>> now[0] = 61.0
    >>> limiter.refusal("a") is None
    True
    """

    def __init__(self, windows: list[Window] | tuple[Window, ...], *, max_keys: int = MAX_KEYS,
                 clock: Callable[[], float] | None = None) -> None:
        if not windows:
            raise ValueError("a rate limiter needs at least one window")
        self.windows = tuple(windows)
        self.max_keys = int(max_keys)
        self.clock = clock or time.monotonic
        self._span = max(w.seconds for w in self.windows)
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def refusal(self, key: str = "") -> str | None:
        """None, and the event is counted, when ``key`` is within every window; else the
        message of the first window it would exceed (the event is not counted)."""
        now = self.clock()
        self._forget(now)
        times = self._events.pop(key, None) or deque()
        while times and now - times[0] >= self._span:
            times.popleft()
        self._events[key] = times  # most recently seen last
        for window in self.windows:
            if sum(1 for t in times if now - t < window.seconds) >= window.count:
                return window.message.format(count=window.count)
        times.append(now)
        while len(self._events) > self.max_keys:
            self._events.popitem(last=False)
        return None

    def _forget(self, now: float) -> None:
        """Drop keys whose every event is older than the longest window (oldest seen first)."""
        while self._events:
            key, times = next(iter(self._events.items()))
            if times and now - times[-1] < self._span:
                break
            del self._events[key]

    def __len__(self) -> int:
        return len(self._events)


class RunCap:
    """At most ``limit`` events for the whole life of a server (None: no cap)."""

    def __init__(self, limit: int | None, message: str) -> None:
        self.limit = limit
        self.message = message
        self.used = 0

    def refusal(self) -> str | None:
        """None when one more is allowed (it is counted), else the message."""
        if self.limit is not None and self.used >= self.limit:
            return self.message.format(count=self.limit)
        self.used += 1
        return None

    def give_back(self) -> None:
        """Undo a count whose event did not happen after all (e.g. the write failed)."""
        self.used = max(0, self.used - 1)
