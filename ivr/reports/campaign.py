"""The campaign's numbers over a period: the registration funnel, where calls end, transfers, disputes, lockouts,
SMS outcomes, by language, hour and day. Counts only: no CIN, birth date, name, number or CallSid is read out.

Every count is aggregated by the database (GROUP BY, SUM of CASE, COUNT): nothing loads one row per call. A period
is [since, until) in stored time (naive UTC); calls belong to it by their start, SMS by their creation, disputes
and lockouts by when they were recorded.

The funnel's stages, each counting the calls that reached it *and every stage before it in the same call* (so it
narrows; a call an agent sent past a stage counts only up to the stage it skipped):

1. **calls**: the calls started in the period (`call_sessions.started_at`).
2. **language chosen**: the call has a language (`call_sessions.language`, set by the language menu's key).
3. **asked to complete**: the caller chose to complete their registration at the main menu (the `intent` slot
   is `complete`, the slot `route_verified_caller` reads; `resend` is the credentials-again option).
4. **identity asked**: a step of the call stopped at the CIN question (an `ask` state whose validator is
   `cin_digits`, found in the flows' declarations) — a caller already locked out is never asked.
5. **identity verified**: the call proved who the caller is (`call_sessions.identity_verified`).
6. **category confirmed**: a step of the call stopped at a question that the `mobile_on_file` action leads to
   (confirm the mobile on file, or type one): only the declared category's "yes" leads there.
7. **registration completed**: this call completed the registration (`registrations.completed_by_call`).
8. **SMS sent**: the credentials SMS this call queued (`sms_outbox.idempotency_key` starts with the CallSid)
   was accepted by Twilio: queued, accepted, scheduled, sent, delivered or undelivered.
9. **SMS delivered**: Twilio reported that SMS delivered.

Where calls end (drop-off), for the calls started in the period that have ended (`call_sessions.status`):

- **transferred**: the call reached the advisors (`call_sessions.transfer_reason`); it is counted at the state it
  left for them (`transfer_state`), with its (latest) reason;
- otherwise at the state where it ended: **finished** when that is an `end` state (the flow hung up: goodbye,
  locked out, SMS limit, advisors closed); **timed out** when the call's last step was a question left
  unanswered (Twilio's gather timed out: `detail.miss` is `no_input`) and the caller then hung up; **hung up**
  otherwise.

SMS outcomes (credentials SMS created in the period): **waiting** (pending, sending), **sent** (queued, accepted,
scheduled, sent: with Twilio, no final report yet), **delivered**, **undelivered**, **failed** (failed, canceled),
**unknown** (a send interrupted or an error whose effect is unknown). **Resends** are the SMS not queued by the
call that completed their registration; **resent registrations** the registrations they went to.

Settled calls are counted from a rollup: `call_outcomes` holds one narrow row per call started more than
SETTLED_AFTER (6 hours) ago, to the hour, written by the reports themselves as calls settle (`settle`, a day of
calls per statement, under a lock); the newer calls are computed from the tables at each report. A settled call's
row does not change: an SMS delivery report more than 6 hours late, or a call whose end was never reported, is
counted as it stood when it settled.

Hours and days are Casablanca's (IVR_TIMEZONE): the database groups by UTC hour, and each hour is then placed in
the local calendar (Morocco's offsets are whole hours).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, String, and_, case, func, insert, literal, select, text, union_all
from sqlalchemy.orm import Session

from ivr.callflow.calls import local_zone
from ivr.flows.loader import FlowBook, State, Target
from ivr.runtime import Runtime
from ivr.store.locks import take_lock
from ivr.store.models import (
    CallEvent,
    CallOutcome,
    CallSession,
    Dispute,
    Lockout,
    Registration,
    ReportRollup,
    SmsOutbox,
)

STAGES = (
    "calls",
    "language chosen",
    "asked to complete",
    "identity asked",
    "identity verified",
    "category confirmed",
    "registration completed",
    "SMS sent",
    "SMS delivered",
)
STAGE_KEYS = tuple(name.replace(" ", "_").lower() for name in STAGES)
END_KINDS = ("hung up", "timed out", "transferred", "finished")
SMS_OUTCOMES = ("waiting", "sent", "delivered", "undelivered", "failed", "unknown")
SMS_OUTCOME_OF = {
    "pending": "waiting",
    "sending": "waiting",
    "queued": "sent",
    "accepted": "sent",
    "scheduled": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
SMS_ACCEPTED = ("queued", "accepted", "scheduled", "sent", "delivered", "undelivered")
LOCKOUT_KINDS = {"cin": "CIN", "caller": "number"}
NO_LANGUAGE = "none"
CIN_VALIDATOR = "cin_digits"  # ivr/callflow/actions/identity.py
MOBILE_ACTION = "mobile_on_file"  # ivr/callflow/actions/registration.py
LOCKED_OUTCOME = "locked"  # the lockout actions' outcome
COMPLETE_INTENT = "complete"  # the `intent` slot route_verified_caller reads


@dataclass(frozen=True)
class Period:
    """[since, until) in stored time (naive UTC); None leaves a side open."""

    since: datetime | None = None
    until: datetime | None = None

    def of(self, column: Any) -> list[ColumnElement[bool]]:
        found = []
        if self.since is not None:
            found.append(column >= self.since)
        if self.until is not None:
            found.append(column < self.until)
        return found


@dataclass
class Funnel:
    """The funnel's stages, in order, with their calls; the same by language."""

    stages: list[tuple[str, int]]
    by_language: dict[str, list[tuple[str, int]]]
    transfer_reasons: dict[str, int]
    disputes: dict[str, int]
    lockouts: dict[str, int]
    locked_out_calls: int

    @property
    def calls(self) -> int:
        return self.stages[0][1]

    @property
    def completed(self) -> int:
        return dict(self.stages)["registration completed"]


