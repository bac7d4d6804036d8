"""Drive a server with the simulator's many-callers mode from several client processes at once.

One client process runs its callers on threads and spends about as much CPU per step as a light server:
with one process the client, not the server, would set the pace. Each process plays its own synthetic
people (distinct CINs and calling numbers) and its latencies are merged.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

from ivr.settings import DEMO_AUTH_TOKEN
from ivr.simulator.runs import LoadReport, load_callers
from ivr.simulator.scenario import load as load_scenario
from ivr.simulator.targets import RemoteTarget

WEBHOOK_TIMEOUT = 30.0  # a slow answer is a latency to report, not an error


@dataclass
class LoadRun:
    """The merged report of all client processes, and the CPU seconds the clients spent."""

    report: LoadReport
    client_cpu_seconds: float


def split(total: int, parts: int) -> list[int]:
    """Share total out in parts that differ by one at most."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _client(scenario_path: str, url: str, callers: int, concurrency: int, first_person: int, barrier, results) -> None:
    scenario = load_scenario(Path(scenario_path))
    target = RemoteTarget(url, auth_token=DEMO_AUTH_TOKEN, timeout=WEBHOOK_TIMEOUT)
    barrier.wait()
    started = time.process_time()
    report = load_callers(scenario, callers, concurrency, first_person=first_person, target=target)
    results.put((report, time.process_time() - started))


def drive(
    scenario_path: Path, url: str, callers: int, concurrency: int, first_person: int, processes: int = 2
) -> LoadRun:
    """Play callers calls of a scenario against url, concurrency at a time, from several processes."""
    context = multiprocessing.get_context("fork")
    processes = max(1, min(processes, callers, concurrency))
    barrier, results = context.Barrier(processes + 1), context.Queue()
    workers, first = [], first_person
    for share, width in zip(split(callers, processes), split(concurrency, processes), strict=True):
        workers.append(
            context.Process(target=_client, args=(str(scenario_path), url, share, width, first, barrier, results))
        )
        first += share
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    parts = [results.get() for _ in workers]
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    merged = LoadReport(callers, seconds=seconds)
    for report, _ in parts:
        merged.completed += report.completed
        merged.failed += report.failed
        merged.errors += report.errors
        merged.latencies += report.latencies
        merged.problems += report.problems[: max(0, 5 - len(merged.problems))]
    return LoadRun(merged, sum(cpu for _, cpu in parts))
