"""Import a liaison body's list (CSV) into the pre-registrations, keeping only digests of CINs and birth dates.

Row errors never quote the CIN or the birth date: the report is printed and may be logged.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable, Iterator, TextIO

from sqlalchemy import insert, select, update

from ivr import people
from ivr.categories import CategoryTable, load_categories
from ivr.models import PreRegistration
from ivr.phones import parse_moroccan_mobile
from ivr.runtime import Runtime

COLUMNS = ("cin", "last_name", "first_name", "birth_date", "category", "mobile", "source")
CHUNK_SIZE = 1000
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_TEXT = 100  # the width of the name and source columns
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# A category value shaped like this cannot be a CIN or a date, so it may be quoted back.
QUOTABLE = re.compile(r"^[A-Za-z_\- ]{1,40}$")
STORED = ("cin_digits_key", "birth_date_key", "last_name", "first_name", "category", "mobile", "source")


class ImportFileError(Exception):
    """The file cannot be imported at all: unreadable, not UTF-8, or without the expected header."""


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
    runtime: Runtime,
    lines: Iterable[str] | TextIO,
    categories: CategoryTable | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportReport:
    """Import the rows of a liaison list: insert new people, update known ones, report bad rows."""
    checker = _RowChecker(runtime, categories or load_categories())
    report = ImportReport()
    seen: dict[bytes, int] = {}  # a prefix of each accepted CIN's digest -> its line
    chunk: list[dict] = []
    records = _records(lines)
    _check_header(next(records, None))
    for line, fields in records:
        if not any(value.strip() for value in fields):
            continue
        values, reasons = checker.check(fields)
        key = bytes.fromhex(values["cin_key"][:32]) if values else b""
        if key in seen:
            reasons.append(f"duplicate of line {seen[key]} (same CIN)")
        if reasons:
            report.errors.append(RowError(line, "; ".join(reasons)))
            continue
        seen[key] = line
        chunk.append(values)
        if len(chunk) >= chunk_size:
            _store(runtime, chunk, report)
            chunk = []
    if chunk:
        _store(runtime, chunk, report)
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
        raise ImportFileError(f"the file is not UTF-8 text (at or after line {start})") from None
    except csv.Error as error:
        raise ImportFileError(f"line {start}: the CSV cannot be read ({error})") from None


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

    def __init__(self, runtime: Runtime, categories: CategoryTable):
        self.secret = runtime.secret
        self.today = runtime.now().date()
        self.codes = set(categories.codes)

    def check(self, fields: list[str]) -> tuple[dict | None, list[str]]:
        """Return the row's stored values (None when the CIN is unusable) and its faults."""
        if len(fields) != len(COLUMNS):
            return None, [f"expected {len(COLUMNS)} columns, found {len(fields)}"]
        raw = dict(zip(COLUMNS, fields))
        reasons: list[str] = []
        cin = people.canonical_cin(raw["cin"])
        if cin is None:
            reasons.append("CIN is empty" if not raw["cin"].strip()
                           else "CIN is not of the form letters+digits (1-2 letters, then 3-7 digits)")
        born = self._birth_date(raw["birth_date"], reasons)
        category = self._category(raw["category"], reasons)
        mobile = None
        if raw["mobile"].strip():
            mobile = parse_moroccan_mobile(raw["mobile"])
            if mobile is None:
                reasons.append("mobile is not a Moroccan mobile number (06... or 07...)")
        texts = {name: self._text(name, raw[name], reasons) for name in ("last_name", "first_name", "source")}
        if cin is None:
            return None, reasons
        values = {
            "cin_key": people.cin_key(self.secret, cin),
            "cin_digits_key": people.cin_digits_key(self.secret, people.cin_digits(cin)),
            "birth_date_key": people.birth_date_key(self.secret, people.birth_date(born)) if born else None,
            "category": category, "mobile": mobile, **texts,
        }
        return values, reasons

    def _birth_date(self, text: str, reasons: list[str]) -> date | None:
        text = text.strip()
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
            return born
        return None

    def _category(self, text: str, reasons: list[str]) -> str:
        code = text.strip().lower()
        if code not in self.codes:
            quoted = f" '{text.strip()}'" if QUOTABLE.match(text.strip()) else ""
            reasons.append(f"category{quoted} is not one of the category codes")
        return code

    def _text(self, name: str, text: str, reasons: list[str]) -> str:
        value = " ".join(text.split())
        label = name.replace("_", " ")
        if not value:
            reasons.append(f"{label} is empty")
        elif len(value) > MAX_TEXT:
            reasons.append(f"{label} is longer than {MAX_TEXT} characters")
        return value


def _store(runtime: Runtime, chunk: list[dict], report: ImportReport) -> None:
    """Insert or update one chunk of checked rows in one transaction, with one lookup query."""
    now = runtime.now()
    columns = (PreRegistration.id, PreRegistration.cin_key, *(getattr(PreRegistration, name) for name in STORED))
    with runtime.store.transaction() as session:
        query = select(*columns).where(PreRegistration.cin_key.in_([row["cin_key"] for row in chunk]))
        existing = {found.cin_key: found for found in session.execute(query)}
        inserts, updates = [], []
        for row in chunk:
            found = existing.get(row["cin_key"])
            if found is None:
                inserts.append({**row, "imported_at": now, "updated_at": now})
            elif any(getattr(found, name) != row[name] for name in STORED):
                updates.append({"id": found.id, **{name: row[name] for name in STORED}, "updated_at": now})
        if inserts:
            session.execute(insert(PreRegistration), inserts)
        if updates:
            session.execute(update(PreRegistration), updates)
    report.imported += len(inserts)
    report.updated += len(updates)
    report.unchanged += len(chunk) - len(inserts) - len(updates)
