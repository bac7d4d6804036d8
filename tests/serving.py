"""Serve a Flask app over real HTTP on 127.0.0.1, in a thread, for tests that need a running server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from werkzeug.serving import make_server


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve app on a free port of 127.0.0.1 while the block runs; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="app-under-test", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()  # returns once serve_forever has
        thread.join()
        server.server_close()  # stop listening now: a late request is refused, not left waiting in the backlog
