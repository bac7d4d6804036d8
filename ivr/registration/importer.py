"""Import a liaison body's list (CSV) into the pre-registrations, keeping only digests of CINs and birth dates.

Row errors never quote the CIN or the birth date: the report is printed and may be logged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, TextIO, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from ivr.registration import people
from ivr.registration.categories import CategoryTable, load_categories
from ivr.registration.mobiles import parse_moroccan_mobile
from ivr.store.db import Store
from ivr.store.models import PreRegistration

COLUMNS = ("cin", "last_name", "first_name", "birth_date", "category", "mobile", "source")
# Rows per transaction (SQLite: one lookup query each, and the writer lock held meanwhile; PostgreSQL: one
# COPY and one merge each).
CHUNK_SIZES = {"sqlite": 5000, "postgresql": 20_000}
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_TEXT = 100  # the width of the name and source columns
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ImportContext(Protocol):
    """What an import needs of the runtime (ivr.runtime.Runtime): the store, the digests' key, the time."""

    store: Store
    secret: bytes

    def now(self) -> datetime: ...


# A category value shaped like this cannot be a CIN or a date, so it may be quoted back.
QUOTABLE = re.compile(r"^[A-Za-z_\- ]{1,40}$")
# Control characters other than tab, CR and LF (which a name's white space collapse turns into spaces): PostgreSQL
# text refuses NUL, and none belongs in a list of names.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
STORED = ("cin_digits_key", "birth_date_key", "last_name", "first_name", "category", "mobile", "source")
STAGED = ("cin_key", *STORED)  # a checked row's values, in this order
# A chunk's merge runs past the store's statement timeout (set for webhooks) on a busy machine.
MERGE_TIMEOUT_MS = 120_000
CREATE_STAGING = (
    "CREATE TEMP TABLE import_staging (cin_key text, cin_digits_key text, birth_date_key text, last_name text, "
    "first_name text, category text, mobile text, source text) ON COMMIT DROP"
)
COPY_STAGING = f"COPY import_staging ({', '.join(STAGED)}) FROM STDIN"
# Unchanged rows are left alone (no new row version); xmax = 0 tells an inserted row from an updated one.
MERGE_STAGING = f"""
WITH merged AS (
    INSERT INTO pre_registrations AS kept ({", ".join(STAGED)}, imported_at, updated_at)
    SELECT {", ".join(STAGED)}, %(now)s, %(now)s FROM import_staging
    ON CONFLICT (cin_key) DO UPDATE SET {", ".join(f"{name} = excluded.{name}" for name in STORED)},
        updated_at = excluded.updated_at
    WHERE ({", ".join(f"kept.{name}" for name in STORED)})
        IS DISTINCT FROM ({", ".join(f"excluded.{name}" for name in STORED)})
    RETURNING kept.xmax = 0 AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
"""


class ImportFileError(Exception):
    """The file cannot be imported at all: unreadable, not UTF-8, or without the expected header."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.reason, self.line = reason, line


class ImportStopped(Exception):
    """An import that stopped part way: the report holds what was stored, lines 2 to `settled_through`."""

    def __init__(self, line: int, reason: str, report: ImportReport, settled_through: int):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason, self.report, self.settled_through = line, reason, report, settled_through


@dataclass(frozen=True)
class RowError:
    """A rejected row: its line in the file (header = line 1) and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Return the number of rows rejected."""
        return len(self.errors)


def import_liaison_list(
    runtime: ImportContext,
    lines: Iterable[str] | TextIO,
    categories: CategoryTable | None = None,
    chunk_size: int | None = None,
) -> ImportReport:
    """Import the rows of a liaison list: insert new people, update known ones, report bad rows."""
    checker = _RowChecker(runtime, categories or load_categories())
    report = ImportReport()
    seen: dict[bytes, int] = {}  # a prefix of each accepted CIN's digest -> its line
    chunk = _Chunk()
    records = _records(lines)
    _check_header(next(records, None))
    size = chunk_size or CHUNK_SIZES.get(runtime.store.engine.dialect.name, 1000)
    line = 1
    with _ChunkWriter(runtime, report) as writer:
        try:
            for line, fields in records:
                joined = "".join(fields)
                if not joined.strip():
                    continue
                key, values, reasons = checker.check(fields, CONTROL.search(joined) is not None)
                if key in seen:
                    reasons.append(f"duplicate of line {seen[key]} (same CIN)")
                if reasons:
                    report.errors.append(RowError(line, "; ".join(reasons)))
                    continue
                assert values is not None  # a row without faults has its values
                seen[key] = line
                chunk.add(line, values)
                if len(chunk.rows) >= size:
                    writer.store(chunk)
                    chunk = _Chunk()
            writer.store(chunk)
            writer.wait()
        except ImportFileError as error:  # the file breaks off there: store every row before it
            raise writer.stopped(error.line or line + 1, error.reason, chunk) from None
        except SQLAlchemyError as error:
            raise writer.stopped(line + 1, "the database failed", None) from error
    return report


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Yield each CSV record with the line it starts on."""
    reader = csv.reader(lines)
    start = 1
    try:
        for fields in reader:
            yield start, fields
            start = reader.line_num + 1
    except UnicodeDecodeError:
        raise ImportFileError("the file is not UTF-8 text (at or after this line)", start) from None
    except csv.Error as error:
        hint = (
            f": a field of more than {csv.field_size_limit()} characters (a quote left open?)"
            if "field limit" in str(error)
            else f" ({error})"
        )
        raise ImportFileError(f"the CSV cannot be read{hint}", start) from None


