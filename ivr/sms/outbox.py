"""Credentials by SMS: the outbox, its sending through Twilio, and Twilio's delivery reports.

A request only queues a row (no body, no password). The sender claims rows one at a time,
draws the password, sends it, and only then stores its hash and revokes the previous one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

import requests
from sqlalchemy import Connection, CursorResult, Update, bindparam, func, insert, select, update
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from ivr.registration.credentials import generate_password, hash_password
from ivr.runtime import Runtime
from ivr.settings import Settings, public_base_url
from ivr.sms.encoding import sms_segments
from ivr.speech.catalog import LANGUAGES, Catalog
from ivr.store.models import Credential, Registration, SmsOutbox
from ivr.twilio_rest import close_client, make_client, send_sms

log = logging.getLogger(__name__)

CREDENTIALS = "credentials"
CREDENTIALS_PROMPT = "sms.credentials"
DELIVERIES_PER_WINDOW = 3
DELIVERY_WINDOW = timedelta(hours=24)
# A claimed row older than this lost its sender mid-send: it may or may not have gone out.
INTERRUPTED_AFTER = timedelta(minutes=10)
# Statuses in the order they happen; delivered, undelivered, failed, canceled and unknown are final.
STATUS_RANK = {
    "pending": 0,
    "sending": 1,
    "queued": 2,
    "accepted": 2,
    "scheduled": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "canceled": 4,
}
FINAL_RANK = 4
# Asked by every call that completes a registration: built once.
_HOLD_REGISTRATION = select(Registration.id).where(Registration.id == bindparam("registration")).with_for_update()
_QUEUED_BEFORE = select(SmsOutbox.id).where(SmsOutbox.idempotency_key == bindparam("idempotency_key"))
_RECENT = select(func.count(SmsOutbox.id)).where(
    SmsOutbox.registration_id == bindparam("registration"),
    SmsOutbox.kind == CREDENTIALS,
    SmsOutbox.created_at > bindparam("since"),
)
_QUEUE = insert(SmsOutbox).returning(SmsOutbox.id)

__all__ = [
    "record_status",
    "request_credentials",
    "send_pending",
    "sms_segments",
    "status_callback_url",
]


def _tail(number: str) -> str:
    return "…" + number[-4:]


def request_credentials(
    db: Session | Connection, registration_id: int, mobile: str, language: str, idempotency_key: str, now: datetime
) -> str:
    """Queue a credentials SMS to the registration's mobile: "queued", "already_queued" or "limit_reached"."""
    if language not in LANGUAGES:
        raise ValueError(f"no SMS text in language {language!r}")
    # Serialise the requests of one registration, so that two processes cannot both pass the limit.
    db.execute(_HOLD_REGISTRATION, {"registration": registration_id})
    if db.scalar(_QUEUED_BEFORE, {"idempotency_key": idempotency_key}):
        return "already_queued"
    recent = db.scalar(_RECENT, {"registration": registration_id, "since": now - DELIVERY_WINDOW})
    if (recent or 0) >= DELIVERIES_PER_WINDOW:
        log.info("credentials SMS refused for registration %s: %s already in 24 h", registration_id, recent)
        return "limit_reached"
    queued = db.scalar(
        _QUEUE,
        {
            "idempotency_key": idempotency_key,
            "kind": CREDENTIALS,
            "registration_id": registration_id,
            "to_number": mobile,
            "language": language,
            "status": "pending",
            "created_at": now,
            "updated_at": now,
        },
    )
    log.info("sms %s queued to %s", queued, _tail(mobile))
    return "queued"


def status_callback_url(settings: Settings) -> str | None:
    """Return the URL Twilio should report delivery to, when the public base URL is known."""
    base = public_base_url(settings)
    return f"{base}/sms/status" if base else None


def send_pending(
    runtime: Runtime, catalog: Catalog, limit: int | None = None, stopping: Callable[[], bool] = lambda: False
) -> int:
    """Send the pending SMS, each claimed by one sender only; return how many Twilio accepted.

    `stopping` is asked before each claim: a sender asked to stop finishes the SMS in hand only.
    """
    _give_up_interrupted(runtime)
    client: Client | None = None
    claimed = accepted = 0
    try:
        while (limit is None or claimed < limit) and not stopping():
            outbox_id = _claim_next(runtime)
            if outbox_id is None:
                break
            claimed += 1
            client = client or make_client(runtime.settings)
            accepted += _send_claimed(runtime, catalog, client, outbox_id)
    finally:
        if client is not None:
            close_client(client)
    return accepted


def _give_up_interrupted(runtime: Runtime) -> None:
    """Mark `unknown` the rows claimed too long ago: they are never re-sent automatically."""
    now = runtime.now()
    with runtime.store.transaction() as session:
        ids = session.scalars(
            select(SmsOutbox.id).where(SmsOutbox.status == "sending", SmsOutbox.updated_at < now - INTERRUPTED_AFTER)
        ).all()
        for outbox_id in ids:
            given_up = _changed_rows(
                session,
                update(SmsOutbox)
                .where(SmsOutbox.id == outbox_id, SmsOutbox.status == "sending")
                .values(
                    status="unknown",
                    error_code="interrupted",
                    updated_at=now,
                    error_message="the sender stopped while sending; not re-sent",
                )
                .execution_options(synchronize_session=False),
            )
            if given_up == 1:
                log.warning("sms %s: interrupted while sending, marked unknown", outbox_id)


