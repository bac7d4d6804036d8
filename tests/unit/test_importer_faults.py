"""Import faults: characters a store or COPY would misread, and files or stores that fail part way."""

import csv

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from ivr.factory import create_app
from ivr.registration import importer
from ivr.registration.importer import ImportStopped, RowError, import_liaison_list
from ivr.runtime import Runtime
from ivr.store.models import PreRegistration

HEADER = "cin,last_name,first_name,birth_date,category,mobile,source"
GOOD = [f"AB{100000 + n},NOM{n},Prenom,1980-01-01,cpu,,src" for n in range(8)]
HUGE = "x" * (csv.field_size_limit() + 1)


@pytest.fixture
def app(store_url):
    app = create_app({"DATABASE_URL": store_url, "IVR_SECRET_KEY": "x" * 64})
    yield app
    app.extensions["ivr"].store.dispose()


def csv_lines(*rows: str) -> list[str]:
    """Return a file's lines, as reading it gives them (a quoted field may span several)."""
    return "".join(line + "\n" for line in (HEADER, *rows)).splitlines(keepends=True)


def write_csv(tmp_path, *rows: str):
    path = tmp_path / "list.csv"
    path.write_text("".join(csv_lines(*rows)), encoding="utf-8", newline="")
    return path


def stored_names(runtime: Runtime) -> list[tuple[str, str, str]]:
    with runtime.store.transaction() as session:
        query = select(PreRegistration.last_name, PreRegistration.first_name, PreRegistration.source)
        return [tuple(row) for row in session.execute(query.order_by(PreRegistration.id))]


def count(runtime: Runtime) -> int:
    with runtime.store.transaction() as session:
        return session.scalar(select(func.count()).select_from(PreRegistration))


def fail_from_chunk(monkeypatch, failing: int) -> None:
    """Make the store fail on the n-th chunk (from 1), as a database that goes away would."""
    real_store, calls = importer._store, []

    def store(runtime, chunk):
        calls.append(len(chunk))
        if len(calls) >= failing:
            raise OperationalError("COPY and merge of an import chunk", None, ConnectionError("server gone"))
        return real_store(runtime, chunk)

    monkeypatch.setattr(importer, "_store", store)


def test_a_nul_byte_in_a_name_rejects_that_row_by_its_line_and_imports_the_others(runtime):
    report = import_liaison_list(runtime, csv_lines(GOOD[0], "AB200000,NUL\x00NOM,Ali,1980-01-01,cpu,,src", GOOD[1]))
    assert report.errors == [RowError(3, "last_name holds a control character (U+0000)")]
    assert (report.imported, count(runtime)) == (2, 2)


@pytest.mark.parametrize("column", range(7))
def test_a_control_character_in_any_column_is_named_without_quoting_the_value(runtime, column):
    fields = ["AB200000", "NOM", "Ali", "1980-01-01", "cpu", "0612345678", "src"]
    fields[column] = fields[column][:2] + "\x1b" + fields[column][2:]
    report = import_liaison_list(runtime, csv_lines(",".join(fields)))
    assert report.imported == 0 and len(report.errors) == 1
    reason = report.errors[0].reason
    assert reason.startswith(f"{HEADER.split(',')[column]} holds a control character (U+001B)")
    assert "200000" not in reason and "1980" not in reason


def test_backslashes_and_copys_own_escapes_in_names_are_stored_as_written(runtime):
    written = [r"O\Brien", r"\N", r"a\tb\nc", "\\.", "end\\"]
    rows = [f'AB{300000 + n},"{name}",Prenom,1980-01-01,cpu,,"src {name}"' for n, name in enumerate(written)]
    report = import_liaison_list(runtime, csv_lines(*rows))
    assert (report.imported, report.errors) == (len(written), [])
    assert stored_names(runtime) == [(name, "Prenom", f"src {name}") for name in written]


def test_tabs_and_newlines_inside_quoted_fields_become_single_spaces_and_keep_line_numbers(runtime):
    rows = ['AB400000,"EL\tALAMI","Fatima\r\nZahra",1980-01-01,cpu,,"Ordre\n(test)"', "AB400001,,Ali,1980-01-01,cpu,,s"]
    report = import_liaison_list(runtime, csv_lines(*rows))
    assert stored_names(runtime) == [("EL ALAMI", "Fatima Zahra", "Ordre (test)")]
    assert report.errors == [RowError(5, "last name is empty")]