@dataclass
class DropOff:
    """Where ended calls ended: per state, how many of each end kind (and the transfers' reasons)."""

    states: dict[str, dict[str, int]]
    transfer_reasons: dict[str, int]

    def total(self, kind: str) -> int:
        return sum(counts[kind] for counts in self.states.values())


@dataclass
class SmsReport:
    """Credentials SMS by outcome, by language, and the resends."""

    outcomes: dict[str, int]
    by_language: dict[str, dict[str, int]]
    resends: int
    resent_registrations: int

    @property
    def total(self) -> int:
        return sum(self.outcomes.values())


@dataclass
class HourLine:
    """One local hour (or day) of calls."""

    start: datetime  # local
    counts: dict[str, int] = field(default_factory=dict)


HOUR_COUNTS = ("calls", "completed", "transferred", "hung up")


# The states the stages are read at, from the flows' declarations.


def waiting_states(flows: FlowBook, target: Target | None, seen: frozenset[str] = frozenset()) -> set[str]:
    """Return the states a call can stop at (ask, dial, end) when it goes to a target, through says and actions."""
    if target is None or target.transfer or target.state in seen:
        return set()
    state = flows[target.state]
    if state.kind in ("ask", "dial", "end"):
        return {state.name}
    onward: list[Target | None] = [state.next, *state.outcomes.values()]
    found: set[str] = set()
    for each in onward:
        found |= waiting_states(flows, each, seen | {state.name})
    return found


def _states(flows: FlowBook) -> Iterable[State]:
    return flows.states.values()


def identity_question_states(flows: FlowBook) -> list[str]:
    return sorted(s.name for s in _states(flows) if s.kind == "ask" and s.expect == CIN_VALIDATOR)


def category_confirmed_states(flows: FlowBook) -> list[str]:
    found: set[str] = set()
    for state in _states(flows):
        if state.action == MOBILE_ACTION:
            for target in state.outcomes.values():
                found |= waiting_states(flows, target)
    return sorted(found)


def locked_out_states(flows: FlowBook) -> list[str]:
    found: set[str] = set()
    for state in _states(flows):
        if state.kind == "action" and LOCKED_OUTCOME in state.outcomes:
            found |= waiting_states(flows, state.outcomes[LOCKED_OUTCOME])
    return sorted(found)


