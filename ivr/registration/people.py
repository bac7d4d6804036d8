"""Canonical forms and digests of the identity facts a caller proves (CIN, birth date)."""

from __future__ import annotations

import re
from datetime import date

from ivr.sensitive import Sensitive, fingerprint

CIN_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9]{3,7}$")
CIN_DIGITS_LENGTH = range(3, 8)
NOT_DIGITS = re.compile(r"[^0-9]")


def canonical_cin(text: str) -> Sensitive | None:
    """Return the CIN in upper case without spaces, or None if it is not a CIN's shape."""
    cin = "".join(text.split()).upper()  # str.split() and \s agree on what whitespace is
    return Sensitive(cin, "cin") if CIN_PATTERN.match(cin) else None


def cin_digits(cin: Sensitive) -> Sensitive:
    """Return what a caller types for a CIN: its digits without letters or leading zeros."""
    digits = NOT_DIGITS.sub("", cin.reveal()).lstrip("0")
    return Sensitive(digits or "0", "cin_digits")


def typed_cin_digits(digits: str) -> Sensitive | None:
    """Return the typed CIN digits in canonical form, or None when they cannot be a CIN's."""
    if not digits.isdigit() or len(digits) not in CIN_DIGITS_LENGTH:
        return None
    return Sensitive(digits.lstrip("0") or "0", "cin_digits")


def birth_date(value: date) -> Sensitive:
    """Mark a birth date as sensitive, in ISO form."""
    return Sensitive(value.isoformat(), "birth_date")


def cin_key(secret: bytes, cin: Sensitive) -> str:
    """Return the stored digest of a whole CIN (the import's identity of a person)."""
    return fingerprint(secret, cin)


def cin_digits_key(secret: bytes, digits: Sensitive) -> str:
    """Return the stored digest of a CIN's typed digits (the voice server's lookup key)."""
    return fingerprint(secret, digits)


def birth_date_key(secret: bytes, born: Sensitive) -> str:
    """Return the stored digest of a birth date."""
    return fingerprint(secret, born)
