"""Actions, params providers and validators; importing this package registers them all."""

from ivr.callflow.actions import delivery, guidance, identity, mismatches, registration  # noqa: F401
