import io
from datetime import datetime

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from ivr.registration import people
from ivr.registration.importer import ImportFileError, ImportStopped, RowError, import_liaison_list
from ivr.runtime import Runtime
from ivr.store.models import PreRegistration, Registration
from tests.databases import BACKEND, stored_bytes

HEADER = "cin,last_name,first_name,birth_date,category,mobile,source"
AMINA = "AB123456,FICTIF,Amina,1975-03-14,cpu,06 12 34 56 78,DGI (test)"
OMAR = "C765432,EXEMPLE,Omar,1985-02-28,medecin,,Ordre des médecins (test)"
SALMA = "JK246813,ESSAI,Salma,1990-07-01,auto_entrepreneur,+212712345678,RNAE (test)"
PEOPLE = [(AMINA, "AB123456", "1975-03-14"), (OMAR, "C765432", "1985-02-28"), (SALMA, "JK246813", "1990-07-01")]


def csv_lines(*rows: str, header: str = HEADER) -> list[str]:
    return [line + "\n" for line in (header, *rows)]


def stored(runtime: Runtime) -> list[PreRegistration]:
    with runtime.store.transaction() as session:
        return list(session.scalars(select(PreRegistration).order_by(PreRegistration.id)))


def key_of(runtime: Runtime, cin: str) -> str:
    return people.cin_key(runtime.secret, people.canonical_cin(cin))


def test_good_rows_are_imported_with_digests_and_e164_mobiles(runtime):
    report = import_liaison_list(runtime, csv_lines(AMINA, OMAR, SALMA))
    assert (report.imported, report.updated, report.unchanged, report.errors) == (3, 0, 0, [])
    amina, omar, salma = stored(runtime)
    assert amina.cin_key == key_of(runtime, "AB123456")
    assert amina.cin_digits_key == people.cin_digits_key(runtime.secret, people.typed_cin_digits("123456"))
    assert amina.birth_date_key == people.birth_date_key(
        runtime.secret, people.birth_date(datetime(1975, 3, 14).date())
    )
    assert (amina.last_name, amina.first_name, amina.category, amina.source) == ("FICTIF", "Amina", "cpu", "DGI (test)")
    assert (amina.mobile, omar.mobile, salma.mobile) == ("+212612345678", None, "+212712345678")
    assert amina.imported_at == amina.updated_at == datetime(2024, 1, 15, 10, 0)


def test_importing_the_same_file_again_changes_nothing(runtime):
    import_liaison_list(runtime, csv_lines(AMINA, OMAR))
    report = import_liaison_list(runtime, csv_lines(AMINA, OMAR))
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 2)
    assert len(stored(runtime)) == 2


def test_reimport_updates_the_row_found_by_cin_and_never_duplicates(runtime):
    import_liaison_list(runtime, csv_lines(AMINA, OMAR))
    runtime.clock = lambda: datetime(2024, 2, 1, 9, 0)
    changed = "ab 123456,FICTIF-NOUVEAU,Amina,1975-03-15,commercant_comptable,,Chambre (test)"
    report = import_liaison_list(runtime, csv_lines(changed, OMAR, SALMA))
    assert (report.imported, report.updated, report.unchanged) == (1, 1, 1)
    rows = stored(runtime)
    assert len(rows) == 3
    amina = rows[0]
    assert amina.cin_key == key_of(runtime, "AB123456")
    assert (amina.last_name, amina.category, amina.mobile, amina.source) == (
        "FICTIF-NOUVEAU",
        "commercant_comptable",
        None,
        "Chambre (test)",
    )
    assert amina.birth_date_key == people.birth_date_key(
        runtime.secret, people.birth_date(datetime(1975, 3, 15).date())
    )
    assert amina.imported_at == datetime(2024, 1, 15, 10, 0)
    assert amina.updated_at == datetime(2024, 2, 1, 9, 0)
    assert rows[1].updated_at == datetime(2024, 1, 15, 10, 0)


