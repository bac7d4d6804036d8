"""The outbox sender: a thread of a web process (IVR_SMS_SENDER = "thread"), or `flask sms worker`."""

from __future__ import annotations

import logging
import threading

from ivr.runtime import Runtime
from ivr.sms.outbox import send_pending
from ivr.speech.catalog import Catalog

log = logging.getLogger(__name__)

EXTRAS_KEY = "sms_sender"
_starting = threading.Lock()


class SmsSender:
    """Send the pending SMS in a loop (a thread, or a worker's main loop): when notified, else every `interval` s."""

    def __init__(self, runtime: Runtime, catalog: Catalog | None = None, interval: float = 1.0):
        self.runtime, self.interval = runtime, interval
        self.catalog = catalog or runtime.catalog
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="sms-sender", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the thread to end after its current round, and wait for it."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self) -> None:
        """Wake the thread now (call after committing an enqueue)."""
        self._wake.set()

    def run(self) -> None:
        """Send in this thread until stop() is called (the `sms worker` process)."""
        self._run()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                send_pending(self.runtime, self.catalog, stopping=self._stopping.is_set)
            except Exception:
                log.exception("sms sender: sending the pending SMS failed; will try again")
            self._wake.wait(self.interval)
            self._wake.clear()


def start_sender(runtime: Runtime, catalog: Catalog | None = None) -> SmsSender | None:
    """Start this process's sender when IVR_SMS_SENDER is "thread", and keep it in the runtime."""
    if runtime.settings.get("IVR_SMS_SENDER") != "thread":
        return None
    with _starting:  # two first requests at once must not start two threads
        sender = runtime.extras.get(EXTRAS_KEY)
        if sender is None:
            sender = runtime.extras[EXTRAS_KEY] = SmsSender(runtime, catalog)
            sender.start()
    return sender


def wake_sender(runtime: Runtime) -> None:
    """Wake this process's sender, if it has one (after an enqueue is committed)."""
    sender = runtime.extras.get(EXTRAS_KEY)
    if sender is not None:
        sender.notify()
