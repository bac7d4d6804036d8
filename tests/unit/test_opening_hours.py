"""The advisors' opening hours: several ranges, Morocco's public holidays, an operator's closed dates."""

from datetime import datetime

import holidays
import pytest

from ivr import hours, settings
from ivr.speech.catalog import Catalog
from ivr.speech.opening_hours import closed_reason
from ivr.speech.values import ClockTime, say_value

CASABLANCA = "Africa/Casablanca"
WEEK_AND_SATURDAY = "mon-fri 08:30-16:30; sat 09:00-12:00"
# Naive UTC instants; Casablanca is UTC+1 outside Ramadan.
WEDNESDAY_8H30 = datetime(2026, 11, 25, 7, 30)
WEDNESDAY_8H29 = datetime(2026, 11, 25, 7, 29)
WEDNESDAY_16H29 = datetime(2026, 11, 25, 15, 29)
WEDNESDAY_16H30 = datetime(2026, 11, 25, 15, 30)
SATURDAY_10H = datetime(2026, 11, 28, 9, 0)
SATURDAY_12H = datetime(2026, 11, 28, 11, 0)
SUNDAY_10H = datetime(2026, 11, 29, 9, 0)
THRONE_DAY_10H = datetime(2026, 7, 30, 9, 0)  # a Thursday
NEW_YEARS_EVE_10H = datetime(2026, 12, 31, 9, 0)  # a Thursday
DAY_BEFORE_10H = datetime(2026, 12, 30, 9, 0)


@pytest.fixture(scope="module")
def catalog():
    return Catalog.load()


def test_the_default_hours_open_at_8h30_and_close_at_16h30_casablanca_time():
    found = hours.parse(str(settings.DEFAULTS["ADVISOR_HOURS"]), CASABLANCA)
    assert found.is_open(WEDNESDAY_8H30) and found.is_open(WEDNESDAY_16H29)
    assert not found.is_open(WEDNESDAY_8H29) and not found.is_open(WEDNESDAY_16H30)
    assert not found.is_open(SATURDAY_10H)


def test_several_ranges_open_on_saturday_morning_too():
    found = hours.parse(WEEK_AND_SATURDAY, CASABLANCA)
    assert [(r.first_day, r.last_day) for r in found.ranges] == [(0, 4), (5, 5)]
    assert found.is_open(WEDNESDAY_8H30) and found.is_open(SATURDAY_10H)
    assert not found.is_open(SATURDAY_12H) and not found.is_open(SUNDAY_10H)


def test_a_lunch_break_is_two_ranges_of_the_same_days():
    found = hours.parse("mon-fri 08:30-12:00; mon-fri 14:00-16:30", CASABLANCA)
    assert found.is_open(datetime(2026, 11, 25, 10, 0)) and found.is_open(datetime(2026, 11, 25, 14, 0))
    assert not found.is_open(datetime(2026, 11, 25, 12, 0))  # 13:00 local


def test_during_ramadan_casablanca_time_is_utc():
    found = hours.parse("mon-fri 08:30-16:30", CASABLANCA)
    wednesday_in_ramadan_2027 = datetime(2027, 2, 17, 8, 30)  # 08:30 in Casablanca, on UTC+0 that month
    assert found.is_open(wednesday_in_ramadan_2027)
    assert not found.is_open(datetime(2027, 2, 17, 8, 29))


def test_throne_day_a_fixed_moroccan_holiday_is_closed_though_a_weekday():
    found = hours.parse(WEEK_AND_SATURDAY, CASABLANCA)
    assert THRONE_DAY_10H.weekday() == 3
    assert not found.is_open(THRONE_DAY_10H) and found.is_closed_day(THRONE_DAY_10H)
    assert closed_reason(found, THRONE_DAY_10H) == "hours.closed_holiday"


