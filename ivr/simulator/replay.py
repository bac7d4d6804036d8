"""Play a scenario as one simulated caller against a target (the sandbox or a running server) and check it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NoReturn, Protocol

import requests

from ivr.simulator.caller import CallerError, CallLoopError, SimulatedCaller, Turn, WebhookError
from ivr.simulator.recognise import Heard, Recogniser
from ivr.simulator.scenario import Scenario, Step
from ivr.simulator.testdata import TestPerson

SMS_WAIT_SECONDS = 5.0  # the sandbox sends when the runner looks: an SMS is there at once or never
SERVER_ENDINGS = ("hangup", "end_of_document", "reject")


class Mismatch(Exception):
    """The call did not go as the scenario says; the message is the readable diff."""


class Target(Protocol):
    """Where a scenario's call goes, and what can be checked there besides the TwiML."""

    recogniser: Recogniser
    sms_unavailable: str | None  # why SMS cannot be checked here, or None
    sms_wait: float  # seconds an expected SMS may take to reach the stand-in

    def caller(self, from_number: str) -> SimulatedCaller: ...

    def sms_to(self, to: str) -> list[dict]: ...

    def transfer_reason(self, call_sid: str) -> str | None: ...


@dataclass
class TurnRecord:
    """One turn as the runner saw it: the caller's action, the prompts recognised, how the call stands."""

    action: str
    heard: list[Heard]
    waiting_for: str  # keys, advisor, queue, ended:<by>

    def path(self) -> tuple:
        """Return what a regression check compares: the kind of action, the prompt keys, what the call waits for."""
        return (self.action.split()[0], tuple(h.key for h in self.heard), self.waiting_for)


@dataclass
class Outcome:
    """How one scripted call went."""

    scenario: Scenario
    call_sid: str = ""
    turns: list[TurnRecord] = field(default_factory=list)
    mismatch: str | None = None
    error: str | None = None
    where: str = ""  # the file:line and step at which an error stopped the call

    @property
    def passed(self) -> bool:
        return self.mismatch is None and self.error is None

    @property
    def problem(self) -> str | None:
        """Say why the call did not pass, starting with the scenario's file:line, or None when it passed."""
        if self.mismatch is not None:
            return self.mismatch
        return f"{self.where}: {self.error}" if self.error is not None else None


