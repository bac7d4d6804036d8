"""Import a generated liaison list into PostgreSQL as an operator does, against PostgreSQL's own COPY of it."""

from __future__ import annotations

import csv
import re
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.common import Section, create_postgres_database, drop_postgres_database, flask

ROWS, QUICK_ROWS = 1_000_000, 20_000
TARGET_RATIO, TARGET_SECONDS = 0.3, 60.0
SECRET_KEY = "bench-import-" + "k" * 51
HEADER = ("cin", "last_name", "first_name", "birth_date", "category", "mobile", "source")
CATEGORIES = ("cpu", "commercant_comptable", "medecin", "pharmacien", "auto_entrepreneur")
CIN_PREFIXES = ("A", "AB", "BE", "BK", "C", "CD", "D", "EE", "F", "G", "H", "JK", "K", "L", "M", "Z")
LAST_NAMES = ("FICTIF", "EXEMPLE", "ESSAI", "MAQUETTE", "MODELE", "ESSAI-BIS", "TEMOIN", "SPECIMEN")
FIRST_NAMES = ("Amina", "Youssef", "Salma", "Mehdi", "Khadija", "Omar", "Fatima Zahra", "Hamza")
SOURCES = ("DGI (bench)", "Ordre des médecins (bench)", "RNAE (bench)", "Chambre de commerce (bench)")
MOBILE_PREFIXES = ("61", "62", "66", "67", "70", "77")  # allotted to mobiles whatever the next digits
BAD_EVERY, BAD_AT = 20, 13  # one row in 20 is bad: 5 %
BAD_KINDS = (
    "bad CIN",
    "bad date",
    "unknown category",
    "bad mobile",
    "duplicate CIN",
    "wrong number of columns",
    "empty name",
)
REPORT_LINE = re.compile(r"imported: (\d+), updated: (\d+), unchanged: (\d+), rejected: (\d+)")


@dataclass(frozen=True)
class GeneratedList:
    """A liaison list written for the benchmark, and what an import of it must report."""

    path: Path
    copyable: Path  # the same rows less those of a wrong width, which COPY refuses outright
    header_only: Path
    rows: int
    valid: int
    copyable_rows: int


@dataclass(frozen=True)
class Counts:
    imported: int
    updated: int
    unchanged: int
    rejected: int


def run(quick: bool) -> Section:
    """Time the import of a generated list (then again, unchanged) and PostgreSQL's COPY of the same rows."""
    section = Section("import", "Import of a liaison list", "scripts/bench import_rows")
    rows = QUICK_ROWS if quick else ROWS
    try:
        url = create_postgres_database("import")
    except Exception as error:  # no server: the section says so instead of failing the whole run
        section.add("import", f"skipped: PostgreSQL unreachable ({type(error).__name__})")
        return section
    try:
        with tempfile.TemporaryDirectory(prefix="bench-import-") as directory:
            generated = write_liaison_list(Path(directory), rows)
            flask("db", "upgrade", env=_settings(url), capture=True)
            _measure(section, url, generated)
    finally:
        drop_postgres_database(url)
    return section


