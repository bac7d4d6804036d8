"""A WSGI app whose workers start later than a request's time-out, as servers migrating one database on a busy
machine do: gunicorn already listens, and the first requests wait in its backlog
(tests/e2e/test_starting_servers.py)."""

import time

STARTS_AFTER = 15.0  # seconds: more than the 10 s a /health request of the tests waits for an answer

time.sleep(STARTS_AFTER)


def app(environ, start_response):
    """Answer every request with 200."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
