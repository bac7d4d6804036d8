"""Many simulated callers at once against a real HTTP server: completed, failed and erroring calls are counted."""

import pytest

from ivr.factory import create_app
from ivr.settings import DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN, PROJECT_DIR
from ivr.simulator.runs import caller_number, load_callers
from ivr.simulator.scenario import load
from ivr.simulator.targets import RemoteTarget
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.web.extension import runtime_of
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN
from tests.serving import serving

LOAD_SCENARIO = PROJECT_DIR / "scenarios" / "load" / "complete_registration.yaml"
REQUESTS_PER_CALL = 9  # the incoming call, six keys, one time-out, the status callback


@pytest.fixture
def server(tmp_path, twilio_api):
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'load.sqlite3'}",
            "IVR_SECRET_KEY": "l" * 64,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_API_BASE_URL": twilio_api.base_url,
            "IVR_SMS_SENDER": "thread",
        }
    )
    with serving(app) as base_url:
        yield app, base_url
    sender = runtime_of(app).extras.get("sms_sender")
    if sender is not None:
        sender.stop()
    runtime_of(app).store.dispose()


def load_synthetic(app, count: int, start: int = 0):
    result = app.test_cli_runner().invoke(
        args=["registrations", "load-synthetic", "--count", str(count), "--first-person", str(start)]
    )
    assert result.exit_code == 0, result.output
    return result


def test_every_caller_completes_a_registration_against_a_running_server(server):
    app, url = server
    load_synthetic(app, 6, start=100)
    report = load_callers(
        load(LOAD_SCENARIO), callers=6, concurrency=3, first_person=100, target=RemoteTarget(url, AUTH_TOKEN)
    )
    assert (report.completed, report.failed, report.errors) == (6, 0, 0), report.problems
    assert len(report.latencies) == 6 * REQUESTS_PER_CALL
    assert 0 < report.percentile(50) <= report.percentile(95) <= report.percentile(99)


def test_callers_whose_person_is_not_on_the_server_are_counted_as_failed_with_the_diff(server):
    app, url = server
    load_synthetic(app, 4)
    report = load_callers(load(LOAD_SCENARIO), callers=6, concurrency=6, target=RemoteTarget(url, AUTH_TOKEN))
    assert (report.completed, report.failed, report.errors) == (4, 2, 0)
    assert all("expected prompt category.confirm, heard: identity.no_match" in p for p in report.problems)


def test_callers_who_cannot_reach_the_server_are_counted_as_errors():
    report = load_callers(
        load(LOAD_SCENARIO), callers=3, concurrency=2, target=RemoteTarget("http://127.0.0.1:9", AUTH_TOKEN, timeout=2)
    )
    assert (report.completed, report.failed, report.errors) == (0, 0, 3)
    assert "unreachable" in report.problems[0]
    assert report.latencies == [] and "steps: 0 " in report.lines()[1]  # no answer, no round trip


class TargetThatBreaksForOneCaller(RemoteTarget):
    """A server target whose second caller fails in an unforeseen way (not an HTTP or call error)."""

    def caller(self, from_number: str):
        if from_number == caller_number(101):
            raise ValueError("an unforeseen failure")
        return super().caller(from_number)


def test_an_unforeseen_failure_of_one_caller_is_its_error_and_the_other_callers_are_still_counted(server):
    app, url = server
    load_synthetic(app, 4, start=100)
    report = load_callers(
        load(LOAD_SCENARIO),
        callers=4,
        concurrency=2,
        first_person=100,
        target=TargetThatBreaksForOneCaller(url, AUTH_TOKEN),
    )
    assert (report.completed, report.failed, report.errors) == (3, 0, 1), report.problems
    assert "ValueError: an unforeseen failure" in report.problems[0]
    assert len(report.latencies) == 3 * REQUESTS_PER_CALL


def test_load_mode_runs_in_the_sandbox_without_a_server():
    with TwilioApiStandIn(DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN) as stand_in:
        report = load_callers(load(LOAD_SCENARIO), callers=4, concurrency=2, first_person=7, stand_in=stand_in)
    assert (report.completed, report.failed, report.errors) == (4, 0, 0), report.problems


def test_the_replay_command_reports_many_callers_and_exits_0(server):
    app, url = server
    load_synthetic(app, 3)
    result = app.test_cli_runner().invoke(
        args=[
            "replay",
            str(LOAD_SCENARIO),
            "--url",
            url,
            "--callers",
            "3",
            "--concurrency",
            "2",
            "--auth-token",
            AUTH_TOKEN,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "callers: 3, completed: 3, failed: 0, errors: 0" in result.output
    assert "step latency ms: p50 " in result.output and "steps/s" in result.output


def test_against_a_server_scenarios_with_a_given_state_are_skipped_and_sms_need_the_stand_in(server):
    app, url = server
    shipped = PROJECT_DIR / "scenarios"
    runner = app.test_cli_runner()
    skipped = runner.invoke(
        args=["replay", str(shipped / "resend_credentials.yaml"), "--url", url, "--auth-token", AUTH_TOKEN]
    )
    assert skipped.exit_code == 0, skipped.output
    assert "-- skipped: it sets the state before the call (given)" in skipped.output
    assert runner.invoke(args=["registrations", "load-demo"]).exit_code == 0
    no_sms = runner.invoke(
        args=["replay", str(shipped / "fr_complete_mobile_on_file.yaml"), "--url", url, "--auth-token", AUTH_TOKEN]
    )
    assert no_sms.exit_code == 1
    assert "cannot check SMS: no --sms-url" in no_sms.output


def test_against_a_server_the_sms_are_read_from_its_twilio_api_stand_in(server, twilio_api):
    app, url = server
    runner = app.test_cli_runner()
    assert runner.invoke(args=["registrations", "load-demo"]).exit_code == 0
    result = runner.invoke(
        args=[
            "replay",
            str(PROJECT_DIR / "scenarios" / "ar_complete_mobile_on_file.yaml"),
            "--url",
            url,
            "--auth-token",
            AUTH_TOKEN,
            "--sms-url",
            twilio_api.base_url,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "SMS to +212600000103: " in result.output and "1 passed, 0 failed, 0 skipped" in result.output