def _measure(section: Section, url: str, generated: GeneratedList) -> None:
    rejected = generated.rows - generated.valid
    start_seconds, _ = timed_import(url, generated.header_only)
    first_seconds, first = timed_import(url, generated.path)
    expected_first = Counts(generated.valid, 0, 0, rejected)
    again_seconds, again = timed_import(url, generated.path)
    expected_again = Counts(0, 0, generated.valid, rejected)
    copy_seconds = timed_copy(url, generated.copyable)
    stored_rows, indexed_seconds = timed_copy_into_indexed_table(url, generated.path.with_name("stored.csv"))
    import_rate, again_rate = generated.rows / first_seconds, generated.rows / again_seconds
    copy_rate = generated.copyable_rows / copy_seconds
    section.add("rows in the file", f"{generated.rows:,} ({rejected:,} bad: {', '.join(BAD_KINDS)})")
    section.add("import into an empty store", f"{first_seconds:.1f} s, {import_rate:,.0f} rows/s")
    section.add("the command's start-up alone (a file of the header only)", f"{start_seconds:.1f} s")
    section.add("its report", _say(first), f"= {_say(expected_first)}", first == expected_first)
    section.add("import again, every row unchanged", f"{again_seconds:.1f} s, {again_rate:,.0f} rows/s")
    section.add("its report", _say(again), f"= {_say(expected_again)}", again == expected_again)
    section.add(
        "floor: COPY into a plain table",
        f"{copy_seconds:.1f} s, {copy_rate:,.0f} rows/s ({generated.copyable_rows:,} rows)",
    )
    section.add(
        "bound: COPY of the stored rows into a copy of pre_registrations (same indexes)",
        f"{indexed_seconds:.1f} s, {stored_rows / indexed_seconds:,.0f} rows/s ({stored_rows:,} rows)",
    )
    section.add(
        "import / COPY throughput",
        f"{import_rate / copy_rate:.2f}",
        f"≥ {TARGET_RATIO}",
        import_rate / copy_rate >= TARGET_RATIO,
    )
    # A smaller run scales its rows' share of the time, not the command's start-up.
    per_million = start_seconds + (first_seconds - start_seconds) * 1_000_000 / generated.rows
    section.add(
        "1,000,000 rows imported in" + ("" if generated.rows == 1_000_000 else " (extrapolated)"),
        f"{per_million:.1f} s",
        f"≤ {TARGET_SECONDS:.0f} s",
        per_million <= TARGET_SECONDS,
    )
    section.notes.append(
        "Timed as an operator runs it: `flask --app app registrations import FILE` in a new process "
        "(start-up, header and UTF-8 checks, every row checked, three HMAC digests per row, merge into "
        "`pre_registrations` with its indexes). Throughput counts every row of the file, bad ones included."
    )
    section.notes.append(
        "The floor is `COPY ... FROM STDIN (FORMAT csv, HEADER)` from psycopg, streaming the same file into a "
        "table of seven text columns without index or constraint; the rows of a wrong width are left out of its "
        "file because COPY refuses the whole file for one of them."
    )
    section.notes.append(
        "The bound is what PostgreSQL alone needs to store the imported rows in this table: COPY of the rows the "
        "import stored (digests, names, dates) into an empty `pre_registrations` look-alike with the same indexes."
    )


def write_liaison_list(directory: Path, rows: int) -> GeneratedList:
    """Write a deterministic liaison list of rows rows, one in BAD_EVERY of them bad in one of several ways."""
    path, copyable = directory / "liaison.csv", directory / "liaison-copyable.csv"
    header_only = directory / "header-only.csv"
    header_only.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    valid = copyable_rows = 0
    with path.open("w", encoding="utf-8", newline="") as full, copyable.open("w", encoding="utf-8", newline="") as ok:
        full_writer, ok_writer = csv.writer(full, lineterminator="\n"), csv.writer(ok, lineterminator="\n")
        full_writer.writerow(HEADER)
        ok_writer.writerow(HEADER)
        for index in range(rows):
            fields, is_valid = liaison_row(index)
            full_writer.writerow(fields)
            valid += is_valid
            if len(fields) == len(HEADER):
                ok_writer.writerow(fields)
                copyable_rows += 1
    return GeneratedList(path, copyable, header_only, rows, valid, copyable_rows)


