"""The demo-token warning is printed when a server starts on it, once, and never by `flask --help`."""

import os

from ivr.cli.help import APPLICATION
from tests.commands import run_flask

from .servers import Server

DEMO_WARNING = "TWILIO_AUTH_TOKEN is the demo value"


def demo_environment(tmp_path) -> dict[str, str]:
    """Return a server's environment on the demo token (an empty value is unset) and a store of its own."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "IVR_SECRET_KEY": "demo-" + "k" * 59,
        "TWILIO_AUTH_TOKEN": "",
        "IVR_SMS_SENDER": "off",
    }


def test_flask_help_says_what_the_application_is_without_the_warning(tmp_path):
    result = run_flask("--help", env={**os.environ, **demo_environment(tmp_path)})

    assert result.returncode == 0, result.stderr
    assert " ".join(APPLICATION.split()) in " ".join(result.stdout.split())
    assert DEMO_WARNING not in result.stdout + result.stderr


def test_gunicorn_on_the_demo_token_warns_once_as_it_starts(tmp_path):
    server = Server(demo_environment(tmp_path), tmp_path / "server.log", workers=2)
    try:
        server.wait_until_listening()
    finally:
        status = server.stop()

    assert status == 0, server.log()
    assert server.log().count(DEMO_WARNING) == 1, server.log()
