"""The numbers a flow's drawing carries for a period, from the audit trail: calls through each state, calls along
each arrow, and calls that ended at a state (the drop-offs). Counts only: no CIN, number or CallSid is read out.

Each step of a call (`call_events`, kind `step`) records where the call stood when the step ended (`state`) and the
states it passed through on the way, in order (`detail.path`, each hop of the engine's `go`), with the reason when
a hop was a transfer to the advisors (`detail.transfer`). An agent's transfer (kind `agent`) moves the call to its
`state` in one hop. So, ordered by call and seq, a call's positions are: each step's path, then the state it stopped
at; an agent's target. An arrow is a hop from the position before (the previous position, by LAG over the call's
positions) to a position of a path or an agent's target:

- `(state, to)` as ivr/flows/diagram.py keys arrows: `to` is the state entered, or `transfer_to(reason)` when the
  hop entered the advisors' flow (the book's `advisor`, entered only by transfers) for a reason;
- the first hop of a call comes from nowhere: `("", book.start)`, the drawing's `call` arrow; and every transfer
  is also counted on `("", book.advisor)`, the drawing's `every transfer to the advisors` arrow.

States and arrows count distinct calls (a call that passed a state twice counts once there). A call belongs to the
period by its start (`call_sessions.started_at`), as in ivr/reports/campaign.py; all its events are read.

Drop-offs are the calls that ended at a state hung up or timed out, as campaign.dropoff defines them (transfers
are not drop-offs here: they are drawn as arrows to the advisors, with their reason).

Everything is aggregated by the database: the paths are unnested (json_each on SQLite, json_array_elements_text
on PostgreSQL) and LAG over (call, seq, position) gives each hop's origin; nothing loads one row per call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, func, literal, select, true, union_all
from sqlalchemy.orm import Session

from ivr.flows.diagram import ArrowKey, Counts, transfer_to
from ivr.reports import campaign
from ivr.reports.campaign import Period
from ivr.runtime import Runtime
from ivr.store.models import CallEvent, CallSession

DROP_KINDS = ("hung up", "timed out")  # campaign.END_KINDS that leave a call lost at a state
LAST = 1_000_000  # the position of the state a step stopped at: after every state of its path (MAX_HOPS is 40)
FROM_NOWHERE = ""  # the tail of a call's first arrow, and of the transfers' arrow into the advisors' flow


def flow_counts(rt: Runtime, period: Period) -> Counts:
    """Return the period's calls through each state, along each arrow (ArrowKey) and ended at each state."""
    with rt.store.transaction() as db:
        hops = _positions(db, rt, period)
        states = db.execute(
            select(hops.c.state, func.count(func.distinct(hops.c.call_id))).group_by(hops.c.state)
        ).all()
        tail = func.coalesce(hops.c.before, literal(FROM_NOWHERE, String))
        head = case(
            (
                and_(hops.c.state == rt.flows.advisor, hops.c.reason.is_not(None)),
                literal(transfer_to(""), String) + hops.c.reason,
            ),
            else_=hops.c.state,
        )
        arrows = db.execute(
            select(tail, head, func.count(func.distinct(hops.c.call_id))).where(hops.c.hop == 1).group_by(tail, head)
        ).all()
        transferred = db.scalar(
            select(func.count(func.distinct(hops.c.call_id))).where(
                hops.c.hop == 1, hops.c.state == rt.flows.advisor, hops.c.reason.is_not(None)
            )
        )
    counted: dict[ArrowKey, int] = {(str(a), str(b)): int(n) for a, b, n in arrows}
    if transferred:
        counted[(FROM_NOWHERE, rt.flows.advisor)] = int(transferred)
    ended = campaign.dropoff(rt, period)
    drops = {state: sum(kinds[kind] for kind in DROP_KINDS) for state, kinds in ended.states.items()}
    return Counts(
        states={str(state): int(n) for state, n in sorted(states)},
        arrows=dict(sorted(counted.items())),
        drops={state: n for state, n in sorted(drops.items()) if n},
    )


def _positions(db: Session, rt: Runtime, period: Period) -> Any:
    """Every position of the period's calls, in order, with the position before it (`before`, NULL at a call's
    first): (call_id, state, hop, reason, before); `hop` is 1 where the call moved into `state`."""
    in_period = [CallSession.id == CallEvent.call_session_id, *period.of(CallSession.started_at)]
    path, value, position = _path_of(db)
    passed = (
        select(
            CallEvent.call_session_id.label("call_id"),
            CallEvent.seq.label("seq"),
            cast(position, Integer).label("position"),
            cast(value, String).label("state"),
            literal(1).label("hop"),
            CallEvent.detail["transfer"].as_string().label("reason"),
        )
        .select_from(CallEvent)
        .join(CallSession, and_(*in_period))
        .join(path, true())
        .where(CallEvent.kind == "step")
    )
    stopped = (
        select(
            CallEvent.call_session_id,
            CallEvent.seq,
            literal(LAST),
            CallEvent.state,
            literal(0),
            literal(None, String),
        )
        .join(CallSession, and_(*in_period))
        .where(CallEvent.kind == "step")
    )
    sent = (
        select(
            CallEvent.call_session_id,
            CallEvent.seq,
            literal(0),
            CallEvent.state,
            literal(1),
            literal(None, String),
        )
        .join(CallSession, and_(*in_period))
        .where(CallEvent.kind == "agent")
    )
    every = union_all(passed, stopped, sent).subquery()
    before = func.lag(every.c.state).over(partition_by=every.c.call_id, order_by=(every.c.seq, every.c.position))
    return select(every.c.call_id, every.c.state, every.c.hop, every.c.reason, before.label("before")).subquery()


def _path_of(db: Session) -> tuple[Any, Any, Any]:
    """The states of a step's `detail.path`, one row each, to join to call_events: (the rows, state, position)."""
    if db.get_bind().dialect.name == "postgresql":
        rows = (
            func.json_array_elements_text(CallEvent.detail["path"])
            .table_valued("value", with_ordinality="position")
            .render_derived()
        )
        return rows, rows.c.value, rows.c.position
    rows = func.json_each(CallEvent.detail, "$.path").table_valued("value", "key")
    return rows, rows.c.value, rows.c.key
