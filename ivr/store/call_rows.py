"""A call's row as a step reads and writes it: SQLAlchemy Core statements built once, not the ORM.

A webhook's step is the hot path of the server: it locks the call's row, reads it into a plain CallRow, and
writes it back with the step's audit event. On PostgreSQL the write is one statement (the row's update and the
event's insert in a data-modifying WITH), so a step without actions costs BEGIN, SELECT … FOR UPDATE, that
statement and COMMIT. Everything else that reads calls (agents, reports, exports) keeps the ORM models.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BindParameter, Connection, Table, bindparam, insert, select, text, update

from ivr.store.models import CallEvent, CallSession

CALLS: Table = CallSession.__table__  # type: ignore[assignment]  # declared models' tables are Tables
EVENTS: Table = CallEvent.__table__  # type: ignore[assignment]


@dataclass(slots=True)
class CallRow:
    """One call as a step sees it: where it stands and what it has gathered (the same names as CallSession)."""

    id: int
    call_sid: str
    from_number: str
    language: str | None
    flow: str
    state: str
    seq: int
    misses: int
    failed_checks: int
    slots: dict[str, Any]
    status: str
    identity_verified: bool
    pre_registration_id: int | None
    transfer_reason: str | None
    transfer_state: str | None
    transferred_at: datetime | None
    updated_at: datetime

    @classmethod
    def starting(
        cls, call_sid: str, from_number: str, flow: str, state: str, slots: dict[str, Any], now: datetime
    ) -> CallRow:
        """Return a call as it starts at a state: no language, nothing gathered; its id is known once inserted."""
        return cls(
            id=0,
            call_sid=call_sid,
            from_number=from_number,
            language=None,
            flow=flow,
            state=state,
            seq=0,
            misses=0,
            failed_checks=0,
            slots=slots,
            status="active",
            identity_verified=False,
            pre_registration_id=None,
            transfer_reason=None,
            transfer_state=None,
            transferred_at=None,
            updated_at=now,
        )


COLUMNS = tuple(field.name for field in fields(CallRow))
# What a step may change; the rest (id, CallSid, calling number) is fixed when the call starts.
CHANGING = COLUMNS[3:]

_LOCK = select(*(CALLS.c[name] for name in COLUMNS)).where(CALLS.c.call_sid == bindparam("call_sid")).with_for_update()
_LAST_ANSWER = select(CALLS.c.last_response).where(CALLS.c.call_sid == bindparam("call_sid"))
# The event's values, named apart from the columns they go to.
_EVENT_TYPES = {"event_seq": EVENTS.c.seq.type, "kind": EVENTS.c.kind.type, "event_state": EVENTS.c.state.type}
_EVENT_VALUES = ("call_id", "event_seq", "updated_at", "kind", "event_state", "detail")


def _typed(*names: str) -> list[BindParameter[Any]]:
    """Give a text statement's values their columns' types: SQLite keeps dates as text in SQLAlchemy's format,
    which a value sent untyped would not match."""
    types = {c.name: c.type for c in CALLS.c} | _EVENT_TYPES
    types.update(call_id=CALLS.c.id.type, detail=JSON(), at=CALLS.c.ended_at.type)
    return [bindparam(name, type_=types[name]) for name in names]


_STARTED = ("call_sid", "reference", "from_number", "to_number", "started_at", *CHANGING, "last_response")
_START = text(
    f"INSERT INTO call_sessions ({', '.join(_STARTED)}) VALUES ({', '.join(':' + name for name in _STARTED)})"
    " ON CONFLICT (call_sid) DO NOTHING RETURNING id"
).bindparams(*_typed(*_STARTED))
# PostgreSQL inserts the call's row and its first event in one round trip.
_START_IN_ONE = text(
    f"WITH started AS ({_START.text}) INSERT INTO call_events (call_session_id, seq, at, kind, state, detail)"
    " SELECT id, :event_seq, :updated_at, :kind, :event_state, :detail FROM started RETURNING call_session_id"
).bindparams(*_typed(*_STARTED, *_EVENT_TYPES, "detail"))
_LAST_LANGUAGE = (
    select(CALLS.c.language)
    .where(CALLS.c.from_number == bindparam("from_number"), CALLS.c.language.is_not(None))
    .order_by(CALLS.c.started_at.desc())
    .limit(1)
)
_END = (
    update(CALLS)
    .where(CALLS.c.call_sid == bindparam("sid"), CALLS.c.status != "ended")
    .values(status="ended", ended_at=_typed("at")[0], updated_at=_typed("at")[0])
    .returning(CALLS.c.id, CALLS.c.seq, CALLS.c.flow, CALLS.c.state)
)
_END_IN_ONE = text(
    "WITH ended AS (UPDATE call_sessions SET status = 'ended', ended_at = :at, updated_at = :at"
    " WHERE call_sid = :call_sid AND status <> 'ended' RETURNING id, seq, flow, state) "
    "INSERT INTO call_events (call_session_id, seq, at, kind, state, detail)"
    " SELECT id, seq, :at, 'status', flow || '.' || state, :detail FROM ended RETURNING call_session_id"
).bindparams(*_typed("at", "detail"))
_UPDATE = (
    update(CALLS)
    .where(CALLS.c.id == bindparam("call_id"))
    .values({name: bindparam(name, type_=CALLS.c[name].type) for name in (*CHANGING, "last_response")})
)
_EVENT = insert(EVENTS).values(
    dict(zip(("call_session_id", "seq", "at", "kind", "state", "detail"), _typed(*_EVENT_VALUES), strict=True))
)
_ASSIGNMENTS = ", ".join(f"{name} = :{name}" for name in (*CHANGING, "last_response"))
# PostgreSQL takes the row's update and the event's insert in one round trip; SQLite runs them one by one.
_STEP_IN_ONE = text(
    f"WITH step AS (UPDATE call_sessions SET {_ASSIGNMENTS} WHERE id = :call_id) "
    "INSERT INTO call_events (call_session_id, seq, at, kind, state, detail) "
    "VALUES (:call_id, :event_seq, :updated_at, :kind, :event_state, :detail)"
).bindparams(*_typed(*CHANGING, "last_response", *_EVENT_TYPES, "detail"))


def lock(conn: Connection, call_sid: str) -> CallRow | None:
    """Read a call's row, locked until the transaction ends, so that concurrent webhooks of one call take turns."""
    found = conn.execute(_LOCK, {"call_sid": call_sid}).first()
    return None if found is None else CallRow(*found)


