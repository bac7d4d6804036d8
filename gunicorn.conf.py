"""Gunicorn settings for the voice server: `.venv/bin/gunicorn -c gunicorn.conf.py app:app`.

The environment tunes a deployment: PORT (or BIND), WEB_CONCURRENCY (processes), GUNICORN_THREADS,
FORWARDED_ALLOW_IPS (the proxies whose X-Forwarded-Proto is believed). On SQLite WEB_CONCURRENCY is 1
unless set, and more processes get a warning at start. In production scripts/serve runs this behind nginx.
"""

import multiprocessing
import os

bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8080')}"

# SQLite serves one process (its threads are fine): it lets one writer in at a time and makes the
# others poll for its file lock, so several processes only wait on each other, up to the busy
# timeout (ivr/store/db.py) per webhook. The app's default store is SQLite.
on_sqlite = (os.environ.get("DATABASE_URL") or "sqlite").startswith("sqlite")

# A webhook spends most of its time computing in Python (Flask, SQLAlchemy, TwiML) and little waiting
# on the database: one process per CPU, with a few threads to overlap those waits. More processes only
# add context switches: on 2 CPUs, 5 processes served fewer steps than 2, with twice the p99
# (docs/benchmarks.md).
workers = int(os.environ.get("WEB_CONCURRENCY") or (1 if on_sqlite else max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# Twilio gives up on a webhook after 15 s and plays its own error. A request never needs that long
# (database connections time out after 5 s, then the caller hears our apology); a worker silent
# for 30 s is stuck and replaced.
timeout = 30
graceful_timeout = 20
keepalive = 5
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The access log shows the path without its query string (%(U)s, never %(q)s or %(r)s) and no
# bodies: the keys callers type travel in POST bodies, and nothing else should reach the log.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'

# Behind a proxy that ends TLS, believe its X-Forwarded-Proto so that request URLs say https: the
# X-Twilio-Signature is computed over the URL Twilio called. Set PUBLIC_BASE_URL when the proxy
# also changes the host or the path.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}


def on_starting(server):
    """Say at start that the Twilio token is the demo one, and that SQLite is being served by several
    processes, which it does not support."""
    from ivr.settings import demo_values_warning, from_environment

    demo_warning = demo_values_warning(from_environment())
    if demo_warning:
        server.log.warning(demo_warning)
    if on_sqlite and server.cfg.workers > 1:
        from ivr.store.db import SQLITE_BUSY_TIMEOUT

        server.log.warning(
            "DATABASE_URL is SQLite, which serves one process, and gunicorn runs %d: they will wait on "
            "each other for its writer lock, up to %d s a webhook. Set WEB_CONCURRENCY=1 (GUNICORN_THREADS "
            "for more at once) or use PostgreSQL.",
            server.cfg.workers,
            SQLITE_BUSY_TIMEOUT,
        )
