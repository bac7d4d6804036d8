"""Temporary passwords for the www.macnss.ma private space: generated, hashed, checked."""

from __future__ import annotations

import secrets

from werkzeug.security import check_password_hash, generate_password_hash

from ivr.sensitive import Sensitive

# Easy to read off a phone screen and to type: no 0/O/o, 1/l/I; all in the GSM-7 basic table.
LOWER = "abcdefghijkmnpqrstuvwxyz"
UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "23456789"
ALPHABET = LOWER + UPPER + DIGITS
PASSWORD_LENGTH = 10


def generate_password() -> Sensitive:
    """Draw a random password with at least one digit, one upper- and one lower-case letter."""
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(PASSWORD_LENGTH))
        if all(any(c in group for c in candidate) for group in (LOWER, UPPER, DIGITS)):
            return Sensitive(candidate, "password")


def hash_password(password: Sensitive) -> str:
    """Return the salted hash to store for a password."""
    return generate_password_hash(password.reveal())


def password_matches(hash: str, candidate: str | Sensitive) -> bool:
    """Tell whether a candidate password matches a stored hash."""
    clear = candidate.reveal() if isinstance(candidate, Sensitive) else candidate
    return check_password_hash(hash, clear)