def liaison_row(index: int) -> tuple[list[str], bool]:
    """Return row number index of the generated list, and whether the importer must accept it."""
    fields = [
        _cin(index),
        LAST_NAMES[index % 8],
        FIRST_NAMES[index // 8 % 8],
        (date(1950, 1, 1) + timedelta(days=index * 7919 % 18_000)).isoformat(),
        CATEGORIES[index % 5],
        _mobile(index),
        SOURCES[index % 4],
    ]
    if index % BAD_EVERY != BAD_AT:
        return fields, True
    kind = BAD_KINDS[index // BAD_EVERY % len(BAD_KINDS)]
    if kind == "bad CIN":
        fields[0] = f"{index:07d}"
    elif kind == "bad date":
        fields[3] = "1980-02-30" if index % 2 else "14/03/1975"
    elif kind == "unknown category":
        fields[4] = "astronaute"
    elif kind == "bad mobile":
        fields[5] = f"0522{index % 1_000_000:06d}"
    elif kind == "duplicate CIN":  # the row before is always a good one
        fields[0] = " " + _cin(index - 1).lower()
    elif kind == "wrong number of columns":
        fields = fields[:-1]
    else:
        fields[1] = ""
    return fields, False


def _cin(index: int) -> str:
    return f"{CIN_PREFIXES[index % len(CIN_PREFIXES)]}{index:07d}"


def _mobile(index: int) -> str:
    """Return a mobile in one of the forms liaison lists use, or none."""
    number = f"{MOBILE_PREFIXES[index % len(MOBILE_PREFIXES)]}{index * 37 % 10_000_000:07d}"
    form = index % 10
    if form < 4:
        return f"0{number}"
    if form < 6:
        return f"+212{number}"
    if form == 6:
        return "0" + " ".join((number[:1], number[1:3], number[3:5], number[5:7], number[7:]))
    if form == 7:
        return f"00212{number}"
    if form == 8:
        return f"+212 (0){number}"
    return ""


def _settings(url: str) -> dict[str, str]:
    """Return the environment of the commands run on the benchmark's database."""
    return {"DATABASE_URL": url, "IVR_SECRET_KEY": SECRET_KEY, "IVR_SMS_SENDER": "off"}


def timed_import(url: str, path: Path) -> tuple[float, Counts]:
    """Run the import command on a file; return its seconds and its report's counts."""
    started = time.perf_counter()
    result = flask("registrations", "import", str(path), check=False, capture=True, env=_settings(url))
    seconds = time.perf_counter() - started
    found = REPORT_LINE.search(result.stdout)
    if result.returncode not in (0, 1) or not found:
        raise RuntimeError(f"the import failed (exit {result.returncode}): {result.stderr[-2000:]}")
    return seconds, Counts(*(int(count) for count in found.groups()))


def timed_copy(url: str, path: Path) -> float:
    """COPY a file into a plain table of text columns; return the seconds it took."""
    columns = ", ".join(f"{name} text" for name in HEADER)
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as db:
        db.execute(f"CREATE TABLE copy_floor ({columns})")
        db.commit()
        started = time.perf_counter()
        with (
            db.cursor() as cursor,
            path.open("rb") as rows,
            cursor.copy("COPY copy_floor FROM STDIN (FORMAT csv, HEADER)") as copy,
        ):
            while block := rows.read(1 << 20):
                copy.write(block)
        db.commit()
        return time.perf_counter() - started


def timed_copy_into_indexed_table(url: str, path: Path) -> tuple[int, float]:
    """COPY the imported rows (digests) into an empty copy of their table, indexes included; return rows, seconds.

    What PostgreSQL alone needs to store these rows in this table: a bound of any importer of this design.
    """
    columns = ", ".join(
        (
            "cin_key",
            "cin_digits_key",
            "birth_date_key",
            "last_name",
            "first_name",
            "category",
            "mobile",
            "source",
            "imported_at",
            "updated_at",
        )
    )
    with psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)) as db:
        with (
            db.cursor() as cursor,
            path.open("wb") as exported,
            cursor.copy(f"COPY (SELECT {columns} FROM pre_registrations) TO STDOUT") as copy,
        ):
            for block in copy:
                exported.write(block)
        db.execute("CREATE TABLE indexed_floor (LIKE pre_registrations INCLUDING ALL)")
        db.commit()
        started = time.perf_counter()
        with db.cursor() as cursor, path.open("rb") as rows:
            with cursor.copy(f"COPY indexed_floor ({columns}) FROM STDIN") as copy:
                while block := rows.read(1 << 20):
                    copy.write(block)
            count = cursor.rowcount
        db.commit()
        return count, time.perf_counter() - started


def _say(counts: Counts) -> str:
    return (
        f"imported {counts.imported:,}, updated {counts.updated:,}, unchanged {counts.unchanged:,}, "
        f"rejected {counts.rejected:,}"
    )
