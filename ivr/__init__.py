"""The CNSS registration voice server."""
from __future__ import annotations

import logging

from flask import Flask

from ivr import settings as settings_module
from ivr.db import Store
from ivr.runtime import Runtime
from ivr.sensitive import install_log_redaction


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings (defaults, environment, test overrides), store, blueprints, CLI."""
    app = Flask(__name__)
    app.config.from_mapping(settings_module.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()

    secret = app.config["IVR_SECRET_KEY"] or settings_module.local_secret_key()
    store = Store(app.config["DATABASE_URL"])
    store.create_schema()
    runtime = Runtime(settings=app.config, store=store, secret=secret.encode())
    if "CLOCK" in app.config:
        runtime.clock = app.config["CLOCK"]
    app.extensions["ivr"] = runtime

    from ivr.commands.registrations import registrations

    app.cli.add_command(registrations)
    return app


def runtime_of(app: Flask) -> Runtime:
    """Return the runtime the factory built for an app."""
    return app.extensions["ivr"]
