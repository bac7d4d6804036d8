"""Run actions in threads released at the same instant, as concurrent webhooks or processes would."""
from __future__ import annotations

import threading
from typing import Callable


def all_at_once(actions: list[Callable[[], object]], timeout: float = 120) -> list:
    """Run the actions in threads released together; return their results; re-raise the first failure."""
    start, results, failures = threading.Barrier(len(actions)), [], []

    def run(action):
        start.wait()
        try:
            results.append(action())
        except BaseException as error:  # noqa: BLE001 - re-raised below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if failures:
        raise failures[0]
    return results
