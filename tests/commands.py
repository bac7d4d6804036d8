"""Run `flask --app app` commands as their users do: to their end in a subprocess, or on a pseudo-terminal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pexpect

PROJECT_DIR = Path(__file__).resolve().parents[1]


def flask_command(*args: str) -> list[str]:
    """Return the command line of `flask --app app ARGS` with this interpreter."""
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def run_flask(
    *args: str, env: dict[str, str], cwd: Path = PROJECT_DIR, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command to its end in env (a whole environment), with its output captured as text."""
    return subprocess.run(
        flask_command(*args), env=env, cwd=cwd, input=input, capture_output=True, text=True, timeout=120
    )


def on_a_terminal(*args: str, env: dict[str, str], dimensions: tuple[int, int] = (24, 120)) -> pexpect.spawn:
    """Start a command on a pseudo-terminal of dimensions (rows, columns), as a user at a terminal would."""
    command = flask_command(*args)
    return pexpect.spawn(
        command[0], command[1:], env=env, encoding="utf-8", timeout=60, cwd=str(PROJECT_DIR), dimensions=dimensions
    )