def _claim_next(runtime: Runtime) -> int | None:
    """Move one pending row to `sending` and return its id; None when none is left.

    PostgreSQL skips the rows other senders are claiming (FOR UPDATE SKIP LOCKED); on SQLite the
    transaction holds the writer lock, so senders claim one after the other.
    """
    with runtime.store.transaction() as session:
        outbox_id = session.scalar(
            select(SmsOutbox.id)
            .where(SmsOutbox.status == "pending")
            .order_by(SmsOutbox.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if outbox_id is None:
            return None
        claimed = _changed_rows(
            session,
            update(SmsOutbox)
            .where(SmsOutbox.id == outbox_id, SmsOutbox.status == "pending")
            .values(status="sending", updated_at=runtime.now())
            .execution_options(synchronize_session=False),
        )
        return outbox_id if claimed == 1 else None


def _changed_rows(session: Session, statement: Update) -> int:
    """Run an UPDATE and return how many rows it changed."""
    # Session.execute is typed as returning any Result; an UPDATE's is a CursorResult, which has rowcount.
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def _send_claimed(runtime: Runtime, catalog: Catalog, client: Client, outbox_id: int) -> bool:
    """Send one claimed row with a new password; store its hash only once Twilio accepted it."""
    with runtime.store.transaction() as session:
        row = session.get_one(SmsOutbox, outbox_id)
        to, language, registration_id = row.to_number, row.language, row.registration_id
        number = session.get_one(Registration, registration_id).number
    password = generate_password()
    password_hash = hash_password(password)
    try:
        body = catalog.text(language, CREDENTIALS_PROMPT, number=number, password=password.reveal())
    except (KeyError, ValueError) as error:
        return _finish(runtime, outbox_id, to, "failed", "text", f"cannot compose: {type(error).__name__}")
    finally:
        del password
    try:
        message_sid = send_sms(
            client, to, runtime.settings["TWILIO_SMS_FROM"], body, status_callback_url(runtime.settings)
        )
    except TwilioRestException as error:
        return _finish(runtime, outbox_id, to, "failed", str(error.code), error.msg)
    except requests.RequestException as error:
        # Only a connection never made proves that nothing was sent; a timeout after it does not.
        status = "failed" if _never_connected(error) else "unknown"
        return _finish(runtime, outbox_id, to, status, "transport", type(error).__name__)
    except Exception as error:  # its text could quote the request: log its type only
        return _finish(runtime, outbox_id, to, "unknown", "exception", type(error).__name__)
    finally:
        del body
    try:
        _store_sent(runtime, outbox_id, registration_id, password_hash, message_sid)
    except Exception as error:
        # The row stays `sending`, then `unknown`: the caller asks again for a new password.
        log.error(
            "sms %s to %s: sent as %s, but its password could not be stored (%s)",
            outbox_id,
            _tail(to),
            message_sid,
            type(error).__name__,
        )
        return False
    log.info("sms %s to %s: sent as %s", outbox_id, _tail(to), message_sid)
    return True


def _never_connected(error: requests.RequestException) -> bool:
    """Tell whether a transport error happened before any byte could reach Twilio."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


def _finish(runtime: Runtime, outbox_id: int, to: str, status: str, code: str, message: str) -> bool:
    """Record a send that did not go through; the previous password stays valid."""
    with runtime.store.transaction() as session:
        row = session.get_one(SmsOutbox, outbox_id)
        row.status, row.error_code, row.error_message = status, code[:20], message[:500]
        row.updated_at = runtime.now()
    log.warning("sms %s to %s: %s (error %s)", outbox_id, _tail(to), status, code)
    return False


def _store_sent(runtime: Runtime, outbox_id: int, registration_id: int, password_hash: str, message_sid: str) -> None:
    """Store the new password's hash, revoke the older ones and mark the row sent, together."""
    now = runtime.now()
    with runtime.store.transaction() as session:
        session.execute(
            update(Credential)
            .where(Credential.registration_id == registration_id, Credential.revoked_at.is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        session.add(
            Credential(
                registration_id=registration_id, password_hash=password_hash, created_at=now, outbox_id=outbox_id
            )
        )
        row = session.get_one(SmsOutbox, outbox_id)
        row.status, row.message_sid, row.sent_at, row.updated_at = "sent", message_sid, now, now


def record_status(runtime: Runtime, message_sid: str, status: str, error_code: str | None) -> bool:
    """Apply a delivery report to its outbox row, never backwards; False for an unknown message."""
    with runtime.store.transaction() as session:
        row = session.scalar(select(SmsOutbox).where(SmsOutbox.message_sid == message_sid).with_for_update())
        if row is None:
            log.warning("delivery report %s for an unknown message %s", status, message_sid)
            return False
        current = STATUS_RANK.get(row.status, FINAL_RANK)
        if current < FINAL_RANK and STATUS_RANK.get(status, -1) > current:
            row.status, row.updated_at = status, runtime.now()
            if error_code:
                row.error_code = str(error_code)[:20]
            log.info("sms %s to %s: %s", row.id, _tail(row.to_number), status)
    return True
