"""Time the supervisors' reports over 1,000,000 calls' sessions and events in PostgreSQL.

The store is filled in the database itself (INSERT … SELECT over generate_series), with a realistic mix: calls
that hang up at the language or the menu, at the CIN question (half of them after a time-out), transfers with 0,
failed identity checks, lockouts, disputes, hang-ups at the mobile, and completions (about half the calls) with
their registration and credentials SMS (delivered, sent, undelivered, failed, unknown) and some resends. Calls
are spread over 30 days. Each report is then run in-process through the reporting service, as the CLI runs it.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from bench.common import Section, create_postgres_database, drop_postgres_database, flask

CALLS, QUICK_CALLS = 1_000_000, 20_000
TARGET_SECONDS = 2.0
RUNS = 3
SECRET_KEY = "bench-reports-" + "k" * 50
DAYS = 30

# The waiting states of the registration path, in order; each call reaches the first `depth` of them.
PATH = (
    "language.choose",
    "menu.choose",
    "identity.ask_cin",
    "identity.ask_birth_date",
    "category.confirm",
    "completion.confirm_mobile",
    "credentials.sent",
)
# m = a call's place in 100 (spread over the ids): depth, final state, transfer reason and state, intent.
PLAN = f"""
CREATE UNLOGGED TABLE bench_plan AS
SELECT i, m,
  CASE WHEN m < 8 THEN 1 WHEN m < 26 THEN 2 WHEN m < 34 THEN 3 WHEN m < 38 THEN 4 WHEN m < 39 THEN 3
       WHEN m < 43 THEN 5 WHEN m < 48 THEN 6 ELSE 7 END AS depth,
  CASE WHEN m < 8 THEN 'language.choose' WHEN m < 13 THEN 'advisor.after_advisor' WHEN m < 26 THEN 'menu.choose'
       WHEN m < 34 THEN 'identity.ask_cin' WHEN m < 38 THEN 'advisor.after_advisor'
       WHEN m < 39 THEN 'identity.locked_out' WHEN m < 43 THEN 'advisor.after_advisor'
       WHEN m < 48 THEN 'completion.confirm_mobile' WHEN m < 80 THEN 'credentials.goodbye'
       ELSE 'credentials.sent' END AS final,
  CASE WHEN m BETWEEN 8 AND 12 THEN 'caller_request' WHEN m BETWEEN 34 AND 37 THEN 'identity_failed'
       WHEN m BETWEEN 39 AND 42 THEN 'category_disputed' END AS reason,
  CASE WHEN m BETWEEN 8 AND 12 THEN 'menu.choose' WHEN m BETWEEN 34 AND 37 THEN 'identity.verify'
       WHEN m BETWEEN 39 AND 42 THEN 'category.disputed' END AS reason_state,
  (m BETWEEN 26 AND 33 AND i % 2 = 0) AS timed_out,
  timestamp '%(first)s' + (i::bigint * {DAYS} * 86400 / %(calls)s) * interval '1 second' AS started_at
