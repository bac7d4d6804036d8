"""The app `flask --app app` and the WSGI servers run: the web app with the command-line entry points."""

from __future__ import annotations

from flask import Flask

from ivr.cli.agents import agents
from ivr.cli.call_export import calls
from ivr.cli.caller import call
from ivr.cli.flows import flows
from ivr.cli.help import describe_the_application, warn_if_serving_demo_values, whole_descriptions
from ivr.cli.prompts import prompts
from ivr.cli.recordings import import_recordings_command  # noqa: F401 (adds `prompts import-recordings`)
from ivr.cli.registrations import registrations
from ivr.cli.replay import replay
from ivr.cli.reports import report
from ivr.cli.schema import db
from ivr.cli.sms_worker import sms
from ivr.web.app import create_web_app


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web app and add the command-line groups to it, each command described whole."""
    app = create_web_app(test_config)
    for command in (registrations, prompts, flows, db, sms, call, replay, calls, agents, report):
        app.cli.add_command(command)
    whole_descriptions(app.cli)
    describe_the_application()
    warn_if_serving_demo_values(app)
    return app
