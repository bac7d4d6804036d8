import os

import pexpect
import pytest
from sqlalchemy import func, select

from ivr.factory import create_app
from ivr.store.models import PreRegistration
from tests.commands import on_a_terminal

HEADER = "cin,last_name,first_name,birth_date,category,mobile,source"
AMINA = "AB123456,FICTIF,Amina,1975-03-14,cpu,0612345678,DGI (test)"
OMAR = "C765432,EXEMPLE,Omar,1985-02-28,medecin,,Ordre (test)"


@pytest.fixture
def app(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/cli.sqlite3", "IVR_SECRET_KEY": "x" * 64})
    yield app
    app.extensions["ivr"].store.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def write_csv(tmp_path, *rows, header=HEADER, encoding="utf-8"):
    path = tmp_path / "list.csv"
    path.write_text("\n".join((header, *rows)) + "\n", encoding=encoding)
    return path


def count(app) -> int:
    with app.extensions["ivr"].store.transaction() as session:
        return session.scalar(select(func.count()).select_from(PreRegistration))


def test_a_clean_file_is_imported_with_a_summary_and_exit_status_0(app, runner, tmp_path):
    result = runner.invoke(args=["registrations", "import", str(write_csv(tmp_path, AMINA, OMAR))])
    assert result.exit_code == 0
    assert "imported: 2, updated: 0, unchanged: 0, rejected: 0" in result.output
    assert count(app) == 2


def test_the_report_is_printed_without_a_progress_bar_when_not_on_a_terminal(runner, tmp_path):
    path = write_csv(tmp_path, AMINA, "AB999999,NOM,Ali,1980-02-30,cpu,,src")
    result = runner.invoke(args=["registrations", "import", str(path)])
    assert result.output.splitlines() == [
        "imported: 1, updated: 0, unchanged: 0, rejected: 1",
        "line 3: birth date is not a valid YYYY-MM-DD date",
    ]


def test_a_progress_bar_of_the_file_read_shows_on_a_terminal(tmp_path):
    path = write_csv(tmp_path, *(f"AB{100000 + n},NOM,Prenom,1980-01-01,cpu,,src" for n in range(3000)))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tty.sqlite3'}",
        "IVR_SECRET_KEY": "t" * 64,
        "IVR_SMS_SENDER": "off",
    }
    terminal = on_a_terminal("registrations", "import", str(path), env=env)
    terminal.expect(r"importing list\.csv +\[[#-]+\] +100%")
    terminal.expect("imported: 3000, updated: 0, unchanged: 0, rejected: 0")
    terminal.expect(pexpect.EOF)
    terminal.close()
    assert terminal.exitstatus == 0


def test_importing_again_reports_unchanged_rows(app, runner, tmp_path):
    path = write_csv(tmp_path, AMINA, OMAR)
    runner.invoke(args=["registrations", "import", str(path)])
    result = runner.invoke(args=["registrations", "import", str(path)])
    assert "imported: 0, updated: 0, unchanged: 2, rejected: 0" in result.output
    assert count(app) == 2


def test_rejected_rows_are_listed_by_line_and_give_exit_status_1(app, runner, tmp_path):
    path = write_csv(tmp_path, AMINA, "AB999999,NOM,Ali,1980-02-30,cpu,,src", OMAR)
    result = runner.invoke(args=["registrations", "import", str(path)])
    assert result.exit_code == 1
    assert "imported: 2, updated: 0, unchanged: 0, rejected: 1" in result.output
    assert "line 3: birth date is not a valid YYYY-MM-DD date" in result.output
    assert "AB999999" not in result.output and "1980-02-30" not in result.output
    assert count(app) == 2


def test_a_file_with_a_byte_order_mark_is_imported(app, runner, tmp_path):
    path = write_csv(tmp_path, AMINA, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = runner.invoke(args=["registrations", "import", str(path)])
    assert result.exit_code == 0 and count(app) == 1


def test_a_wrong_header_gives_exit_status_2_and_imports_nothing(app, runner, tmp_path):
    path = write_csv(tmp_path, AMINA, header="cin;nom;prenom;naissance;categorie;mobile;source")
    result = runner.invoke(args=["registrations", "import", str(path)])
    assert result.exit_code == 2
    assert "line 1 must be the header" in result.output
    assert count(app) == 0


def test_a_missing_file_gives_exit_status_2(runner, tmp_path):
    result = runner.invoke(args=["registrations", "import", str(tmp_path / "nowhere.csv")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.output


def test_a_file_not_in_utf8_gives_exit_status_2_and_imports_nothing(app, runner, tmp_path):
    path = write_csv(tmp_path, AMINA, OMAR, "D111222,ÉTÉ,Zoé,1980-01-01,cpu,,src", encoding="latin-1")
    result = runner.invoke(args=["registrations", "import", str(path)])
    assert result.exit_code == 2
    assert "line 4 is not UTF-8" in result.output
    assert count(app) == 0


def test_load_demo_imports_the_demo_people_once(app, runner):
    first = runner.invoke(args=["registrations", "load-demo"])
    assert first.exit_code == 0, first.output
    assert "imported: 16, updated: 0, unchanged: 0, rejected: 0" in first.output
    second = runner.invoke(args=["registrations", "load-demo"])
    assert "imported: 0, updated: 0, unchanged: 16, rejected: 0" in second.output
    assert count(app) == 16


def test_the_demo_readme_tells_testers_what_to_type_for_every_demo_person():
    import csv
    from datetime import date

    from ivr.cli.registrations import DEMO_LIST
    from ivr.registration.mobiles import parse_moroccan_mobile

    people = list(csv.DictReader(DEMO_LIST.open(encoding="utf-8")))
    readme = (DEMO_LIST.parent / "README.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[2].strip(): line for line in readme.splitlines() if line.startswith("| ") and "|" in line[2:]
    }
    assert {"cpu", "medecin", "auto_entrepreneur"} <= {person["category"] for person in people}
    assert sum(1 for person in people if not person["mobile"]) >= 3
    for person in people:
        row = rows[person["cin"]]
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert cells[2].split()[0] == person["cin"].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ").lstrip("0")
        assert cells[3] == f"{date.fromisoformat(person['birth_date']):%d%m%Y}"
        assert cells[4] == person["category"]
        mobile = parse_moroccan_mobile(person["mobile"]) if person["mobile"] else None
        assert cells[5].startswith(mobile) if mobile else cells[5] == "none"