FROM (SELECT i, (i * 37) % 100 AS m FROM generate_series(1, %(calls)s) AS i) AS calls
"""
FILL = [
    """
    INSERT INTO pre_registrations (id, cin_key, cin_digits_key, birth_date_key, last_name, first_name, category,
      mobile, source, imported_at, updated_at)
    SELECT i, 'cin' || i, 'digits' || i, 'birth' || i, 'BENCH', 'Bench',
      (ARRAY['cpu','commercant_comptable','medecin','pharmacien','auto_entrepreneur'])[1 + i % 5],
      '+2126' || lpad(i::text, 8, '0'), 'bench', started_at, started_at
    FROM bench_plan WHERE m >= 39
    """,
    """
    INSERT INTO call_sessions (id, call_sid, from_number, to_number, language, flow, state, seq, misses,
      failed_checks, slots, status, identity_verified, pre_registration_id, transfer_reason, transfer_state,
      transferred_at, started_at, updated_at, ended_at)
    SELECT i, 'CA' || md5(i::text), '+2126' || lpad(i::text, 8, '0'), '+212520447100',
      CASE WHEN m < 8 THEN NULL WHEN i % 3 = 0 THEN 'ar' ELSE 'fr' END,
      split_part(final, '.', 1), split_part(final, '.', 2),
      depth + (CASE WHEN final <> (%(path)s::text[])[depth] THEN 1 ELSE 0 END),
      CASE WHEN timed_out THEN 1 ELSE 0 END, CASE WHEN m BETWEEN 34 AND 38 THEN 3 ELSE 0 END,
      CASE WHEN m >= 26 THEN '{"languages": ["ar", "fr"], "intent": "complete"}'
           WHEN m >= 21 THEN '{"languages": ["ar", "fr"], "intent": "resend"}'
           ELSE '{"languages": ["ar", "fr"]}' END::json,
      'ended', m >= 39, CASE WHEN m >= 39 THEN i END, reason, reason_state,
      CASE WHEN reason IS NOT NULL THEN started_at + interval '40 seconds' END,
      started_at, started_at + interval '2 minutes', started_at + interval '2 minutes'
    FROM bench_plan
    """,
    """
    INSERT INTO call_events (call_session_id, seq, at, kind, state, detail)
    SELECT i, s, started_at + s * interval '10 seconds', 'step', (%(path)s::text[])[s + 1],
      CASE WHEN timed_out AND s = depth - 1
           THEN '{"path": [], "input": "", "miss": "no_input", "said": ["identity.ask_cin_short"], "then": "listen"}'
           ELSE '{"path": [], "input": "1", "said": ["prompt"], "then": "listen"}' END::json
    FROM bench_plan, generate_series(0, depth - 1) AS s
    """,
    """
    INSERT INTO call_events (call_session_id, seq, at, kind, state, detail)
    SELECT i, depth, started_at + interval '100 seconds', 'step', final,
      '{"path": [], "input": "1", "said": ["prompt"], "then": "hangup"}'::json
    FROM bench_plan WHERE final <> (%(path)s::text[])[depth]
    """,
    """
    INSERT INTO call_events (call_session_id, seq, at, kind, state, detail)
    SELECT i, depth + (CASE WHEN final <> (%(path)s::text[])[depth] THEN 1 ELSE 0 END),
      started_at + interval '2 minutes', 'status', final, '{"call_status": "completed"}'::json
    FROM bench_plan
    """,
    """
    INSERT INTO registrations (id, pre_registration_id, number, mobile, language, completed_at, completed_by_call)
    SELECT i, i, lpad(i::text, 9, '0'), '+2126' || lpad(i::text, 8, '0'), CASE WHEN i % 3 = 0 THEN 'ar' ELSE 'fr' END,
      started_at + interval '90 seconds', 'CA' || md5(i::text)
    FROM bench_plan WHERE m >= 48
    """,
    """
    INSERT INTO sms_outbox (idempotency_key, kind, registration_id, to_number, language, status, message_sid,
      created_at, updated_at, sent_at)
    SELECT 'CA' || md5(i::text) || ':6', 'credentials', i, '+2126' || lpad(i::text, 8, '0'),
      CASE WHEN i % 3 = 0 THEN 'ar' ELSE 'fr' END,
      CASE i % 50 WHEN 0 THEN 'failed' WHEN 1 THEN 'undelivered' WHEN 2 THEN 'sent' WHEN 3 THEN 'queued'
                  WHEN 4 THEN 'unknown' ELSE 'delivered' END,
      'SM' || md5(i::text), started_at + interval '91 seconds', started_at + interval '95 seconds',
      started_at + interval '92 seconds'
    FROM bench_plan WHERE m >= 48
    """,
    """
    INSERT INTO sms_outbox (idempotency_key, kind, registration_id, to_number, language, status, message_sid,
      created_at, updated_at, sent_at)
    SELECT 'CA' || md5('resend' || i::text) || ':4', 'credentials', i, '+2126' || lpad(i::text, 8, '0'),
      CASE WHEN i % 3 = 0 THEN 'ar' ELSE 'fr' END, 'delivered', 'SM' || md5('resend' || i::text),
      started_at + interval '1 day', started_at + interval '1 day', started_at + interval '1 day'
    FROM bench_plan WHERE m >= 48 AND i % 20 = 0
    """,
    """
    INSERT INTO disputes (pre_registration_id, call_sid, declared_category, created_at)
    SELECT i, 'CA' || md5(i::text),
      (ARRAY['cpu','commercant_comptable','medecin','pharmacien','auto_entrepreneur'])[1 + i % 5],
      started_at + interval '80 seconds'
    FROM bench_plan WHERE m BETWEEN 39 AND 42
    """,
    """
    INSERT INTO lockouts (kind, key, locked_until, created_at)
    SELECT 'cin', 'digits' || i, started_at + interval '1 day', started_at + interval '60 seconds'
    FROM bench_plan WHERE m = 38
    """,
    "SELECT setval(pg_get_serial_sequence('call_sessions', 'id'), %(calls)s)",
    "DROP TABLE bench_plan",
]


def run(quick: bool) -> Section:
    """Fill PostgreSQL with the calls, then time each report over all of them and over one day."""
    section = Section("reports", "Supervisors' reports over 1,000,000 calls", "scripts/bench reports")
    calls = QUICK_CALLS if quick else CALLS
    section.notes = [
        f"{calls:,} calls over {DAYS} days ending now, filled by INSERT … SELECT over generate_series: 8 % hang up"
        " before choosing a language, 5 % press 0 at the menu, 13 % leave at the menu, 8 % hang up at the CIN"
        " question (half after a time-out), 4 % fail the identity check three times, 1 % are locked out, 4 %"
        " dispute their category, 5 % hang up at the mobile, 52 % complete (SMS: 90 % delivered, the rest sent,"
        " queued, undelivered, failed or unknown; 5 % resent later). About 6.5 events a call.",
        "Calls started more than 6 hours ago are settled into call_outcomes once (the first report after a"
        " large backlog pays for it; each later report settles only the hours passed since); the rest are read"
        " from the trail at each report. Each report runs in-process through ivr/reports/campaign.py, as"
        " flask report runs it; the figure is the median of 3 runs.",
    ]
    try:
        url = create_postgres_database("reports")
    except Exception as error:  # no server: the section says so instead of failing the whole run
        section.add("reports", f"skipped: PostgreSQL unreachable ({type(error).__name__})")
        return section
    try:
        flask("db", "upgrade", env=_settings(url), capture=True)
        started = time.perf_counter()
        first = first_day()
        events = fill(url, calls, first)
        section.add("store filled", f"{calls:,} calls, {events:,} events in {time.perf_counter() - started:.0f} s")
        _measure(section, url, calls, first)
    finally:
        drop_postgres_database(url)
    return section


def _settings(url: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "IVR_SECRET_KEY": SECRET_KEY, "IVR_SMS_SENDER": "off"}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def first_day() -> datetime:
    """Return when the benchmark's calls start: DAYS before now, to the hour (stored time, naive UTC)."""
    return (datetime.now(UTC) - timedelta(days=DAYS)).replace(tzinfo=None, minute=0, second=0, microsecond=0)


