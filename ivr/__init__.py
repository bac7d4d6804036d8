"""The CNSS registration voice server."""
from __future__ import annotations

import logging

from flask import Flask

import ivr.actions  # noqa: F401  (registers the actions the flows name)
from ivr import flowcheck
from ivr import settings as settings_module
from ivr.audio.player import start_library
from ivr.categories import load_categories
from ivr.flowbook import FlowBook
from ivr.prompts import Catalog
from ivr.db import Store
from ivr.runtime import Runtime
from ivr.sensitive import install_log_redaction
from ivr.sms_sender import start_sender
from ivr.views.guards import limit_request_bodies


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings (defaults, environment, test overrides), store, blueprints, CLI."""
    app = Flask(__name__)
    app.config.from_mapping(settings_module.from_environment())
    limit_request_bodies(app)  # first of the request hooks
    if test_config:
        app.config.from_mapping(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    # The SDK logs a dozen INFO lines per request (never the body): keep its warnings only.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # Alembic tells of every plugin it sets up, at each start: ivr.schema says what matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)

    settings_module.check(app.config)
    secret = app.config["IVR_SECRET_KEY"] or settings_module.local_secret_key()
    store = Store(app.config["DATABASE_URL"])
    store.upgrade_schema_when_reachable()
    catalog = Catalog.load()
    flows = FlowBook.load()
    flowcheck.check(flows, catalog)
    runtime = Runtime(settings=app.config, store=store, secret=secret.encode(), catalog=catalog, flows=flows,
                      categories=load_categories())
    if "CLOCK" in app.config:
        runtime.clock = app.config["CLOCK"]
    app.extensions["ivr"] = runtime
    runtime.extras["audio"] = start_library(app.config)  # None in say mode, or when espeak-ng is missing

    from ivr.commands.agents import agents
    from ivr.commands.call import call
    from ivr.commands.calls import calls
    from ivr.commands.db import db
    from ivr.commands.prompts import prompts
    from ivr.commands.registrations import registrations
    from ivr.commands.replay import replay
    from ivr.commands.sms import sms as sms_commands
    from ivr.views import agent_api, agent_console, agent_voice, audio, health, sms, voice

    for blueprint in (voice.bp, agent_voice.bp, sms.sms_webhooks, audio.audio, health.health, agent_api.bp,
                      agent_console.bp):
        app.register_blueprint(blueprint)
    agent_console.configure_sessions(app, runtime.secret)
    for command in (registrations, prompts, db, sms_commands, call, replay, calls, agents):
        app.cli.add_command(command)

    @app.before_request
    def migrate_once_the_database_answers():
        # A process started while the database was unreachable answers with apologies meanwhile.
        try:
            store.upgrade_schema_when_reachable()
        except Exception:
            logging.getLogger(__name__).exception("the schema could not be upgraded")

    @app.before_request
    def start_sms_sender():
        # Started by the first request, not by the factory: CLI commands need no sender, and
        # threads do not survive a server's fork into worker processes.
        if "sms_sender" not in runtime.extras:
            start_sender(runtime, catalog)

    return app


def runtime_of(app: Flask) -> Runtime:
    """Return the runtime the factory built for an app."""
    return app.extensions["ivr"]