def end_states(flows: FlowBook) -> list[str]:
    return sorted(s.name for s in _states(flows) if s.kind == "end")


# The reports.


def _flag(condition: ColumnElement[bool]) -> Any:
    return case((condition, 1), else_=0)


def _call_rows(rt: Runtime, where: list[ColumnElement[bool]]) -> Select[Any]:
    """One row per call the conditions select (on call_sessions), as call_outcomes holds it: its language, how
    many stages it reached (each with all those before it), whether it registered, was locked out or transferred
    (the latest reason), and where and how it ended (None while it has not ended)."""
    flows = rt.flows

    def reached_state(states: list[str]) -> Any:  # a step of the call stopped at one of these states
        # The condition on the time (always true) keeps PostgreSQL to this call's events, read by its index,
        # rather than hashing every event at such states in the trail.
        return (
            select(CallEvent.id)
            .where(CallEvent.call_session_id == CallSession.id, CallEvent.at >= CallSession.started_at)
            .where(CallEvent.kind == "step", CallEvent.state.in_(states))
            .exists()
        )

    def sms_of_the_call(*statuses: str) -> Any:  # the SMS this call queued (its key starts with the CallSid)
        return (
            select(SmsOutbox.id)
            .where(
                SmsOutbox.registration_id == Registration.id,
                SmsOutbox.idempotency_key.like(CallSession.call_sid + literal(":%")),
                SmsOutbox.status.in_(statuses),
            )
            .exists()
        )

    last_miss = (
        select(CallEvent.detail["miss"].as_string())
        .where(CallEvent.call_session_id == CallSession.id, CallEvent.seq == CallSession.seq - 1)
        .where(CallEvent.kind == "step")
        .limit(1)
        .scalar_subquery()
    )
    intent = func.coalesce(CallSession.slots["intent"].as_string(), "")  # NOT of a NULL comparison is no match
    reached = [
        CallSession.language.is_not(None),
        intent == COMPLETE_INTENT,
        reached_state(identity_question_states(flows)),
        CallSession.identity_verified.is_(True),
        reached_state(category_confirmed_states(flows)),
        Registration.id.is_not(None),
        sms_of_the_call(*SMS_ACCEPTED),
        sms_of_the_call("delivered"),
    ]
    stage = case(*((~condition, index + 1) for index, condition in enumerate(reached)), else_=len(STAGES))
    ended = CallSession.status == "ended"
    transferred = CallSession.transfer_reason.is_not(None)
    at = CallSession.flow + literal(".", String) + CallSession.state
    end_kind = case(
        (~ended, None),
        (transferred, "transferred"),
        (at.in_(end_states(flows)), "finished"),
        (last_miss == "no_input", "timed out"),
        else_="hung up",
    )
    end_state = case((~ended, None), (transferred, CallSession.transfer_state), else_=at)
    return (
        select(
            CallSession.id.label("call_session_id"),
            CallSession.started_at.label("started_at"),
            func.coalesce(CallSession.language, NO_LANGUAGE).label("language"),
            stage.label("stage"),
            Registration.id.is_not(None).label("registered"),
            reached_state(locked_out_states(flows)).label("locked_out"),
            CallSession.transfer_reason.label("transfer_reason"),
            end_state.label("end_state"),
            end_kind.label("end_kind"),
        )
        .select_from(CallSession)
        .outerjoin(Registration, Registration.completed_by_call == CallSession.call_sid)
        .where(*where)
    )


ROLLUP = "calls"
# A call, its SMS and their delivery reports are over by then: Twilio ends a call after 4 hours, and an SMS not
# delivered within its validity period (4 hours by default) is reported undelivered.
SETTLED_AFTER = timedelta(hours=6)
SETTLE_CHUNK = timedelta(days=1)


