"""One budget of wall-clock time for a command's calls: every request, retry, page, poll and read shares it."""

import time
from collections.abc import Callable


class DeadlineExceeded(Exception):
    """The budget ran out; each client turns it into its own one-line failure."""


class Deadline:
    """`seconds` from now; `clock` and `sleep` are injectable so that tests of retries and polls take milliseconds."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.seconds, self.clock, self._sleep = seconds, clock, sleep
        self.started = clock()
        self.end = self.started + seconds

    def remaining(self) -> float:
        return self.end - self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

    def expired(self) -> bool:
        return self.remaining() <= 0

    def exceeded(self, what: str = "the call") -> DeadlineExceeded:
        return DeadlineExceeded(f"{what} did not finish within {self.seconds:g} s")

    def check(self, what: str = "the call") -> None:
        if self.expired():
            raise self.exceeded(what)

    def sleep(self, seconds: float) -> None:
        """Waits before a retry or a poll; a wait that would end past the deadline fails now instead."""
        self.check()
        if seconds >= self.remaining():
            raise DeadlineExceeded(f"the call did not finish within {self.seconds:g} s (asked to wait {seconds:g} s)")
        self._sleep(max(0.0, seconds))