def test_a_huge_field_part_way_stops_the_import_saying_exactly_which_lines_were_imported(runtime):
    rows = [
        *GOOD[:3],
        "AB500000,BAD,Ali,1980-01-01,cpu,,x",
        GOOD[3],
        f"AB500001,{HUGE},Ali,1980-01-01,cpu,,s",
        *GOOD[4:],
    ]
    rows[3] = rows[3].replace("cpu", "nope")
    with pytest.raises(ImportStopped) as stopped:
        import_liaison_list(runtime, csv_lines(*rows), chunk_size=2)
    assert (stopped.value.line, stopped.value.settled_through) == (7, 6)
    assert "more than 131072 characters" in stopped.value.reason
    assert (stopped.value.report.imported, count(runtime)) == (4, 4)
    assert [error.line for error in stopped.value.report.errors] == [5]


def test_a_database_failure_part_way_reports_the_lines_stored_before_the_failing_chunk(runtime, monkeypatch):
    fail_from_chunk(monkeypatch, failing=2)
    rows = [GOOD[0], GOOD[1].replace("cpu", "nope"), GOOD[2], GOOD[3], GOOD[4], GOOD[5].replace("cpu", "nope")]
    with pytest.raises(ImportStopped) as stopped:
        import_liaison_list(runtime, csv_lines(*rows), chunk_size=2)
    assert (stopped.value.line, stopped.value.settled_through) == (5, 4)
    assert stopped.value.reason == "the database failed (ConnectionError)"
    assert (stopped.value.report.imported, count(runtime)) == (2, 2)
    assert [error.line for error in stopped.value.report.errors] == [3]


def test_a_database_failure_at_the_first_chunk_says_nothing_was_imported(app, tmp_path, monkeypatch):
    fail_from_chunk(monkeypatch, failing=1)
    result = app.test_cli_runner().invoke(args=["registrations", "import", str(write_csv(tmp_path, *GOOD[:3]))])
    assert result.exit_code == 3
    assert "stopped at line 2: the database failed (ConnectionError); nothing was imported" in result.output
    assert count(app.extensions["ivr"]) == 0


def test_the_cli_names_the_lines_imported_before_a_database_failure_with_exit_status_3(app, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK_SIZES", {"sqlite": 3, "postgresql": 3})
    fail_from_chunk(monkeypatch, failing=2)
    result = app.test_cli_runner().invoke(args=["registrations", "import", str(write_csv(tmp_path, *GOOD))])
    assert result.exit_code == 3
    assert result.output.startswith("imported: 3, updated: 0, unchanged: 0, rejected: 0\n")
    assert "stopped at line 5: the database failed (ConnectionError); lines 2-4 were imported" in result.output
    assert count(app.extensions["ivr"]) == 3


def test_a_file_with_a_huge_field_part_way_imports_nothing_with_exit_status_2_on_any_store(app, tmp_path):
    path = write_csv(tmp_path, *GOOD[:5], f"AB500001,{HUGE},Ali,1980-01-01,cpu,,s", *GOOD[5:])
    result = app.test_cli_runner().invoke(args=["registrations", "import", str(path)])
    assert result.exit_code == 2
    assert "line 7: the CSV cannot be read: a field of more than 131072 characters" in result.output
    assert "nothing was imported" in result.output
    assert count(app.extensions["ivr"]) == 0


def test_a_nul_byte_row_gives_exit_status_1_and_the_other_rows_are_imported(app, tmp_path):
    path = write_csv(tmp_path, GOOD[0], "AB200000,NOM,Ali\x00,1980-01-01,cpu,,src", GOOD[1])
    result = app.test_cli_runner().invoke(args=["registrations", "import", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "imported: 2, updated: 0, unchanged: 0, rejected: 1",
        "line 3: first_name holds a control character (U+0000)",
    ]
    assert count(app.extensions["ivr"]) == 2