class Player:
    """Play one scenario's steps with one caller, recording every turn and stopping at the first mismatch."""

    def __init__(
        self,
        scenario: Scenario,
        target: Target,
        person: TestPerson | None,
        from_number: str,
        show: Callable[[str], None] | None = None,
    ):
        self.scenario, self.target, self.person, self.from_number = scenario, target, person, from_number
        self.show = show or (lambda line: None)
        self.outcome = Outcome(scenario)
        self.caller: SimulatedCaller | None = None
        self.heard: list[Heard] = []
        self.position = 0  # where the last expect matched in the current turn
        self.sms_known: dict[str, set[str | None]] = {}  # per number, the SIDs of the SMS already received or matched

    def play(self) -> Outcome:
        """Dial, take every step, hang up if the call is still on; never raises for the call's faults."""
        self.caller = self.target.caller(self.from_number)
        self.outcome.call_sid = self.caller.call_sid
        step: Step | None = None
        try:
            self._snapshot_sms()
            self._turn(self.caller.dial())
            for step in self.scenario.steps:
                getattr(self, f"_{step.kind}")(step)
            if not self.caller.ended:
                self.caller.hangup()
        except Mismatch as mismatch:
            self.outcome.mismatch = str(mismatch)
            self._quietly_hang_up()
        except (WebhookError, CallLoopError, requests.RequestException) as error:
            self.outcome.error = f"{type(error).__name__}: {error}"
            self.outcome.where = (
                f"{self.scenario.where(step)}: step `{step.describe()}`"
                if step
                else f"{self.scenario.path}:1: dialling"
            )
        return self.outcome

    @property
    def _call(self) -> SimulatedCaller:
        """The caller of this play (play() dials it before any step)."""
        if self.caller is None:
            raise CallerError("the scenario's call has not been dialled")
        return self.caller

    @property
    def _turn_now(self) -> Turn:
        """The call's latest turn."""
        turn = self._call.turn
        if turn is None:
            raise CallerError("the scenario's call has not been dialled")
        return turn

    # The caller's actions.

    def _press(self, step: Step) -> None:
        keys = step.value.format(**(self.person.values() if self.person else {})) if "{" in step.value else step.value
        self._act(step, lambda: self._call.press(keys), shown=f"press {step.value}")

    def _wait(self, step: Step) -> None:
        self._act(step, self._call.wait)

    def _hangup(self, step: Step) -> None:
        self._act(step, self._call.hangup)

    def _advisor(self, step: Step) -> None:
        if step.value == "answers":
            self._act(step, self._call.advisor_answers)
        else:
            self._act(step, lambda: self._call.advisor_does_not_answer(step.value))

    def _act(self, step: Step, action: Callable[[], Turn], shown: str | None = None) -> None:
        if self._call.ended:
            self._fail(step, f"cannot {shown or step.describe()}: the call has ended ({self._turn_now.ended_by})")
        try:
            turn = action()
        except CallerError as error:
            self._fail(step, f"cannot {shown or step.describe()}: {error}")
        self._turn(turn, shown)

    def _turn(self, turn: Turn, shown: str | None = None) -> None:
        self.heard = [self.target.recogniser.utterance(u) for u in turn.heard]
        self.position = 0
        waiting = (
            "keys" if turn.gather else "advisor" if turn.dial else "queue" if turn.queue else f"ended:{turn.ended_by}"
        )
        # The action as the scenario wrote it: the keys really typed may be a person's CIN.
        self.outcome.turns.append(TurnRecord(shown or turn.action, self.heard, waiting))
        self.show(f"> {shown or turn.action}")
        for heard in self.heard:
            self.show(f"    {heard.key or '?'} [{heard.language or '?'}] {heard.text}")
        if turn.dial:
            self.show(f"    ... dialling {turn.dial.number}")
        if turn.ended:
            self.show(f"    -- call ended ({turn.ended_by})")

    # The checks.

    def _expect(self, step: Step) -> None:
        wanted = step.value
        # Expects match in order; two may match the same utterance (its key, then a fragment of it).
        for index in range(self.position, len(self.heard)):
            if _matches(self.heard[index], wanted):
                self.position = index
                return
        expected = f"prompt {wanted['key']}" if "key" in wanted else f"a prompt containing {wanted['text']!r}"
        if wanted.get("language"):
            expected += f" in {wanted['language']}"
        if not self.heard:
            heard = "nothing in this turn"
        else:
            # For a fragment the whole text is the useful diff; for a key, the keys and a glimpse of the text.
            said = (lambda h: f'{h.key or "?"} "{h.text}"') if "text" in wanted else str
            heard = ", ".join(said(h) for h in self.heard[self.position :])
            if self.position:
                heard += f" (after {', '.join(str(h) for h in self.heard[: self.position])})"
        self._fail(step, f"expected {expected}, heard: {heard}")

    def _expect_end(self, step: Step) -> None:
        turn = self._turn_now
        if not turn.ended:
            self._fail(step, f"expected the server to end the call, but it waits for {self._waiting()}")
        if turn.ended_by not in SERVER_ENDINGS:
            self._fail(step, f"expected the server to end the call, but it ended by {turn.ended_by}")

    def _expect_transfer(self, step: Step) -> None:
        turn = self._turn_now
        keys = {h.key for h in self.heard}
        if not turn.dial and not keys & {"advisor.closed", "advisor.connecting", "advisor.unavailable"}:
            self._fail(
                step,
                f"expected a transfer to an advisor, but the call waits for {self._waiting()}; "
                f"heard: {', '.join(str(h) for h in self.heard) or 'nothing'}",
            )
        wanted = step.value.get("reason")
        if wanted:
            reason = self.target.transfer_reason(self._call.call_sid)
            if reason is not None and reason != wanted:
                self._fail(step, f"expected a transfer for {wanted}, but the reason recorded is {reason}")

    def _expect_sms(self, step: Step) -> None:
        if self.target.sms_unavailable:
            self._fail(step, f"cannot check SMS: {self.target.sms_unavailable}")
        to = step.value.get("to") or (self.person.mobile if self.person and self.person.mobile else self.from_number)
        contains = step.value.get("contains")
        deadline = time.monotonic() + self.target.sms_wait
        while True:
            fresh = [m for m in self.target.sms_to(to) if m.get("sid") not in self.sms_known.get(to, set())]
            if fresh:
                message = fresh[0]
                self.sms_known.setdefault(to, set()).add(message.get("sid"))
                body = message.get("body", "")
                shown = self.target.recogniser.sms_shown(body)  # the SMS carries a password
                self.show(f"    SMS to {to}: {shown}")
                if contains and contains.casefold() not in body.casefold():
                    self._fail(step, f"expected an SMS to {to} containing {contains!r}, received: {shown!r}")
                return
            if time.monotonic() >= deadline:
                self._fail(step, f"expected an SMS to {to}, none arrived within {self.target.sms_wait:.0f} s")
            time.sleep(0.1)

    # Helpers.

    def _snapshot_sms(self) -> None:
        """Remember the SMS already received, so that only this call's count."""
        to_numbers = {step.value.get("to") for step in self.scenario.steps if step.kind == "expect_sms"}
        if not to_numbers or self.target.sms_unavailable:
            return
        default = self.person.mobile if self.person and self.person.mobile else self.from_number
        for to in {t or default for t in to_numbers}:
            self.sms_known[to] = {m.get("sid") for m in self.target.sms_to(to)}

    def _waiting(self) -> str:
        turn = self._turn_now
        if turn.ended:
            return f"nothing (the call ended: {turn.ended_by})"
        return "keys" if turn.gather else "the advisor" if turn.dial else "a queue"

    def _fail(self, step: Step, message: str) -> NoReturn:
        raise Mismatch(f"{self.scenario.where(step)}: step `{step.describe()}`: {message}")

    def _quietly_hang_up(self) -> None:
        try:
            if self.caller and self.caller.turns and not self.caller.ended:
                self.caller.hangup()
        except Exception:  # the mismatch is what to report
            pass


def _matches(heard: Heard, wanted: dict) -> bool:
    if wanted.get("language") and heard.language != wanted["language"]:
        return False
    if "key" in wanted:
        return heard.is_key(wanted["key"])
    return " ".join(wanted["text"].split()).casefold() in " ".join(heard.text.split()).casefold()