def check_readable(lines: Iterable[str] | TextIO) -> None:
    """Read a whole file as the import will, refusing it before anything is stored if it breaks off."""
    for _ in _records(lines):
        pass


def _check_header(record: tuple[int, list[str]] | None) -> None:
    """Refuse a file whose first line is not exactly the expected header."""
    expected = ",".join(COLUMNS)
    if record is None:
        raise ImportFileError(f"the file is empty: line 1 must be the header {expected}")
    fields = [value.strip() for value in record[1]]
    if fields:
        fields[0] = fields[0].lstrip("\ufeff").strip()
    if tuple(fields) == COLUMNS:
        return
    hint = " (the file seems to use ';' between columns: use ',')" if len(fields) == 1 and ";" in fields[0] else ""
    raise ImportFileError(f"line 1 must be the header {expected}{hint}")


class _RowChecker:
    """Check one row and turn it into the values to store (digests, never the CIN or birth date)."""

    def __init__(self, runtime: ImportContext, categories: CategoryTable):
        self.secret = runtime.secret
        self.today = runtime.now().date()
        self.codes = frozenset(categories.codes)
        self.birth_date_keys: dict[str, str] = {}  # valid dates only: at most some 45,000 since 1900

    def check(self, fields: list[str], has_control: bool = False) -> tuple[bytes, tuple | None, list[str]]:
        """Return the row's CIN identity (b"" when unusable), its stored values (None when rejected) and faults."""
        if len(fields) != len(COLUMNS):
            return b"", None, [f"expected {len(COLUMNS)} columns, found {len(fields)}"]
        raw_cin, last_name, first_name, born, category, mobile, source = fields
        reasons = _control_characters(fields) if has_control else []
        cin = people.canonical_cin(raw_cin)
        if cin is None:
            reasons.append(
                "CIN is empty"
                if not raw_cin.strip()
                else "CIN is not of the form letters+digits (1-2 letters, then 3-7 digits)"
            )
        birth_date_key = self._birth_date_key(born, reasons)
        category = category.strip().lower()
        if category not in self.codes:
            reasons.append(self._unknown_category(fields[4]))
        e164: str | None = None
        if mobile and not mobile.isspace():
            e164 = parse_moroccan_mobile(mobile)
            if e164 is None:
                reasons.append("mobile is not a Moroccan mobile number (06... or 07...)")
        last_name = _text("last name", last_name, reasons)
        first_name = _text("first name", first_name, reasons)
        source = _text("source", source, reasons)
        if cin is None:
            return b"", None, reasons
        cin_key = people.cin_key(self.secret, cin)
        identity = bytes.fromhex(cin_key[:32])
        if reasons:
            return identity, None, reasons
        cin_digits_key = people.cin_digits_key(self.secret, people.cin_digits(cin))
        return (
            identity,
            (cin_key, cin_digits_key, birth_date_key, last_name, first_name, category, e164, source),
            reasons,
        )

    def _birth_date_key(self, text: str, reasons: list[str]) -> str | None:
        """Return the digest of a valid birth date, or None with the reason it is not one."""
        text = text.strip()
        known = self.birth_date_keys.get(text)
        if known is not None:
            return known
        try:
            born = date.fromisoformat(text) if ISO_DATE.match(text) else None
        except ValueError:
            born = None
        if born is None:
            reasons.append("birth date is not a valid YYYY-MM-DD date")
        elif born > self.today:
            reasons.append("birth date is in the future")
        elif born < EARLIEST_BIRTH_DATE:
            reasons.append("birth date is before 1900")
        else:
            key = self.birth_date_keys[text] = people.birth_date_key(self.secret, people.birth_date(born))
            return key
        return None

    @staticmethod
    def _unknown_category(text: str) -> str:
        quoted = f" '{text.strip()}'" if QUOTABLE.match(text.strip()) else ""
        return f"category{quoted} is not one of the category codes"


def _control_characters(fields: list[str]) -> list[str]:
    """Name each column holding a control character, and the character (never the value)."""
    reasons = []
    for column, text in zip(COLUMNS, fields, strict=True):
        found = CONTROL.search(text)
        if found:
            reasons.append(f"{column} holds a control character (U+{ord(found.group()):04X})")
    return reasons


