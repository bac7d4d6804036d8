"""The scenario runner waits for a running server's SMS as long as its outbox and sender may take."""

from ivr.simulator import replay
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.replay import Player
from ivr.simulator.scenario import load
from ivr.simulator.targets import RemoteTarget

SMS_AFTER_SECONDS = 20  # a sender looking every 20 s (`sms worker --interval 20`), or a backlog as long


class SlowClock:
    """A monotonic clock that only moves when the runner sleeps."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class ServerWithASlowSmsSender(RemoteTarget):
    """A running server (here: the app in-process) whose stand-in receives the SMS SMS_AFTER_SECONDS late."""

    def __init__(self, app, clock: SlowClock):
        super().__init__("http://localhost", sms_url="http://127.0.0.1:9")
        self.app, self.clock = app, clock

    def caller(self, from_number: str) -> SimulatedCaller:
        return SimulatedCaller.in_process(self.app, from_number=from_number)

    def sms_to(self, to: str) -> list[dict]:
        late = self.clock.now >= SMS_AFTER_SECONDS
        return [{"sid": "SM1", "to": to, "body": "CNSS AMO. Bienvenue."}] if late else []


def test_against_a_server_an_sms_slower_than_the_sandbox_wait_still_arrives_in_time(app, tmp_path, monkeypatch):
    clock = SlowClock()
    monkeypatch.setattr(replay, "time", clock)
    path = tmp_path / "sms.yaml"
    path.write_text(
        'name: An SMS that takes a while\ncaller: {from: "+212600000101"}\n'
        'steps:\n  - hangup\n  - expect_sms: {contains: "CNSS"}\n',
        encoding="utf-8",
    )
    outcome = Player(load(path), ServerWithASlowSmsSender(app, clock), None, "+212600000101").play()
    assert outcome.passed, outcome.mismatch or outcome.error
