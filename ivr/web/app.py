"""The web app: settings, the runtime the services share, and the blueprints of every web entry point."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

import ivr.callflow.actions  # noqa: F401  (registers the actions the flows name)
from ivr import settings as settings_module
from ivr.audio.player import start_library
from ivr.callflow import checks
from ivr.registration.categories import load_categories
from ivr.runtime import Runtime
from ivr.sensitive import install_log_redaction
from ivr.settings import Settings
from ivr.sms.sender import start_sender
from ivr.store.db import Store
from ivr.web import (
    agent_api,
    agent_console,
    agent_voice,
    audio,
    console_locale,
    health,
    sms_status,
    supervisor_pages,
    voice,
)
from ivr.web.extension import EXTENSION_KEY
from ivr.web.guards import limit_request_bodies

log = logging.getLogger(__name__)


def create_web_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the web app: settings (defaults, environment, test overrides), runtime, blueprints."""
    app = Flask(__name__)
    app.config.from_mapping(settings_module.from_environment())
    limit_request_bodies(app)  # first of the request hooks
    if test_config:
        app.config.from_mapping(test_config)
    configure_logging()
    settings_module.check(app.config)
    runtime = build_runtime(app.config)
    app.extensions[EXTENSION_KEY] = runtime
    for blueprint in (
        voice.bp,
        agent_voice.bp,
        sms_status.sms_webhooks,
        audio.audio,
        health.health,
        agent_api.bp,
        agent_console.bp,
        supervisor_pages.bp,
    ):
        app.register_blueprint(blueprint)
    agent_console.configure_sessions(app, runtime)
    console_locale.init_babel(app)  # the console's French and Arabic, in Casablanca time

    @app.before_request
    def migrate_once_the_database_answers() -> None:
        # A process started while the database was unreachable answers with apologies meanwhile.
        try:
            runtime.store.upgrade_schema_when_reachable()
        except Exception:
            log.exception("the schema could not be upgraded")

    @app.before_request
    def start_sms_sender() -> None:
        # Started by the first request, not by the factory: CLI commands need no sender, and
        # threads do not survive a server's fork into worker processes.
        if "sms_sender" not in runtime.extras:
            start_sender(runtime, runtime.catalog)

    return app


def configure_logging() -> None:
    """Log at INFO with sensitive values redacted, and quieten the libraries' chatter."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()
    # The SDK logs a dozen INFO lines per request (never the body): keep its warnings only.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    # Alembic tells of every plugin it sets up, at each start: ivr.store.schema says what matters.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def build_runtime(config: Settings) -> Runtime:
    """Open the store, load and check the flows and prompts, and start the audio library."""
    secret = config["IVR_SECRET_KEY"] or settings_module.local_secret_key()
    store = Store(config["DATABASE_URL"])
    store.upgrade_schema_when_reachable()
    # What `flask flows check` prints is what refuses the start.
    flows, catalog = checks.load_checked(prompts_dir=Path(config["IVR_PROMPTS_DIR"]))
    runtime = Runtime(
        settings=config, store=store, secret=secret.encode(), catalog=catalog, flows=flows, categories=load_categories()
    )
    if "CLOCK" in config:
        runtime.clock = config["CLOCK"]
    runtime.extras["audio"] = start_library(config)  # None in say mode, or when espeak-ng is missing
    return runtime
