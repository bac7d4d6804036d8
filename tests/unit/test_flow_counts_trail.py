"""The flows' numbers read from audit trails written here: each step's path, an agent's transfer, transfers by
reason, calls that pass a state twice, and the period a call belongs to by its start."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ivr.flows.diagram import transfer_to
from ivr.reports.campaign import Period
from ivr.reports.flow_counts import flow_counts
from ivr.store.models import CallEvent, CallSession

NOW = datetime(2024, 1, 15, 10, 0)
START = ["language.welcome", "language.choose"]  # the first step of every call: welcome, then the language menu


def step(state: str, path: list[str], **detail) -> tuple[str, str, dict]:
    return ("step", state, {"path": path, **detail})


def agent(state: str, from_state: str) -> tuple[str, str, dict]:
    return ("agent", state, {"agent": "Fatima", "agent_id": 1, "from_state": from_state})


@pytest.fixture
def trail(runtime):
    """Store an ended call's session and its events, in order (seq 0, 1, ...), started at a time, transferred for a
    reason from a state."""
    made = []

    def store(*events, started=NOW, transferred=(None, None)):
        with runtime.store.transaction() as db:
            call = CallSession(
                call_sid=f"CA{len(made):032d}",
                from_number="+212600000001",
                to_number="+212500000000",
                flow=events[-1][1].split(".")[0],
                state=events[-1][1].split(".")[1],
                seq=len(events),
                slots={},
                status="ended",
                transfer_reason=transferred[0],
                transfer_state=transferred[1],
                started_at=started,
                updated_at=started,
            )
            db.add(call)
            db.flush()
            for seq, (kind, state, detail) in enumerate(events):
                db.add(CallEvent(call_session_id=call.id, seq=seq, at=started, kind=kind, state=state, detail=detail))
            made.append(call.call_sid)

    return store


def test_each_step_draws_an_arrow_from_where_the_call_stood_through_each_state_of_its_path(runtime, trail):
    trail(
        step("language.choose", START),
        step("identity.ask_cin", ["menu.choose", "identity.check_caller", "identity.ask_cin"]),
    )
    counts = flow_counts(runtime, Period())
    assert dict(counts.arrows) == {
        ("", "language.welcome"): 1,
        ("language.welcome", "language.choose"): 1,
        ("language.choose", "menu.choose"): 1,
        ("menu.choose", "identity.check_caller"): 1,
        ("identity.check_caller", "identity.ask_cin"): 1,
    }
    assert set(counts.states) == {*START, "menu.choose", "identity.check_caller", "identity.ask_cin"}
    assert dict(counts.drops) == {"identity.ask_cin": 1}  # ended there, not at an end: hung up


def test_a_call_through_a_state_twice_counts_once_there_and_once_on_each_arrow(runtime, trail):
    trail(
        step("language.choose", START),
        step("info.choose", ["menu.choose", "info.choose"]),
        step("menu.choose", ["menu.choose"]),  # 9: back to the main menu
        step("info.choose", ["info.choose"]),
        step("info.choose", [], miss="invalid"),  # a reprompt: no arrow
    )
    trail(step("language.choose", START), step("info.choose", ["menu.choose", "info.choose"]))
    counts = flow_counts(runtime, Period())
    assert counts.states["menu.choose"] == 2 and counts.states["info.choose"] == 2
    assert counts.arrows[("menu.choose", "info.choose")] == 2
    assert counts.arrows[("info.choose", "menu.choose")] == 1
    assert ("info.choose", "info.choose") not in counts.arrows


def test_a_transfer_is_counted_from_the_state_it_left_by_its_reason_and_on_the_advisors_entry(runtime, trail):
    advisor = ["advisor.transfer", "advisor.connect"]
    trail(
        step("language.choose", START),
        step("advisor.connect", advisor, transfer="no_language_chosen"),
        transferred=("no_language_chosen", "language.choose"),
    )
    trail(
        step("language.choose", START),
        step("menu.choose", ["menu.choose"]),
        step("advisor.connect", advisor, transfer="caller_request"),
        transferred=("caller_request", "menu.choose"),
    )
    counts = flow_counts(runtime, Period())
    assert counts.arrows[("language.choose", transfer_to("no_language_chosen"))] == 1
    assert counts.arrows[("menu.choose", transfer_to("caller_request"))] == 1
    assert counts.arrows[("", "advisor.transfer")] == 2
    assert counts.arrows[("advisor.transfer", "advisor.connect")] == 2
    assert not any(to == "advisor.transfer" and tail for tail, to in counts.arrows)
    assert dict(counts.drops) == {}  # transferred calls are not drop-offs


def test_an_agents_transfer_is_an_arrow_from_the_advisors_queue_and_the_call_goes_on_from_there(runtime, trail):
    trail(
        step("language.choose", START),
        step("menu.choose", ["menu.choose"]),
        step("advisor.connect", ["advisor.transfer", "advisor.connect"], transfer="caller_request"),
        agent("category.confirm", "advisor.connect"),
        step("category.confirm", []),  # the resumed step says the question where the agent sent the call
        step("completion.confirm_mobile", ["completion.check_mobile", "completion.confirm_mobile"]),
        transferred=("caller_request", "menu.choose"),
    )
    counts = flow_counts(runtime, Period())
    assert counts.arrows[("advisor.connect", "category.confirm")] == 1
    assert counts.arrows[("category.confirm", "completion.check_mobile")] == 1
    assert counts.states["category.confirm"] == 1


def test_a_call_belongs_to_the_period_it_started_in_with_all_its_steps(runtime, trail):
    trail(step("language.choose", START), step("menu.choose", ["menu.choose"]), started=NOW - timedelta(days=1))
    trail(step("language.choose", START), started=NOW)
    counts = flow_counts(runtime, Period(since=NOW - timedelta(hours=1)))
    assert dict(counts.states) == {"language.welcome": 1, "language.choose": 1}
    assert counts.arrows[("", "language.welcome")] == 1 and ("language.choose", "menu.choose") not in counts.arrows
    everything = flow_counts(runtime, Period())
    assert everything.states["language.choose"] == 2 and everything.arrows[("language.choose", "menu.choose")] == 1


def test_an_empty_trail_counts_nothing(runtime):
    counts = flow_counts(runtime, Period())
    assert (dict(counts.states), dict(counts.arrows), dict(counts.drops)) == ({}, {}, {})
