"""The one mark for sensitive values (CIN, birth date, password) and their redaction."""

from __future__ import annotations

import functools
import hmac
import logging
from typing import NoReturn

REDACTED = "‹redacted›"


class Sensitive:
    """Wrap a value that must never reach a log, an audit record, a URL or the database in clear."""

    __slots__ = ("_value", "kind")

    def __init__(self, value: str, kind: str):
        self._value = value
        self.kind = kind

    def reveal(self) -> str:
        """Return the clear value; call only where it is really needed."""
        return self._value

    def __repr__(self) -> str:
        return f"{REDACTED}({self.kind})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sensitive) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash((self.kind, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("Sensitive values are not to be pickled")


def fingerprint(secret: bytes, value: Sensitive) -> str:
    """Return a keyed digest of a sensitive value, safe to store and compare."""
    digest = _keyed(secret, value.kind).copy()  # a copy of the keyed state is thrice as fast as a new HMAC
    digest.update(value.reveal().encode())
    return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def _keyed(secret: bytes, kind: str) -> hmac.HMAC:
    """Return the HMAC state of a secret after a kind's prefix (the digest of "kind:value")."""
    return hmac.new(secret, f"{kind}:".encode(), "sha256")


def redact(value: object) -> object:
    """Replace a sensitive value by its mark, recursively in dicts, lists and tuples."""
    if isinstance(value, Sensitive):
        return repr(value)
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(item) for item in value)
    return value


class RedactingFilter(logging.Filter):
    """Redact sensitive values passed as log arguments, whatever the logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, dict):
            record.args = {key: redact(item) for key, item in record.args.items()}
        elif record.args:
            record.args = tuple(redact(arg) for arg in record.args)
        if isinstance(record.msg, Sensitive):
            record.msg = repr(record.msg)
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to every handler of the root logger, once."""
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
