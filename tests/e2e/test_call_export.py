"""A call of the audit trail, exported as a scenario and replayed in the sandbox, takes the same TwiML path."""

import re

import pytest

from ivr.cli.call_export import calls
from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from ivr.simulator.export import ExportError, export_call
from ivr.simulator.replay import Player
from ivr.simulator.runs import play_in_sandbox
from ivr.simulator.sandbox import Sandbox
from ivr.simulator.scenario import Scenario, Step, load
from ivr.simulator.targets import SandboxTarget
from ivr.simulator.testdata import resolve
from ivr.simulator.twilio_stand_in import TwilioApiStandIn

FROM = "+212661998877"


@pytest.fixture(scope="module")
def stand_in():
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as api:
        yield api


def record(
    stand_in, tmp_path, person: str, actions: list[tuple[str, str | None]], given: dict | None = None, clock=None
):
    """Place a call in a sandbox; return its turns' path and its export, written to a file."""
    scenario = Scenario(
        tmp_path / "original.yaml",
        "original",
        from_number=FROM,
        person=person,
        given=given or {},
        clock=clock,
        steps=[Step(kind, value, 0) for kind, value in actions],
    )
    with Sandbox(stand_in, clock) as sandbox:
        sandbox.apply(scenario.given, resolve(person), FROM)
        outcome = Player(scenario, SandboxTarget(sandbox), resolve(person), FROM).play()
        assert outcome.passed, outcome.mismatch or outcome.error
        exported = export_call(sandbox.rt, outcome.call_sid)
    path = tmp_path / "exported.yaml"
    path.write_text(exported, encoding="utf-8")
    return [turn.path() for turn in outcome.turns], path


def replayed_path(stand_in, path):
    outcome = play_in_sandbox(load(path), stand_in)
    assert outcome.passed, outcome.mismatch or outcome.error
    return [turn.path() for turn in outcome.turns]


def test_an_exported_registration_with_failures_and_typed_mobiles_replays_the_same_path_without_them(
    stand_in, tmp_path
):
    # Omar (no mobile on file): a wrong birth date, a CIN of the wrong shape, star, then the right answers.
    original, exported = record(
        stand_in,
        tmp_path,
        "ZX100106",
        [
            ("press", "2"),
            ("press", "1"),
            ("press", "{cin_digits}#"),
            ("press", "11111911"),
            ("press", "12#"),
            ("press", "4*"),
            ("press", "{cin_digits}#"),
            ("press", "{birth_date}"),
            ("press", "1"),
            ("wait", None),
            ("press", "0522987654"),
            ("press", "0612345678"),
            ("press", "1"),
            ("press", "*"),
            ("wait", None),
        ],
    )
    assert replayed_path(stand_in, exported) == original
    text = exported.read_text()
    assert 'press: "{cin_digits}#"' in text and 'press: "{birth_date}"' in text
    without_sid = re.sub(r"CA[0-9a-f]{32}", "CA…", text)  # a random CallSid may hold any run of digits
    assert "106" not in without_sid.replace("ZX100106", "") and "1985" not in without_sid  # no CIN, no birth date
    assert "person: ZZ100102" in text and 'expect_sms: {to: "+212600000198"}' in text
    assert FROM not in text
    # The mobiles the caller typed (a landline refused, then theirs) are replaced, keeping their verdicts.
    assert "0522987654" not in text and "612345678" not in text
    assert 'press: "061234"' in text and 'press: "0600000198"' in text


def test_an_exported_call_that_ends_with_an_advisor_after_three_failures_replays_the_same_path(stand_in, tmp_path):
    original, exported = record(
        stand_in,
        tmp_path,
        "ZZ100101",
        [
            ("press", "1"),
            ("press", "1"),
            *[("press", p) for p in ("{cin_digits}#", "01011951") * 3],
            ("advisor", "no-answer"),
        ],
    )
    assert replayed_path(stand_in, exported) == original
    assert "expect_transfer: {reason: identity_failed}" in exported.read_text()


