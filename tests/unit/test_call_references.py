"""A call's short reference: read out instead of the CallSid, the same wherever it is shown, typed any way."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.callflow.calls import REFERENCE_ALPHABET, as_reference, call_reference, mask_number, since_time

SID = "CA" + "0123456789abcdef" * 2
CASABLANCA = ZoneInfo("Africa/Casablanca")


def test_a_reference_is_six_unambiguous_characters_shown_three_and_three():
    reference = call_reference(SID)
    assert len(reference) == 7 and reference[3] == "-"
    assert all(letter in REFERENCE_ALPHABET for letter in reference.replace("-", ""))
    assert not set("01OIL") & set(REFERENCE_ALPHABET)


def test_a_call_always_has_the_same_reference_and_two_calls_differ():
    assert call_reference(SID) == call_reference(SID)
    others = {call_reference(f"CA{n:032x}") for n in range(2000)}
    assert len(others) == 2000


@pytest.mark.parametrize("typed", ["k7q-4mz", "K7Q4MZ", " K7Q 4MZ ", "k7q4mz"])
def test_a_reference_is_read_in_lower_case_without_its_hyphen_or_with_a_space(typed):
    assert as_reference(typed) == "K7Q-4MZ"


@pytest.mark.parametrize("typed", ["K7Q-4M0", "KIQ-4MZ", "K7Q-4M", "K7Q--4MZ", SID, ""])
def test_what_cannot_be_a_reference_is_not_read_as_one(typed):
    assert as_reference(typed) is None


def test_a_calling_number_shows_only_its_last_four_digits():
    assert mask_number("+212600123456") == "•••• 3456"
    assert mask_number("~" + "ab12" * 7) == "••••"
    assert mask_number("anonymous") == "••••"


def test_since_takes_a_duration_or_a_casablanca_time():
    now = datetime(2026, 11, 25, 10, 0)
    assert since_time("30m", now, CASABLANCA) == datetime(2026, 11, 25, 9, 30)
    assert since_time("2h", now, CASABLANCA) == datetime(2026, 11, 25, 8, 0)
    assert since_time("1d", now, CASABLANCA) == datetime(2026, 11, 24, 10, 0)
    local = datetime(2026, 11, 25, 9, 30, tzinfo=CASABLANCA).astimezone(UTC).replace(tzinfo=None)
    assert since_time("2026-11-25 09:30", now, CASABLANCA) == local
    with pytest.raises(ValueError, match="30m, 2h, 1d"):
        since_time("yesterday", now, CASABLANCA)