def test_reimport_never_changes_an_assigned_registration_number(runtime):
    import_liaison_list(runtime, csv_lines(AMINA))
    with runtime.store.transaction() as session:
        amina = session.scalars(select(PreRegistration)).one()
        session.add(
            Registration(
                pre_registration_id=amina.id,
                number="123456789",
                mobile="+212612345678",
                language="fr",
                completed_at=datetime(2024, 1, 16),
                completed_by_call="CA1",
            )
        )
    changed = AMINA.replace("cpu", "commercant_comptable").replace("06 12 34 56 78", "0700000001")
    report = import_liaison_list(runtime, csv_lines(changed))
    assert report.updated == 1
    with runtime.store.transaction() as session:
        registration = session.scalars(select(Registration)).one()
        assert (registration.number, registration.mobile) == ("123456789", "+212612345678")
        assert registration.pre_registration.category == "commercant_comptable"
        assert session.scalar(select(func.count()).select_from(PreRegistration)) == 1


def test_bad_rows_are_reported_with_their_line_and_reason_and_good_rows_imported(runtime):
    rows = [
        AMINA,  # line 2
        "12345,NOLETTER,Ali,1980-01-01,cpu,,src",  # line 3
        "D111222,,Ali,1980-01-01,cpu,,src",  # line 4
        "D111223,NOM,Ali,14/03/1975,cpu,,src",  # line 5
        "D111224,NOM,Ali,1980-02-30,cpu,,src",  # line 6
        "D111225,NOM,Ali,2030-01-01,cpu,,src",  # line 7
        "D111226,NOM,Ali,1899-12-31,cpu,,src",  # line 8
        "D111227,NOM,Ali,1980-01-01,astronaute,,src",  # line 9
        "D111228,NOM,Ali,1980-01-01,cpu,0522123456,src",  # line 10
        "D111229,NOM,Ali,1980-01-01,cpu,,",  # line 11
        "D111230,NOM,Ali,1980-01-01,cpu",  # line 12
        OMAR,  # line 13
    ]
    report = import_liaison_list(runtime, csv_lines(*rows))
    assert report.imported == 2
    reasons = {error.line: error.reason for error in report.errors}
    assert sorted(reasons) == list(range(3, 13))
    assert reasons[3] == "CIN is not of the form letters+digits (1-2 letters, then 3-7 digits)"
    assert reasons[4] == "last name is empty"
    assert reasons[5] == reasons[6] == "birth date is not a valid YYYY-MM-DD date"
    assert reasons[7] == "birth date is in the future"
    assert reasons[8] == "birth date is before 1900"
    assert reasons[9] == "category 'astronaute' is not one of the category codes"
    assert reasons[10] == "mobile is not a Moroccan mobile number (06... or 07...)"
    assert reasons[11] == "source is empty"
    assert reasons[12] == "expected 7 columns, found 5"


def test_every_fault_of_a_row_is_reported_on_its_line(runtime):
    report = import_liaison_list(runtime, csv_lines("??,,Ali,yesterday,cpu,,src"))
    assert report.errors == [
        RowError(
            2,
            "CIN is not of the form letters+digits (1-2 letters, then 3-7 digits); "
            "birth date is not a valid YYYY-MM-DD date; last name is empty",
        )
    ]


def test_a_cin_twice_in_one_file_reports_the_later_row_as_a_duplicate(runtime):
    later = "ab123456,AUTRE,Personne,1970-01-01,medecin,,src"
    report = import_liaison_list(runtime, csv_lines(AMINA, OMAR, later))
    assert report.errors == [RowError(4, "duplicate of line 2 (same CIN)")]
    assert report.imported == 2
    assert stored(runtime)[0].last_name == "FICTIF"


def test_a_rejected_row_does_not_make_a_later_good_row_with_its_cin_a_duplicate(runtime):
    report = import_liaison_list(runtime, csv_lines(AMINA.replace("1975-03-14", "1975-99-14"), AMINA))
    assert [error.line for error in report.errors] == [2]
    assert report.imported == 1