def settle(rt: Runtime) -> datetime | None:
    """Write into call_outcomes the calls started before (now - SETTLED_AFTER), to the hour, not yet written;
    return up to when calls are settled (None: no call yet). Later changes to a settled call (an SMS report days
    late, a call whose end was never reported) are not seen by the reports."""
    target = (rt.now() - SETTLED_AFTER).replace(minute=0, second=0, microsecond=0)
    with rt.store.transaction() as db:
        take_lock(_planned(db), "reports:rollup")
        rollup = db.get(ReportRollup, ROLLUP)
        if rollup is not None and rollup.settled_before >= target:
            return rollup.settled_before
        first = db.scalar(select(func.min(CallSession.started_at)))
        if first is None:
            return None
        start = rollup.settled_before if rollup is not None else first.replace(minute=0, second=0, microsecond=0)
        while start < target:  # a day at a time: each statement reads one day's calls
            end = min(start + SETTLE_CHUNK, target)
            rows = _call_rows(rt, [CallSession.started_at >= start, CallSession.started_at < end])
            db.execute(insert(CallOutcome).from_select(list(rows.selected_columns.keys()), rows))
            start = end
        if rollup is None:
            db.add(ReportRollup(name=ROLLUP, settled_before=max(start, target)))
        else:
            rollup.settled_before = max(start, target)
        return max(start, target)


def _rows(rt: Runtime, period: Period) -> Any:
    """The period's calls, one row each: the settled ones from call_outcomes, the others computed now."""
    settled = settle(rt)
    live = [*period.of(CallSession.started_at)]
    if settled is None:
        return _call_rows(rt, live).subquery()
    live.append(CallSession.started_at >= settled)
    stored = select(
        CallOutcome.call_session_id,
        CallOutcome.started_at,
        CallOutcome.language,
        CallOutcome.stage,
        CallOutcome.registered,
        CallOutcome.locked_out,
        CallOutcome.transfer_reason,
        CallOutcome.end_state,
        CallOutcome.end_kind,
    ).where(CallOutcome.started_at < settled, *period.of(CallOutcome.started_at))
    return union_all(stored, _call_rows(rt, live)).subquery()


def funnel(rt: Runtime, period: Period = Period()) -> Funnel:
    """Return the funnel of the period's calls, by language too, with transfers, disputes and lockouts."""
    calls = _rows(rt, period)
    with rt.store.transaction() as db:
        rows = (
            _planned(db)
            .execute(
                select(
                    calls.c.language,
                    func.sum(_flag(calls.c.locked_out.is_(True))),
                    *(func.sum(_flag(calls.c.stage >= index + 1)) for index in range(len(STAGES))),
                ).group_by(calls.c.language)
            )
            .all()
        )
        by_language = {row[0]: [(name, int(row[2 + i] or 0)) for i, name in enumerate(STAGES)] for row in rows}
        total = [(name, sum(stages[i][1] for stages in by_language.values())) for i, name in enumerate(STAGES)]
        return Funnel(
            stages=total,
            by_language=dict(sorted(by_language.items())),
            transfer_reasons=_transfer_reasons(db, calls),
            disputes=_counted(db, Dispute.declared_category, period.of(Dispute.created_at)),
            lockouts={
                LOCKOUT_KINDS.get(kind, kind): count
                for kind, count in _counted(db, Lockout.kind, period.of(Lockout.created_at)).items()
            },
            locked_out_calls=sum(int(row[1] or 0) for row in rows),
        )


def _planned(db: Session) -> Session:
    """Return the session, told not to JIT-compile (on PostgreSQL): it costs a report more than it saves."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SET LOCAL jit = off"))
    return db


def _counted(db: Session, column: Any, where: list[ColumnElement[bool]]) -> dict[str, int]:
    rows = db.execute(select(column, func.count()).where(*where).group_by(column).order_by(func.count().desc(), column))
    return {str(value): int(count) for value, count in rows}


def _transfer_reasons(db: Session, calls: Any) -> dict[str, int]:
    return _counted(db, calls.c.transfer_reason, [calls.c.transfer_reason.is_not(None)])


def dropoff(rt: Runtime, period: Period = Period()) -> DropOff:
    """Return where the period's ended calls ended, per state: hung up, timed out, transferred, finished."""
    calls = _rows(rt, period)
    with rt.store.transaction() as db:
        rows = (
            _planned(db)
            .execute(
                select(calls.c.end_state, calls.c.end_kind, func.count())
                .where(calls.c.end_kind.is_not(None))
                .group_by(calls.c.end_state, calls.c.end_kind)
            )
            .all()
        )
        states: dict[str, dict[str, int]] = {}
        for name, end_kind, count in rows:
            states.setdefault(str(name), dict.fromkeys(END_KINDS, 0))[end_kind] += int(count)
        ordered = dict(sorted(states.items(), key=lambda item: (-sum(item[1].values()), item[0])))
        return DropOff(states=ordered, transfer_reasons=_transfer_reasons(db, calls))