def _text(label: str, text: str, reasons: list[str]) -> str:
    """Return a name or source with its runs of spaces made one, noting when it is empty or too long."""
    value = " ".join(text.split())
    if not value:
        reasons.append(f"{label} is empty")
    elif len(value) > MAX_TEXT:
        reasons.append(f"{label} is longer than {MAX_TEXT} characters")
    return value


class _Chunk:
    """Checked rows to store in one transaction, and the file lines they come from."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.first_line = 0  # the line of the first row (0 while there is none)

    def add(self, line: int, values: tuple) -> None:
        if not self.rows:
            self.first_line = line
        self.rows.append(values)


class _ChunkWriter:
    """Store chunks on a second thread, one at a time, while the next chunk is checked.

    The database's own work (on PostgreSQL, another process) then overlaps the checks, which hold
    the interpreter; a chunk waits for the one before it, so at most two are held at once. A chunk
    that fails leaves the lines before it settled: stored, or rejected as reported.
    """

    def __init__(self, runtime: ImportContext, report: ImportReport):
        self.runtime, self.report = runtime, report
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-store")
        self.pending: tuple[Future, _Chunk] | None = None
        self.failed: tuple[_Chunk, SQLAlchemyError] | None = None

    def store(self, chunk: _Chunk) -> None:
        """Wait for the chunk before, then start storing this one."""
        self.wait()
        if chunk.rows:
            self.pending = self.thread.submit(_store, self.runtime, chunk.rows), chunk

    def wait(self) -> None:
        """Wait for the chunk being stored, and count its rows."""
        if self.pending is not None:
            (future, chunk), self.pending = self.pending, None
            try:
                inserted, updated, unchanged = future.result()
            except SQLAlchemyError as error:
                self.failed = chunk, error
                raise
            self.report.imported += inserted
            self.report.updated += updated
            self.report.unchanged += unchanged

    def stopped(self, line: int, reason: str, last: _Chunk | None) -> ImportStopped:
        """Store the rows before `line`, then return the error of an import stopped there (or at the chunk
        that failed), with what was stored."""
        try:
            if last is not None:
                self.store(last)
            self.wait()
        except SQLAlchemyError:
            pass
        if self.failed is not None:
            chunk, error = self.failed
            line = chunk.first_line
            reason = f"the database failed ({type(getattr(error, 'orig', None) or error).__name__})"
        self.report.errors = [error for error in self.report.errors if error.line < line]
        return ImportStopped(line, reason, self.report, line - 1)

    def __enter__(self) -> _ChunkWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.thread.shutdown(wait=True)


def _store(runtime: ImportContext, chunk: list[tuple]) -> tuple[int, int, int]:
    """Insert or update one chunk of checked rows in one transaction; return (inserted, updated, unchanged)."""
    now = runtime.now()
    with runtime.store.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            inserted, updated = _merge_with_copy(session, chunk, now)
        else:
            inserted, updated = _merge_by_lookup(session, chunk, now)
    return inserted, updated, len(chunk) - inserted - updated


def _merge_with_copy(session: Session, chunk: list[tuple], now: datetime) -> tuple[int, int]:
    """COPY the chunk into a staging table and merge it with one statement (PostgreSQL)."""
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert driver is not None  # a connection in use holds the driver's own
    try:
        with driver.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {MERGE_TIMEOUT_MS}")
            cursor.execute(CREATE_STAGING)
            with cursor.copy(COPY_STAGING) as copy:
                for row in chunk:
                    copy.write_row(row)
            cursor.execute(MERGE_STAGING, {"now": now})
            inserted, updated = cursor.fetchone()
    except connection.dialect.loaded_dbapi.Error as error:  # raise it as SQLAlchemy raises other queries' errors
        raise DBAPIError.instance(
            "COPY and merge of an import chunk",
            None,
            error,
            connection.dialect.loaded_dbapi.Error,
            dialect=connection.dialect,
        ) from error
    return inserted, updated


def _merge_by_lookup(session: Session, chunk: list[tuple], now: datetime) -> tuple[int, int]:
    """Look the chunk's people up with one query, then insert the new and update the changed (SQLite)."""
    table = cast(Table, PreRegistration.__table__)  # a declarative model's table is a Table
    query = select(table.c.cin_key, table.c.id, *(table.c[name] for name in STORED)).where(
        table.c.cin_key.in_([row[0] for row in chunk])
    )
    existing = {found[0]: found[1:] for found in session.execute(query)}
    inserts, updates = [], []
    for row in chunk:
        found = existing.get(row[0])
        if found is None:
            inserts.append({**dict(zip(STAGED, row, strict=True)), "imported_at": now, "updated_at": now})
        elif tuple(found[1:]) != row[1:]:
            updates.append({"row_id": found[0], **dict(zip(STORED, row[1:], strict=True)), "updated_at": now})
    if inserts:
        session.execute(insert(table), inserts)
    if updates:
        session.execute(update(table).where(table.c.id == bindparam("row_id")), updates)
    return len(inserts), len(updates)