@pytest.mark.parametrize("name", ["Eid al-Fitr", "Eid al-Adha", "Prophet's Birthday"])
def test_islamic_holidays_come_from_the_holidays_library(name):
    found = hours.parse("mon-sun 08:30-16:30", CASABLANCA)
    days = holidays.country_holidays("MA", years=2027).get_named(name)
    assert days, f"the library knows no {name} in 2027"
    for day in days:
        ten_local = datetime(day.year, day.month, day.day, 12, 0)  # noon UTC: within the hours in either offset
        assert not found.is_open(ten_local)
        assert closed_reason(found, ten_local) == "hours.closed_holiday"


def test_a_date_the_operator_closes_is_closed_and_the_day_before_is_not():
    found = hours.parse(WEEK_AND_SATURDAY, CASABLANCA, "2026-12-31, 2027-01-02")
    assert not found.is_open(NEW_YEARS_EVE_10H) and found.is_open(DAY_BEFORE_10H)
    assert not found.is_open(datetime(2027, 1, 2, 9, 0))  # a Saturday, otherwise open
    assert closed_reason(found, NEW_YEARS_EVE_10H) == "hours.closed_today"
    assert closed_reason(found, DAY_BEFORE_10H) == "hours.closed_now"


def test_a_closed_date_is_a_local_date():
    found = hours.parse("mon-sun 00:00-23:45", CASABLANCA, "2026-12-31")
    assert not found.is_open(datetime(2026, 12, 30, 23, 30))  # 00:30 on the 31st in Casablanca
    assert found.is_open(datetime(2026, 12, 30, 22, 30))  # 23:30 on the 30th


@pytest.mark.parametrize(
    "value",
    [
        "",
        "mon-fri",
        "mon-fri 8:30-16:30",
        "lun-ven 08:30-16:30",
        "fri-mon 08:30-16:30",
        "mon-fri 16:30-08:30",
        "mon-fri 08:30-16:30, sat 09:00-12:00",
        "mon-fri 08:30-24:30",  # 24:00 closes at the end of the day; no time is later
        "mon-fri 08:60-16:30",
        "mon-fri 08:30-16:30; sat",
    ],
)
def test_malformed_hours_are_refused_at_start_with_the_setting_named(value):
    with pytest.raises(ValueError, match="ADVISOR_HOURS"):
        settings.check(settings.from_environment({"ADVISOR_HOURS": value or " "}))


@pytest.mark.parametrize("value", ["2026-13-01", "31/12/2026", "2026-12-31 2027-01-02", "tomorrow"])
def test_malformed_closed_dates_are_refused_at_start_with_the_setting_named(value):
    with pytest.raises(ValueError, match="ADVISOR_CLOSED_DATES"):
        settings.check(settings.from_environment({"ADVISOR_CLOSED_DATES": value}))


def test_an_unknown_time_zone_is_refused_at_start_with_the_setting_named():
    with pytest.raises(ValueError, match="IVR_TIMEZONE"):
        settings.check(settings.from_environment({"IVR_TIMEZONE": "Africa/Nowhere"}))


@pytest.mark.parametrize(
    "hour, minute, arabic, french",
    [
        (8, 30, "الثامنة والنصف صباحا", "8 heures 30"),
        (16, 30, "الرابعة والنصف مساء", "16 heures 30"),
        (12, 0, "الثانية عشرة ظهرا", "midi"),
        (9, 0, "التاسعة صباحا", "9 heures"),
        (11, 15, "الحادية عشرة والربع صباحا", "11 heures 15"),
        (13, 45, "الواحدة وخمس وأربعين دقيقة ظهرا", "13 heures 45"),
        (8, 10, "الثامنة وعشر دقائق صباحا", "8 heures 10"),
        (17, 2, "الخامسة ودقيقتين مساء", "17 heures 2"),
        (23, 59, "الحادية عشرة وتسع وخمسين دقيقة مساء", "23 heures 59"),
    ],
)
def test_a_time_is_said_as_words_with_its_part_of_the_day_in_arabic(catalog, hour, minute, arabic, french):
    assert say_value(catalog, "ar", ClockTime(hour, minute)) == arabic
    assert say_value(catalog, "fr", ClockTime(hour, minute)) == french