def last_answer(conn: Connection, call_sid: str) -> str | None:
    """Return the TwiML a call's last step answered, or None for an unknown call."""
    return conn.execute(_LAST_ANSWER, {"call_sid": call_sid}).scalar()


def last_language(conn: Connection, from_number: str) -> str | None:
    """Return the language a calling number chose in its latest call that chose one."""
    return conn.execute(_LAST_LANGUAGE, {"from_number": from_number}).scalar()


def start(conn: Connection, call: CallRow, fixed: dict[str, Any], answer: str, detail: dict[str, Any]) -> bool:
    """Insert a new call's row as its first step leaves it, with that step's audit event; tell whether it was
    inserted (False: a call with this CallSid exists, and nothing was written)."""
    row = {name: getattr(call, name) for name in COLUMNS[1:]} | fixed | {"last_response": answer}
    event = _event(call, 0, "step", detail)
    if conn.dialect.name == "postgresql":
        call.id = conn.execute(_START_IN_ONE, row | event).scalar() or 0
    else:
        call.id = conn.execute(_START, row).scalar() or 0
        if call.id:
            conn.execute(_EVENT, event | {"call_id": call.id})
    return bool(call.id)


def save_step(conn: Connection, call: CallRow, answer: str, event_seq: int, kind: str, detail: dict[str, Any]) -> None:
    """Write a call's row as the step leaves it, with the TwiML it answered, and the step's audit event."""
    # Only the statement's own names: Core would take any other key naming a column as one more to write.
    row = {name: getattr(call, name) for name in CHANGING} | {"call_id": call.id, "last_response": answer}
    event = _event(call, event_seq, kind, detail)
    if conn.dialect.name == "postgresql":
        conn.execute(_STEP_IN_ONE, {**row, **event})
    else:
        conn.execute(_UPDATE, row)
        conn.execute(_EVENT, event)


def _event(call: CallRow, event_seq: int, kind: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "call_id": call.id,
        "event_seq": event_seq,
        "updated_at": call.updated_at,
        "kind": kind,
        "event_state": f"{call.flow}.{call.state}",
        "detail": detail,
    }


def end(conn: Connection, call_sid: str, at: datetime, detail: dict[str, Any]) -> bool:
    """Mark a call ended, with its audit event; tell whether it was still going (a call ends once)."""
    if conn.dialect.name == "postgresql":
        return conn.execute(_END_IN_ONE, {"call_sid": call_sid, "at": at, "detail": detail}).first() is not None
    ended = conn.execute(_END, {"sid": call_sid, "at": at}).first()
    if ended is None:
        return False
    event = {"call_id": ended.id, "event_seq": ended.seq, "updated_at": at, "kind": "status"}
    conn.execute(_EVENT, {**event, "event_state": f"{ended.flow}.{ended.state}", "detail": detail})
    return True