def fill(url: str, calls: int, first: datetime) -> int:
    """Fill the store with the calls of the mix, over DAYS from `first`; return how many events it holds."""
    path = "ARRAY[" + ", ".join(f"'{state}'" for state in PATH) + "]"
    with psycopg.connect(_libpq(url), autocommit=True) as db:
        for statement in (PLAN, *FILL):  # the values are the benchmark's own: written into the statements
            written = statement.replace("%(calls)s", str(calls)).replace("%(path)s", path)
            db.execute(written.replace("%(first)s", f"{first:%Y-%m-%d %H:%M:%S}").encode())
        db.execute("VACUUM ANALYZE")
        row = db.execute("SELECT count(*) FROM call_events").fetchone()
    return int(row[0]) if row else 0


def _measure(section: Section, url: str, calls: int, first: datetime) -> None:
    from ivr.factory import create_app
    from ivr.reports import campaign
    from ivr.reports.campaign import Period
    from ivr.web.extension import runtime_of

    app = create_app(_settings(url))
    rt = runtime_of(app)
    now = rt.now()
    periods = (
        (f"all {calls:,} calls ({DAYS} days)", Period()),
        ("the last 24 hours", Period(now - timedelta(days=1))),
        ("one settled day", Period(first + timedelta(days=14), first + timedelta(days=15))),
    )
    reports: list[tuple[str, Callable[[Period], Any]]] = [
        ("funnel", lambda period: campaign.funnel(rt, period)),
        ("drop-off", lambda period: campaign.dropoff(rt, period)),
        ("SMS", lambda period: campaign.sms(rt, period)),
        ("hours", lambda period: campaign.hours(rt, period)),
    ]
    try:
        started = time.perf_counter()
        settled = campaign.settle(rt)
        section.add(
            f"rollup of the settled calls (started before {settled:%Y-%m-%d %H:%M} UTC), once",
            f"{time.perf_counter() - started:.1f} s",
        )
        started = time.perf_counter()
        campaign.settle(rt)
        section.add("rollup again, nothing new to settle", f"{time.perf_counter() - started:.3f} s")
        found = campaign.funnel(rt)
        expected = calls * 52 // 100
        section.add(
            "funnel: calls, registrations completed",
            f"{found.calls:,}, {found.completed:,}",
            f"= {calls:,}, {expected:,}",
            (found.calls, found.completed) == (calls, expected),
        )
        for name, report in reports:
            for label, period in periods:
                seconds = _best(lambda report=report, period=period: report(period))
                section.add(
                    f"{name} report, {label}",
                    f"{seconds:.2f} s (median of {RUNS})",
                    f"< {TARGET_SECONDS:.0f} s",
                    seconds < TARGET_SECONDS,
                )
    finally:
        rt.store.dispose()


def _best(action: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
