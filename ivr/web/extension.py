"""The runtime as the web app's extension: the one way views and commands reach the services' dependencies."""

from __future__ import annotations

from flask import Flask, current_app

from ivr.runtime import Runtime

EXTENSION_KEY = "ivr"


def runtime_of(app: Flask) -> Runtime:
    """Return the runtime the app factory built for an app."""
    runtime: Runtime = app.extensions[EXTENSION_KEY]
    return runtime


def current_runtime() -> Runtime:
    """Return the runtime of the app handling this request or command."""
    return runtime_of(current_app)
