"""CLI: sms worker, a process that sends the SMS outbox (with IVR_SMS_SENDER=off in the web processes)."""

from __future__ import annotations

import logging
import signal
from types import FrameType

import click
from flask.cli import AppGroup

from ivr.sms.sender import SmsSender
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)

sms = AppGroup("sms", help="Send the credentials SMS of the outbox.")


@sms.command("worker")
@click.option("--interval", default=1.0, show_default=True, help="Seconds between two looks at the outbox.")
def worker_command(interval: float) -> None:
    """Send the outbox until SIGTERM or SIGINT; any number of workers may run at once."""
    runtime = current_runtime()
    sender = SmsSender(runtime, interval=interval)

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("sms worker: %s received, stopping after the SMS in hand", signal.Signals(signum).name)
        sender.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("sms worker: sending the outbox every %s s", interval)
    sender.run()
    log.info("sms worker: stopped")
