"""Wait for something the tests cannot be told about (a server listening, a row written), or fail loudly."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# How long something may take on a slow, shared CI machine (a wait, not an assertion on speed).
PATIENCE = 90.0


class WaitTimedOut(AssertionError):
    """What a test waited for did not happen in time."""


def wait_until(
    condition: Callable[[], T],
    what: str,
    within: float = PATIENCE,
    every: float = 0.1,
    ignoring: tuple[type[BaseException], ...] = (),
    describe: Callable[[], str] | None = None,
) -> T:
    """Call condition until it returns something truthy, and return that; raise WaitTimedOut after `within` s.

    Exceptions of the `ignoring` types count as "not yet" (a server still starting refuses connections
    or times out); any other exception ends the wait at once. `describe` adds context to the failure
    (a server's log); the failure names `what`, the last value seen, and chains the last exception ignored.
    """
    deadline = time.monotonic() + within
    last: object = None
    while True:
        try:
            last = condition()
        except ignoring as error:
            last = error
        else:
            if last:
                return last  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            detail = f"\n{describe()}" if describe else ""
            # The last exception ignored is the cause: its traceback says where the wait was stuck.
            cause = last if isinstance(last, BaseException) else None
            raise WaitTimedOut(f"waited {within:g} s for {what}; last seen: {last!r}{detail}") from cause
        time.sleep(every)
