"""Run actions in threads released at the same instant, as concurrent webhooks or processes would."""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.waiting import PATIENCE, wait_until


def all_at_once(actions: list[Callable[[], object]], timeout: float = 3 * PATIENCE) -> list:
    """Run the actions in threads released together; return their results; re-raise the first failure.

    Fail loudly when some are still running after `timeout` s: their results would be missing.
    """
    start, results, failures = threading.Barrier(len(actions)), [], []

    def run(action):
        start.wait()
        try:
            results.append(action())
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(action,), daemon=True) for action in actions]
    for thread in threads:
        thread.start()

    def running() -> int:
        return sum(thread.is_alive() for thread in threads)

    wait_until(
        lambda: running() == 0,
        f"{len(actions)} actions run at once to end",
        within=timeout,
        every=0.05,
        describe=lambda: f"{running()} still running; {len(failures)} failed so far: {failures[:3]!r}",
    )
    if failures:
        raise failures[0]
    return results