def sms(rt: Runtime, period: Period = Period()) -> SmsReport:
    """Return the credentials SMS created in the period by outcome and language, and the resends."""
    outcome = case(*((SmsOutbox.status == status, name) for status, name in SMS_OUTCOME_OF.items()), else_="unknown")
    first = and_(
        Registration.completed_by_call.is_not(None),
        SmsOutbox.idempotency_key.like(Registration.completed_by_call + literal(":%")),
    )
    with rt.store.transaction() as db:
        rows = (
            _planned(db)
            .execute(
                select(SmsOutbox.language, outcome.label("outcome"), func.count())
                .where(*period.of(SmsOutbox.created_at))
                .group_by(SmsOutbox.language, outcome)
            )
            .all()
        )
        resent = db.execute(
            select(func.count(), func.count(func.distinct(SmsOutbox.registration_id)))
            .select_from(SmsOutbox)
            .join(Registration, Registration.id == SmsOutbox.registration_id)
            .where(~first, *period.of(SmsOutbox.created_at))
        ).one()
    outcomes = dict.fromkeys(SMS_OUTCOMES, 0)
    by_language: dict[str, dict[str, int]] = {}
    for language, name, count in rows:
        outcomes[name] += int(count)
        by_language.setdefault(language, dict.fromkeys(SMS_OUTCOMES, 0))[name] += int(count)
    return SmsReport(outcomes, dict(sorted(by_language.items())), int(resent[0]), int(resent[1]))


def hours(rt: Runtime, period: Period = Period(), by: str = "hour") -> list[HourLine]:
    """Return the period's calls per local hour (or day): calls, completed (a registration), transferred, hung up
    (ended at a question, timed out or not, without a registration)."""
    zone = local_zone(rt)
    calls = _rows(rt, period)
    with rt.store.transaction() as db:
        _planned(db)
        bucket = _utc_hour(db, calls.c.started_at).label("hour")
        rows = db.execute(
            select(
                bucket,
                func.count(),
                func.sum(_flag(calls.c.registered.is_(True))),
                func.sum(_flag(calls.c.transfer_reason.is_not(None))),
                func.sum(_flag(and_(calls.c.end_kind.in_(("hung up", "timed out")), calls.c.registered.is_(False)))),
            ).group_by(bucket)
        ).all()
    lines: dict[datetime, HourLine] = {}
    for hour, *counts in rows:
        start = _local_bucket(hour, zone, by)
        line = lines.setdefault(start, HourLine(start, dict.fromkeys(HOUR_COUNTS, 0)))
        for name, count in zip(HOUR_COUNTS, counts, strict=True):
            line.counts[name] += int(count or 0)
    return [lines[key] for key in sorted(lines)]


def _utc_hour(db: Session, column: Any) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", column)
    return func.strftime("%Y-%m-%d %H:00:00", column)


def _local_bucket(hour: datetime | str, zone: ZoneInfo, by: str) -> datetime:
    moment = datetime.fromisoformat(hour) if isinstance(hour, str) else hour
    local = moment.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    return local.replace(hour=0) if by == "day" else local


def local_time_text(moment: datetime, zone: ZoneInfo) -> str:
    """Return a stored time (naive UTC) as a local time to the minute ("2026-12-01 09:30")."""
    return f"{moment.replace(tzinfo=UTC).astimezone(zone):%Y-%m-%d %H:%M}"
