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

Hours and days are Casablanca's (IVR_TIMEZONE): the database groups by UTC hour, and each hour is then placed in
the local calendar (Morocco's offsets are whole hours).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, case, func, literal, select
from sqlalchemy.orm import Session

from ivr.callflow.calls import local_zone
from ivr.flows.loader import FlowBook, State, Target
from ivr.runtime import Runtime
from ivr.store.models import CallEvent, CallSession, Dispute, Lockout, Registration, SmsOutbox

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


def _call_stage_flags(rt: Runtime, period: Period) -> Any:
    """One row per call of the period with a 0/1 column for each stage (the stage and all those before it)."""
    flows = rt.flows
    asked = identity_question_states(flows)
    confirmed = category_confirmed_states(flows)
    locked = locked_out_states(flows)
    marks = (
        select(
            CallEvent.call_session_id.label("call_id"),
            func.max(_flag(CallEvent.state.in_(asked))).label("identity_asked"),
            func.max(_flag(CallEvent.state.in_(confirmed))).label("category_confirmed"),
            func.max(_flag(CallEvent.state.in_(locked))).label("locked_out"),
        )
        .join(CallSession, CallSession.id == CallEvent.call_session_id)
        .where(
            CallEvent.kind == "step",
            CallEvent.state.in_([*asked, *confirmed, *locked]),
            *period.of(CallSession.started_at),
        )
        .group_by(CallEvent.call_session_id)
        .subquery()
    )
    sms = (
        select(
            Registration.completed_by_call.label("call_sid"),
            func.max(_flag(SmsOutbox.status.in_(SMS_ACCEPTED))).label("sent"),
            func.max(_flag(SmsOutbox.status == "delivered")).label("delivered"),
        )
        .join(SmsOutbox, SmsOutbox.registration_id == Registration.id)
        .where(
            Registration.completed_by_call.is_not(None),
            SmsOutbox.idempotency_key.like(Registration.completed_by_call + literal(":%")),
        )
        .group_by(Registration.completed_by_call)
        .subquery()
    )
    intent = CallSession.slots["intent"].as_string()
    reached = [
        literal(True),
        CallSession.language.is_not(None),
        intent == COMPLETE_INTENT,
        func.coalesce(marks.c.identity_asked, 0) == 1,
        CallSession.identity_verified.is_(True),
        func.coalesce(marks.c.category_confirmed, 0) == 1,
        Registration.id.is_not(None),
        func.coalesce(sms.c.sent, 0) == 1,
        func.coalesce(sms.c.delivered, 0) == 1,
    ]
    columns = [
        func.coalesce(CallSession.language, NO_LANGUAGE).label("language"),
        func.coalesce(marks.c.locked_out, 0).label("locked_out"),
    ]
    for index, key in enumerate(STAGE_KEYS):
        columns.append(_flag(and_(*reached[: index + 1])).label(key))
    return (
        select(*columns)
        .select_from(CallSession)
        .outerjoin(marks, marks.c.call_id == CallSession.id)
        .outerjoin(Registration, Registration.completed_by_call == CallSession.call_sid)
        .outerjoin(sms, sms.c.call_sid == CallSession.call_sid)
        .where(*period.of(CallSession.started_at))
        .subquery()
    )


def funnel(rt: Runtime, period: Period = Period()) -> Funnel:
    """Return the funnel of the period's calls, by language too, with transfers, disputes and lockouts."""
    flags = _call_stage_flags(rt, period)
    with rt.store.transaction() as db:
        rows = db.execute(
            select(
                flags.c.language,
                func.sum(flags.c.locked_out),
                *(func.sum(flags.c[key]) for key in STAGE_KEYS),
            ).group_by(flags.c.language)
        ).all()
        by_language = {row[0]: [(name, int(row[2 + i] or 0)) for i, name in enumerate(STAGES)] for row in rows}
        total = [(name, sum(stages[i][1] for stages in by_language.values())) for i, name in enumerate(STAGES)]
        return Funnel(
            stages=total,
            by_language=dict(sorted(by_language.items())),
            transfer_reasons=_transfer_reasons(db, period),
            disputes=_counted(db, Dispute.declared_category, period.of(Dispute.created_at)),
            lockouts={
                LOCKOUT_KINDS.get(kind, kind): count
                for kind, count in _counted(db, Lockout.kind, period.of(Lockout.created_at)).items()
            },
            locked_out_calls=sum(int(row[1] or 0) for row in rows),
        )


def _counted(db: Session, column: Any, where: list[ColumnElement[bool]]) -> dict[str, int]:
    rows = db.execute(select(column, func.count()).where(*where).group_by(column).order_by(func.count().desc(), column))
    return {str(value): int(count) for value, count in rows}


def _transfer_reasons(db: Session, period: Period) -> dict[str, int]:
    return _counted(
        db, CallSession.transfer_reason, [CallSession.transfer_reason.is_not(None), *period.of(CallSession.started_at)]
    )


def dropoff(rt: Runtime, period: Period = Period()) -> DropOff:
    """Return where the period's ended calls ended, per state: hung up, timed out, transferred, finished."""
    ends = end_states(rt.flows)
    last_step = (
        select(CallEvent.call_session_id.label("call_id"), CallEvent.detail["miss"].as_string().label("miss"))
        .join(CallSession, CallSession.id == CallEvent.call_session_id)
        .where(
            CallEvent.kind == "step",
            CallEvent.seq == CallSession.seq - 1,
            CallSession.status == "ended",
            CallSession.transfer_reason.is_(None),
            *period.of(CallSession.started_at),
        )
        .subquery()
    )
    where = CallSession.flow + literal(".", String) + CallSession.state
    kind = case(
        (CallSession.transfer_reason.is_not(None), "transferred"),
        (where.in_(ends), "finished"),
        (last_step.c.miss == "no_input", "timed out"),
        else_="hung up",
    ).label("kind")
    state = case((CallSession.transfer_reason.is_not(None), CallSession.transfer_state), else_=where).label("state")
    with rt.store.transaction() as db:
        rows = db.execute(
            select(state, kind, func.count())
            .select_from(CallSession)
            .outerjoin(last_step, last_step.c.call_id == CallSession.id)
            .where(CallSession.status == "ended", *period.of(CallSession.started_at))
            .group_by(state, kind)
        ).all()
        states: dict[str, dict[str, int]] = {}
        for name, end_kind, count in rows:
            states.setdefault(str(name), dict.fromkeys(END_KINDS, 0))[end_kind] += int(count)
        ordered = dict(sorted(states.items(), key=lambda item: (-sum(item[1].values()), item[0])))
        return DropOff(states=ordered, transfer_reasons=_transfer_reasons(db, period))


def sms(rt: Runtime, period: Period = Period()) -> SmsReport:
    """Return the credentials SMS created in the period by outcome and language, and the resends."""
    outcome = case(*((SmsOutbox.status == status, name) for status, name in SMS_OUTCOME_OF.items()), else_="unknown")
    first = and_(
        Registration.completed_by_call.is_not(None),
        SmsOutbox.idempotency_key.like(Registration.completed_by_call + literal(":%")),
    )
    with rt.store.transaction() as db:
        rows = db.execute(
            select(SmsOutbox.language, outcome.label("outcome"), func.count())
            .where(*period.of(SmsOutbox.created_at))
            .group_by(SmsOutbox.language, outcome)
        ).all()
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
    """Return the period's calls per local hour (or day): calls, completed, transferred, hung up (ended elsewhere
    than an end state, not transferred)."""
    zone = local_zone(rt)
    with rt.store.transaction() as db:
        bucket = _utc_hour(db, CallSession.started_at).label("hour")
        where = CallSession.flow + literal(".", String) + CallSession.state
        rows = db.execute(
            select(
                bucket,
                func.count(),
                func.count(Registration.id),
                func.sum(_flag(CallSession.transfer_reason.is_not(None))),
                func.sum(
                    _flag(
                        and_(
                            CallSession.status == "ended",
                            CallSession.transfer_reason.is_(None),
                            Registration.id.is_(None),
                            where.not_in(end_states(rt.flows)),
                        )
                    )
                ),
            )
            .select_from(CallSession)
            .outerjoin(Registration, Registration.completed_by_call == CallSession.call_sid)
            .where(*period.of(CallSession.started_at))
            .group_by(bucket)
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