def test_a_category_value_that_could_be_sensitive_is_not_quoted(runtime):
    report = import_liaison_list(runtime, csv_lines("AB123456,FICTIF,Amina,cpu,1975-03-14,,src"))
    reason = report.errors[0].reason
    assert "1975" not in reason and "category is not one of the category codes" in reason


def test_no_cin_or_birth_date_appears_in_the_report(runtime):
    rows = [AMINA, AMINA, "AB12,X,Y,1975-13-14,cpu,,s", "ZZ999999,X,Y,2099-01-01,cpu,,s", "Q1234567,X,Y,1980-01-01,cpu"]
    report = import_liaison_list(runtime, csv_lines(*rows))
    text = "\n".join(f"line {error.line}: {error.reason}" for error in report.errors) + repr(report)
    assert len(report.errors) == 4
    for secret in (
        "AB123456",
        "123456",
        "AB12",
        "1975-03-14",
        "1975-13-14",
        "ZZ999999",
        "2099-01-01",
        "Q1234567",
        "1980-01-01",
    ):
        assert secret not in text


def test_no_cin_or_birth_date_is_written_to_the_database(runtime):
    import_liaison_list(runtime, csv_lines(*(row for row, _, _ in PEOPLE)))
    import_liaison_list(runtime, csv_lines(AMINA.replace("FICTIF", "FICTIVE")))
    runtime.store.dispose()
    content = b"".join(stored_bytes(runtime.store).values())
    assert b"FICTIVE" in content  # the names are there: the search does find clear text
    for _, cin, born in PEOPLE:
        for form in (cin, cin.lower(), born, born.replace("-", "")):
            assert form.encode() not in content
            assert form.encode("utf-16-le") not in content


def test_a_byte_order_mark_before_the_header_is_tolerated(runtime):
    lines = csv_lines(AMINA)
    lines[0] = "\ufeff" + lines[0]
    assert import_liaison_list(runtime, lines).imported == 1


@pytest.mark.parametrize(
    "header",
    [
        "cin,nom,prenom,birth_date,category,mobile,source",
        "cin,last_name,first_name,birth_date,category,mobile",
        "last_name,cin,first_name,birth_date,category,mobile,source",
    ],
)
def test_a_wrong_header_refuses_the_whole_file(runtime, header):
    with pytest.raises(ImportFileError, match="line 1 must be the header cin,last_name"):
        import_liaison_list(runtime, csv_lines(AMINA, header=header))
    assert stored(runtime) == []


def test_a_missing_header_refuses_the_file_without_quoting_the_first_row(runtime):
    with pytest.raises(ImportFileError) as raised:
        import_liaison_list(runtime, [AMINA + "\n", OMAR + "\n"])
    assert "AB123456" not in str(raised.value) and "1975" not in str(raised.value)


def test_a_semicolon_separated_file_is_refused_with_a_hint(runtime):
    with pytest.raises(ImportFileError, match="';'"):
        import_liaison_list(runtime, csv_lines(header=HEADER.replace(",", ";")))


def test_an_empty_file_is_refused(runtime):
    with pytest.raises(ImportFileError, match="empty"):
        import_liaison_list(runtime, [])


def test_blank_lines_are_skipped_and_line_numbers_stay_those_of_the_file(runtime):
    lines = csv_lines(AMINA, "", ",,,,,,", "bad,row,,,,,")
    report = import_liaison_list(runtime, lines)
    assert report.imported == 1 and [error.line for error in report.errors] == [5]


def test_a_quoted_field_over_two_lines_keeps_later_line_numbers_right(runtime):
    text = "".join(csv_lines('AB123456,"FICTIF\nSUITE",Amina,1975-03-14,cpu,,src', "bad,row,,,,,"))
    report = import_liaison_list(runtime, io.StringIO(text, newline=""))
    assert report.imported == 1
    assert [error.line for error in report.errors] == [4]
    assert stored(runtime)[0].last_name == "FICTIF SUITE"


