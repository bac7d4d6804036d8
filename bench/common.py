"""What every benchmark shares: its figures, the machine it ran on, PostgreSQL databases, the report file."""

from __future__ import annotations

import os
import platform
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
REPORT = PROJECT_DIR / "docs" / "benchmarks.md"
# The PostgreSQL server of this project's machines (trust auth); BENCH_POSTGRES_URL points elsewhere.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Figure:
    """One measured figure, with its target and whether it was met (None: no target)."""

    what: str
    value: str
    target: str = ""
    met: bool | None = None


@dataclass
class Section:
    """What one benchmark measured, as a titled table and notes."""

    name: str
    title: str
    command: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, value: str, target: str = "", met: bool | None = None) -> None:
        """Add one figure and print it at once (benchmarks are long: show progress as it comes)."""
        self.figures.append(Figure(what, value, target, met))
        verdict = "" if met is None else ("  [met]" if met else "  [MISSED]")
        print(f"  {what}: {value}" + (f"  (target {target})" if target else "") + verdict, flush=True)

    def markdown(self, machine: str) -> str:
        """Say the section as Markdown: when, where, how to reproduce, the table, the notes."""
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        lines = [
            f"## {self.title}",
            "",
            f"Measured {when} on {machine}.",
            f"Reproduce: `{self.command}`",
            "",
            "| Measure | Figure | Target | Met |",
            "|---|---|---|---|",
        ]
        for figure in self.figures:
            met = "" if figure.met is None else ("yes" if figure.met else "**no**")
            lines.append(f"| {figure.what} | {figure.value} | {figure.target} | {met} |")
        if self.notes:
            lines += ["", *(f"- {note}" for note in self.notes)]
        return "\n".join(lines)


def machine() -> str:
    """Describe this machine in one line: CPU, cores, memory, OS, Python, PostgreSQL."""
    cpu = _first_match(Path("/proc/cpuinfo"), r"model name\s*:\s*(.+)") or platform.processor() or "unknown CPU"
    memory = _first_match(Path("/proc/meminfo"), r"MemTotal:\s*(\d+) kB")
    gib = f", {int(memory) / 1024 / 1024:.0f} GiB" if memory else ""
    return (
        f"{cpu.strip()}, {os.cpu_count()} cores{gib}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {postgres_version()}"
    )


def _first_match(path: Path, pattern: str) -> str | None:
    try:
        found = re.search(pattern, path.read_text(), re.MULTILINE)
    except OSError:
        return None
    return found.group(1) if found else None


def postgres_server_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_version() -> str:
    try:
        engine = create_engine(postgres_server_url(), hide_parameters=True, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            version = connection.execute(text("show server_version")).scalar()
        engine.dispose()
        return f"PostgreSQL {version.split()[0]}"
    except Exception:  # the figures say what ran; a missing server is reported by the benchmark needing it
        return "no PostgreSQL"


def create_postgres_database(purpose: str) -> str:
    """Create an empty database for one benchmark run and return its URL."""
    url = make_url(postgres_server_url())
    name = f"bench_{purpose}_{secrets.token_hex(3)}"
    _admin(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _admin(statement: str) -> None:
    engine = create_engine(
        postgres_server_url(), hide_parameters=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def flask(
    *args: str,
    env: dict[str, str] | None = None,
    check: bool = True,
    capture: bool = False,
) -> subprocess.CompletedProcess:
    """Run `flask --app app ARGS` in the project with the given settings over this environment."""
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    return subprocess.run(
        command, cwd=PROJECT_DIR, env={**os.environ, **(env or {})}, check=check, capture_output=capture, text=True
    )


def write_section(section: Section, report: Path = REPORT, on: str | None = None) -> None:
    """Put a section in the report between its markers, keeping everything else of the file."""
    begin, end = f"<!-- bench:{section.name}:begin -->", f"<!-- bench:{section.name}:end -->"
    block = f"{begin}\n{section.markdown(on or machine())}\n{end}"
    current = report.read_text() if report.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    updated = (
        pattern.sub(lambda _: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block + "\n"
    )
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(updated)
