"""Moroccan mobile numbers: parsed from the usual written and keyed forms into E.164."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberType

MOROCCAN_MOBILE_E164 = re.compile(r"^\+212[67][0-9]{8}$")
KEYPAD_MOBILE = re.compile(r"^0[67][0-9]{8}$")
# Digits and the usual separators only: phonenumbers would otherwise read letters as keypad digits.
WRITTEN_NUMBER = re.compile(r"^\+?[\d\s().\-/]+$")
SEPARATORS = re.compile(r"[\s().\-/]")


def _moroccan_mobile_pattern() -> str:
    """Return phonenumbers' pattern of Moroccan mobiles' national numbers (its metadata has one)."""
    region = PhoneMetadata.metadata_for_region("MA")
    mobile = region.mobile if region is not None else None
    pattern = mobile.national_number_pattern if mobile is not None else None
    if pattern is None:
        raise RuntimeError("phonenumbers knows no range of Moroccan mobiles")
    return pattern


# The forms liaison lists use: 06…, +2126…, 002126…, 2126…, +212 (0)6…
USUAL_FORM = re.compile(r"^(?:\+212|00212|212)?0?([67][0-9]{8})$")
# phonenumbers' own ranges of Moroccan mobiles, matched directly: a full parse is too slow for
# a million-row import.
MOBILE_RANGES = re.compile(_moroccan_mobile_pattern())


def parse_moroccan_mobile(text: str) -> str | None:
    """Return a Moroccan mobile number in E.164 (+2126…/+2127…), or None if it is not one."""
    text = (text or "").strip()
    if not WRITTEN_NUMBER.match(text):
        return None
    usual = USUAL_FORM.match(SEPARATORS.sub("", text))
    if usual:
        return f"+212{usual[1]}" if MOBILE_RANGES.fullmatch(usual[1]) else None
    return _parsed_mobile(text)


def _parsed_mobile(text: str) -> str | None:
    """Parse a less usual form with phonenumbers."""
    try:
        number = phonenumbers.parse(text, "MA")
    except NumberParseException:
        return None
    if (
        number.extension
        or phonenumbers.region_code_for_number(number) != "MA"
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != PhoneNumberType.MOBILE
    ):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164 if MOROCCAN_MOBILE_E164.match(e164) else None


def mobile_from_keypad(digits: str) -> str | None:
    """Return the E.164 form of a mobile typed as 10 digits (06… or 07…), or None."""
    if not KEYPAD_MOBILE.match(digits or ""):
        return None
    return parse_moroccan_mobile(digits)


def last_four(e164: str) -> str:
    """Return the last 4 digits of a number (what a caller hears read back)."""
    digits = re.sub(r"[^0-9]", "", e164)
    if len(digits) < 4:
        raise ValueError("a phone number has at least 4 digits")
    return digits[-4:]