@pytest.mark.skipif(BACKEND == "postgresql", reason="PostgreSQL merges each chunk with COPY and one statement")
def test_rows_are_stored_chunk_by_chunk_with_one_lookup_per_chunk_on_sqlite(runtime):
    statements = []

    @event.listens_for(runtime.store.engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    rows = [f"AB{100000 + n},NOM,Prenom,1980-01-01,cpu,,src" for n in range(25)]
    report = import_liaison_list(runtime, csv_lines(*rows), chunk_size=10)
    assert report.imported == 25
    assert statements.count("SELECT") == 3
    assert statements.count("INSERT") <= 3
    report = import_liaison_list(runtime, csv_lines(*(row.replace("NOM", "AUTRE") for row in rows)), chunk_size=10)
    assert report.updated == 25 and len(stored(runtime)) == 25


def test_a_list_of_several_chunks_is_counted_row_by_row_when_new_changed_and_unchanged_rows_mix(runtime):
    rows = [f"AB{100000 + n},NOM,Prenom,1980-01-01,cpu,,src" for n in range(25)]
    import_liaison_list(runtime, csv_lines(*rows[:20]), chunk_size=7)
    runtime.clock = lambda: datetime(2024, 2, 1, 9, 0)
    changed = [row.replace("NOM", "AUTRE") if n % 3 == 0 else row for n, row in enumerate(rows)]
    report = import_liaison_list(runtime, csv_lines(*changed), chunk_size=7)
    assert (report.imported, report.updated, report.unchanged, report.rejected) == (5, 7, 13, 0)
    kept = stored(runtime)
    assert len(kept) == 25
    unchanged_since_first_import = [row for row in kept[:20] if row.last_name == "NOM"]
    assert {row.updated_at for row in unchanged_since_first_import} == {datetime(2024, 1, 15, 10, 0)}
    assert {row.updated_at for row in kept if row.last_name == "AUTRE"} == {datetime(2024, 2, 1, 9, 0)}


def test_a_mobile_removed_from_the_list_is_an_update(runtime):
    import_liaison_list(runtime, csv_lines(AMINA))
    report = import_liaison_list(runtime, csv_lines(AMINA.replace("06 12 34 56 78", "")))
    assert (report.updated, report.unchanged) == (1, 0)
    assert stored(runtime)[0].mobile is None


def test_a_store_that_fails_stops_the_import_with_its_error(runtime):
    with runtime.store.transaction() as session:
        session.execute(text("ALTER TABLE pre_registrations RENAME TO pre_registrations_gone"))
    with pytest.raises(ImportStopped) as stopped:
        import_liaison_list(runtime, csv_lines(AMINA, OMAR))
    assert isinstance(stopped.value.__cause__, DBAPIError)
    assert (stopped.value.line, stopped.value.settled_through, stopped.value.report.imported) == (2, 1, 0)


def test_a_birth_date_already_seen_is_still_checked_against_the_day_of_the_import(runtime):
    later = "D111225,NOM,Ali,2024-01-16,cpu,,src"
    report = import_liaison_list(runtime, csv_lines(AMINA, later, AMINA.replace("AB123456", "AB123457")))
    assert report.imported == 2
    assert report.errors == [RowError(3, "birth date is in the future")]


def test_the_usual_written_forms_of_a_mobile_are_stored_in_e164(runtime):
    forms = [
        "0612345678",
        "06 12 34 56 78",
        "06.12.34.56.78",
        "+212612345678",
        "+212 6 12 34 56 78",
        "00212612345678",
        "212612345678",
        "+212 (0)6 12 34 56 78",
    ]
    rows = [f"AB{100000 + n},NOM,Prenom,1980-01-01,cpu,{form},src" for n, form in enumerate(forms)]
    report = import_liaison_list(runtime, csv_lines(*rows))
    assert report.imported == len(forms)
    assert {row.mobile for row in stored(runtime)} == {"+212612345678"}
