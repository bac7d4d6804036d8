"""Run scenarios: one call in a fresh sandbox or against a server, or many callers at once (load mode)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from ivr.registration import synthetic
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.replay import Outcome, Player, Target
from ivr.simulator.sandbox import Sandbox
from ivr.simulator.scenario import Scenario
from ivr.simulator.targets import RemoteTarget, SandboxTarget
from ivr.simulator.testdata import SYNTHETIC, resolve
from ivr.simulator.twilio_stand_in import TwilioApiStandIn

Show = Callable[[str], None]
AfterCall = Callable[[SimulatedCaller], None]


def play_in_sandbox(
    scenario: Scenario,
    stand_in: TwilioApiStandIn,
    show: Show | None = None,
    first_person: int = 0,
    after: AfterCall | None = None,
) -> Outcome:
    """Play a scenario in a fresh sandbox (demo people, the scenario's given and clock)."""
    with _sandbox(scenario, stand_in, first_person, 1) as sandbox:
        person = resolve(scenario.person, first_person)
        sandbox.apply(scenario.given, person, scenario.from_number)
        return _play(Player(scenario, SandboxTarget(sandbox), person, scenario.from_number, show), after)


def play_remote(
    scenario: Scenario,
    target: RemoteTarget,
    show: Show | None = None,
    first_person: int = 0,
    after: AfterCall | None = None,
) -> Outcome:
    """Play a scenario against a running server (the caller must make sure needs_sandbox is None)."""
    person = resolve(scenario.person, first_person)
    return _play(Player(scenario, target, person, scenario.from_number, show), after)


def _play(player: Player, after: AfterCall | None) -> Outcome:
    # `after` runs while the target still answers: it may fetch the call's <Play> audio.
    outcome = player.play()
    if after is not None and player.caller is not None:
        after(player.caller)
    return outcome


@dataclass
class LoadReport:
    """What N callers running one scenario did, and how fast the server answered them."""

    callers: int
    completed: int = 0
    failed: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # one webhook round trip each, in seconds
    problems: list[str] = field(default_factory=list)  # the first few mismatches and errors

    @property
    def steps_per_second(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Return the p-th percentile of the step latencies, in milliseconds (nearest rank)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    def lines(self) -> list[str]:
        """Say the report for a terminal."""
        return [
            f"callers: {self.callers}, completed: {self.completed}, failed: {self.failed}, errors: {self.errors}",
            f"steps: {len(self.latencies)} in {self.seconds:.2f} s ({self.steps_per_second:.1f} steps/s)",
            f"step latency ms: p50 {self.percentile(50):.1f}, p95 {self.percentile(95):.1f}, "
            f"p99 {self.percentile(99):.1f}",
            *self.problems,
        ]


def load_callers(
    scenario: Scenario,
    callers: int,
    concurrency: int,
    *,
    first_person: int = 0,
    target: RemoteTarget | None = None,
    stand_in: TwilioApiStandIn | None = None,
) -> LoadReport:
    """Run a scenario as many callers, concurrency at a time: against target, or in one shared sandbox."""
    report = LoadReport(callers)
    if target is not None:
        target.samples = report.latencies
        return _load(scenario, target, callers, concurrency, first_person, report, given=None)
    if stand_in is None:
        raise ValueError("load_callers needs a target, or a Twilio API stand-in for its sandbox")
    with _sandbox(scenario, stand_in, first_person, callers) as sandbox:
        return _load(
            scenario,
            SandboxTarget(sandbox, report.latencies),
            callers,
            concurrency,
            first_person,
            report,
            given=sandbox,
        )


def caller_number(index: int) -> str:
    """Return the calling number of caller index in load mode: each caller calls from its own mobile."""
    return synthetic.person(index).mobile


def _load(
    scenario: Scenario,
    target: Target,
    callers: int,
    concurrency: int,
    first_person: int,
    report: LoadReport,
    given: Sandbox | None,
) -> LoadReport:
    people = [
        resolve(scenario.person, first_person + i) if scenario.person == SYNTHETIC else resolve(scenario.person)
        for i in range(callers)
    ]
    numbers = [caller_number(first_person + i) for i in range(callers)]
    if given is not None and scenario.given:
        for person, number in zip(people, numbers, strict=True):
            given.apply(scenario.given, person, number)

    def one(i: int) -> Outcome:
        # One caller's unexpected failure is its own error: pool.map would drop every other caller's outcome.
        try:
            return Player(scenario, target, people[i], numbers[i]).play()
        except Exception as error:
            return Outcome(scenario, call_sid=f"caller {i}", error=f"{type(error).__name__}: {error}")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="caller") as pool:
        outcomes = list(pool.map(one, range(callers)))
    report.seconds = time.perf_counter() - started
    for outcome in outcomes:
        if outcome.error:
            report.errors += 1
        elif outcome.mismatch:
            report.failed += 1
        else:
            report.completed += 1
        problem = outcome.error or outcome.mismatch
        if problem and len(report.problems) < 5:
            report.problems.append(f"  {outcome.call_sid}: {problem}")
    return report


@contextmanager
def _sandbox(scenario: Scenario, stand_in: TwilioApiStandIn, first_person: int, count: int) -> Iterator[Sandbox]:
    with Sandbox(stand_in, scenario.clock) as sandbox:
        if scenario.person == SYNTHETIC:
            sandbox.load_synthetic(first_person, count)
        yield sandbox
