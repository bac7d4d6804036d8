"""A call step's persistence (issue 16): few statements, one transaction, and the same answers as before."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from ivr.callflow import service
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twiml_reader import Gather, parse
from ivr.store import call_rows
from ivr.store.models import CallEvent, CallSession, Registration
from tests.concurrency import all_at_once


class Statements:
    """The SQL statements an engine runs, BEGIN (SQLite's own) left out."""

    def __init__(self, engine):
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self.record)

    def record(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith("BEGIN"):
            self.seen.append(" ".join(statement.split()))


def same_call(app, caller) -> SimulatedCaller:
    """Return a second simulated caller for the same call, with its own test client (one per thread)."""
    return SimulatedCaller.in_process(app, from_number=caller.from_number, call_sid=caller.call_sid)


def stored(rt, caller) -> tuple[CallSession, int]:
    """Return the call's row and how many events it has."""
    with rt.store.transaction() as db:
        call = db.scalars(select(CallSession).where(CallSession.call_sid == caller.call_sid)).one()
        events = db.scalar(select(func.count()).select_from(CallEvent).where(CallEvent.call_session_id == call.id))
        return call, events


def test_a_menu_step_reads_the_call_once_and_writes_it_with_its_event(phone, rt):
    caller = phone()
    caller.dial()
    statements = Statements(rt.store.engine)
    caller.press("2")  # French: the main menu, a step that runs no action
    reads, *writes = statements.seen
    assert reads.startswith("SELECT") and "FROM call_sessions" in reads
    if rt.store.engine.dialect.name == "postgresql":
        assert reads.endswith("FOR UPDATE")
        assert len(writes) == 1 and writes[0].startswith("WITH step AS (UPDATE call_sessions")
        assert "INSERT INTO call_events" in writes[0]
    else:  # SQLite's BEGIN IMMEDIATE holds the writer lock from the start
        assert [w.split()[:2] for w in writes] == [["UPDATE", "call_sessions"], ["INSERT", "INTO"]]


def test_each_webhook_of_a_registration_reads_the_call_once_and_writes_it_once(phone, rt, people):
    amina = people["amina"]
    caller = phone(amina.mobile)
    statements = Statements(rt.store.engine)
    turns = [caller.dial, *(lambda keys=keys: caller.press(keys) for keys in ("2", "1", amina.cin_digits + "#"))]
    turns += [lambda: caller.press(amina.birth), lambda: caller.press("1"), lambda: caller.press("1")]
    for turn in turns:
        statements.seen.clear()
        turn()
        reads = [
            s
            for s in statements.seen
            if s.startswith("SELECT") and "FROM call_sessions WHERE call_sessions.call_sid" in s
        ]
        writes = [s for s in statements.seen if "UPDATE call_sessions" in s or "INSERT INTO call_sessions" in s]
        # The ORM's unit of work flushed the call's row again before each query of a flow's actions.
        assert len(reads) <= 1 and len(writes) == 1, statements.seen
    assert stored(rt, caller)[0].identity_verified
    with rt.store.transaction() as db:
        assert db.scalar(select(func.count()).select_from(Registration)) == 1


def test_a_repeated_incoming_webhook_gets_the_same_answer_and_starts_nothing(app, phone, rt):
    caller = phone()
    first = caller.dial()
    call, events = stored(rt, caller)
    again = caller.post("/voice/incoming", caller.call_params())
    assert again.status_code == 200 and again.text == first.xml
    assert stored(rt, caller)[1] == events == 1
    assert stored(rt, caller)[0].seq == call.seq == 1


def test_two_incoming_webhooks_of_one_call_at_once_start_it_once_and_get_one_answer(app, phone, rt):
    caller = phone()
    callers = [caller, same_call(app, caller)]
    answers = all_at_once([lambda c=c: c.post("/voice/incoming", c.call_params()) for c in callers])
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].text == answers[1].text
    assert isinstance(parse(answers[0].content)[0], Gather)
    call, events = stored(rt, caller)
    assert (call.seq, events) == (1, 1)


def test_two_webhooks_of_one_step_at_once_take_effect_once_and_both_get_its_answer(app, phone, rt):
    caller = phone()
    caller.dial()
    other = same_call(app, caller)
    _, events = stored(rt, caller)
    # The caller's 2 (French) and a late duplicate carrying 1 (Arabic), both for step 1.
    answers = all_at_once(
        [
            lambda: caller.post("/voice/step?seq=1", caller.call_params(Digits="2")),
            lambda: other.post("/voice/step?seq=1", other.call_params(Digits="1")),
        ]
    )
    assert answers[0].text == answers[1].text
    call, after = stored(rt, caller)
    assert (call.seq, after) == (2, events + 1)
    assert call.language in ("fr", "ar") and call.last_response == answers[0].text


def test_a_step_whose_audit_event_fails_leaves_the_call_where_it_was(phone, rt, monkeypatch, caplog):
    caller = phone()
    caller.dial()
    before, events = stored(rt, caller)

    def save_then_fail(*args, **kwargs):
        call_rows.save_step(*args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(service.call_rows, "save_step", save_then_fail)
    answer = caller.post("/voice/step?seq=1", caller.call_params(Digits="2"))
    assert answer.status_code == 200 and "the disk is full" not in answer.text  # the apology, not a 500
    after, events_after = stored(rt, caller)
    assert (after.seq, after.language, after.last_response, events_after) == (
        before.seq,
        None,
        before.last_response,
        events,
    )


@pytest.mark.parametrize("seq", ["0", "1"])
def test_a_step_answered_again_changes_nothing(phone, rt, seq):
    caller = phone()
    caller.dial()
    caller.press("2")
    before, events = stored(rt, caller)
    answer = caller.post(f"/voice/step?seq={seq}", caller.call_params(Digits="1"))
    assert answer.text == before.last_response
    after, events_after = stored(rt, caller)
    assert (after.seq, after.state, after.updated_at, events_after) == (
        before.seq,
        before.state,
        before.updated_at,
        events,
    )


def test_the_times_a_call_stores_compare_equal_to_the_same_times_queried_through_the_orm(phone, rt, clock):
    caller = phone()
    caller.dial()
    caller.press("2")
    caller.hangup()
    now = clock()
    with rt.store.transaction() as db:
        # SQLite keeps times as text: a time written in another format than the ORM's would match no query.
        found = db.scalars(
            select(CallSession.id).where(
                CallSession.call_sid == caller.call_sid,
                CallSession.started_at == now,
                CallSession.updated_at == now,
                CallSession.ended_at == now,
            )
        ).all()
        events = db.scalar(select(func.count()).select_from(CallEvent).where(CallEvent.at == now))
    assert len(found) == 1 and events == 3