def test_an_exported_call_keeps_what_mattered_before_it_a_registration_and_its_sms_limit(stand_in, tmp_path):
    original, exported = record(
        stand_in,
        tmp_path,
        "ZY100104",
        [
            ("press", "2"),
            ("press", "3"),
            ("press", "{cin_digits}#"),
            ("press", "{birth_date}"),
        ],
        given={"registered": True, "credentials_sent": 3},
    )
    assert replayed_path(stand_in, exported) == original
    assert "given: {registered: true, credentials_sent: 3}" in exported.read_text()


def test_an_exported_call_that_hit_the_cin_lockout_replays_the_lockout(stand_in, tmp_path):
    original, exported = record(
        stand_in,
        tmp_path,
        "ZZ100101",
        [
            ("press", "2"),
            ("press", "1"),
            ("press", "{cin_digits}#"),
            ("press", "01011951"),
            ("press", "{cin_digits}#"),
            ("press", "01011952"),
        ],
        given={"failed_checks": {"cin": 3}},
    )
    assert original[-1] == ("press", ("identity.locked_out",), "ended:hangup")
    assert replayed_path(stand_in, exported) == original
    assert "given: {failed_checks: {cin: 3}}" in exported.read_text()


def test_the_calls_export_command_writes_the_scenario_or_says_the_call_is_unknown(stand_in, tmp_path):
    with Sandbox(stand_in) as sandbox:
        caller = sandbox.caller(FROM)
        caller.dial()
        caller.press("2")
        caller.hangup()
        runner = sandbox.app.test_cli_runner()
        output = tmp_path / "call.yaml"
        written = runner.invoke(calls, ["export", caller.call_sid, "-o", str(output)])
        unknown = runner.invoke(calls, ["export", "CAnothing"])
    assert written.exit_code == 0, written.output
    assert load(output).steps[-1].kind == "hangup"
    assert unknown.exit_code == 1 and "no call CAnothing in the audit trail" in unknown.output


def test_exporting_an_unknown_call_is_refused(stand_in):
    with Sandbox(stand_in) as sandbox, pytest.raises(ExportError):
        export_call(sandbox.rt, "CAunknown")


def test_an_export_stops_where_an_agent_moved_the_call(stand_in, tmp_path):
    from sqlalchemy import select

    from ivr.store.models import CallEvent, CallSession

    with Sandbox(stand_in) as sandbox:
        caller = sandbox.caller(FROM)
        caller.dial()
        caller.press("2")
        with sandbox.rt.store.transaction() as db:
            call = db.scalars(select(CallSession).where(CallSession.call_sid == caller.call_sid)).one()
            db.add(
                CallEvent(
                    call_session_id=call.id,
                    seq=call.seq,
                    at=sandbox.now,
                    kind="agent",
                    state="credentials.deliver",
                    detail={"from_state": "menu.choose"},
                )
            )
        caller.press("2")
        exported = export_call(sandbox.rt, caller.call_sid)
    path = tmp_path / "agent.yaml"
    path.write_text(exported, encoding="utf-8")
    assert "# Here an agent moved the call to credentials.deliver: the export stops." in exported
    assert [step.kind for step in load(path).steps][-3:] == ["press", "expect", "hangup"]
    assert play_in_sandbox(load(path), stand_in).passed


def test_an_exported_completion_expects_the_sms_to_the_mobile_on_file(stand_in, tmp_path):
    original, exported = record(
        stand_in,
        tmp_path,
        "ZX100105",
        [
            ("press", "1"),
            ("press", "1"),
            ("press", "{cin_digits}#"),
            ("press", "{birth_date}"),
            ("press", "1"),
            ("press", "1"),
            ("hangup", None),
        ],
    )
    assert "  - expect_sms\n" in exported.read_text() and "person: ZZ100101" in exported.read_text()
    assert replayed_path(stand_in, exported) == original
