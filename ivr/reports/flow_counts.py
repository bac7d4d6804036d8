"""The numbers a flow's drawing carries for a period, from the audit trail: calls through each state, calls along
each arrow, and calls that ended at a state (the drop-offs). Counts only: no CIN, number or CallSid is read out.

Each step of a call (`call_events`, kind `step`) records the states it passed through, in order (`detail.path`,
one for each move of the engine's `go`), with the reason when a move was a transfer to the advisors
(`detail.transfer`); a step that moved nowhere (a reprompt, `*`) has an empty path and stays where the call stood.
An agent's transfer (kind `agent`) moves the call to its `state` at once. So, ordered by (call, seq, place in the
path), a call's hops are its paths' states and its agents' targets, and each hop comes from the hop before it (LAG
over the call's hops): the state the step started at, or the path's state before. Each hop is an arrow, keyed:

- `(state, to)` as ivr/flows/diagram.py keys arrows: `to` is the state entered, or `transfer_to(reason)` when the
  hop entered the advisors' flow (the book's `advisor`, entered only by transfers) for a reason;
- the first hop of a call comes from nowhere: `("", book.start)`, the drawing's `call` arrow; and every transfer
  is also counted on `("", book.advisor)`, the drawing's `every transfer to the advisors` arrow.

States and arrows count distinct calls (a call that passed a state twice counts once there). A call belongs to the
period by its start (`call_sessions.started_at`), as in ivr/reports/campaign.py; all its events are read.

Drop-offs are the calls that ended at a state hung up or timed out, as campaign.dropoff defines them (transfers
are not drop-offs here: they are drawn as arrows to the advisors, with their reason).

Everything is aggregated by the database: the paths are unnested (json_each on SQLite, json_array_elements_text
on PostgreSQL), LAG gives each hop's origin, and one statement counts the states and the arrows over them (a
common table expression read thrice); nothing loads one row per call. The work grows with the period's calls
(about 16 hops per completed registration): some 3 s per 50,000 such calls over PostgreSQL on a 2-core machine,
so a period of days, not the whole campaign, until the counts are rolled up as calls end.
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
FROM_NOWHERE = ""  # the tail of a call's first arrow, and of the transfers' arrow into the advisors' flow
STATE, ARROW = "state", "arrow"


def flow_counts(rt: Runtime, period: Period) -> Counts:
    """Return the period's calls through each state, along each arrow (ArrowKey) and ended at each state."""
    with rt.store.transaction() as db:
        hops = _hops(db, rt, period)
        calls = func.count(func.distinct(hops.c.call_id))
        nowhere = literal(FROM_NOWHERE, String)
        rows = db.execute(
            union_all(
                select(literal(STATE, String), hops.c.state, nowhere, calls).group_by(hops.c.state),
                select(literal(ARROW, String), hops.c.tail, hops.c.head, calls).group_by(hops.c.tail, hops.c.head),
                # Every transfer also enters the advisors' flow along the drawing's one arrow from nowhere.
                select(literal(ARROW, String), nowhere, literal(rt.flows.advisor, String), calls).where(
                    hops.c.head.like(literal(transfer_to("%"), String))
                ),
            )
        ).all()
    states = {str(name): int(n) for what, name, _, n in rows if what == STATE}
    arrows: dict[ArrowKey, int] = {
        (str(tail), str(head)): int(n) for what, tail, head, n in rows if what == ARROW and n
    }
    ended = campaign.dropoff(rt, period)
    drops = {state: sum(kinds[kind] for kind in DROP_KINDS) for state, kinds in ended.states.items()}
    return Counts(
        states=dict(sorted(states.items())),
        arrows=dict(sorted(arrows.items())),
        drops={state: n for state, n in sorted(drops.items()) if n},
    )


def _hops(db: Session, rt: Runtime, period: Period) -> Any:
    """Every hop of the period's calls: (call_id, tail, head) as ArrowKey names them, once per state a step passed
    through (its path, in order) and per agent's transfer; the tail is the state before, by LAG over the call's
    hops ordered by (seq, position in the path): the state the step started at, or the path's state before."""
    in_period = [CallSession.id == CallEvent.call_session_id, *period.of(CallSession.started_at)]
    path, value, position = _path_of(db)
    passed = (
        select(
            CallEvent.call_session_id.label("call_id"),
            CallEvent.seq.label("seq"),
            cast(position, Integer).label("position"),
            cast(value, String).label("state"),
            CallEvent.detail["transfer"].as_string().label("reason"),
        )
        .select_from(CallEvent)
        .join(CallSession, and_(*in_period))
        .join(path, true())
        .where(CallEvent.kind == "step")
    )
    sent = (
        select(CallEvent.call_session_id, CallEvent.seq, literal(0), CallEvent.state, literal(None, String))
        .join(CallSession, and_(*in_period))
        .where(CallEvent.kind == "agent")
    )
    every = union_all(passed, sent).subquery()
    before = func.lag(every.c.state).over(partition_by=every.c.call_id, order_by=(every.c.seq, every.c.position))
    head = case(
        # The book's advisor state is entered only by transfers, which the step records with their reason.
        (
            and_(every.c.state == rt.flows.advisor, every.c.reason.is_not(None)),
            literal(transfer_to(""), String) + every.c.reason,
        ),
        else_=every.c.state,
    )
    return select(
        every.c.call_id,
        every.c.state,
        func.coalesce(before, literal(FROM_NOWHERE, String)).label("tail"),
        head.label("head"),
    ).cte("hops")


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
