"""Tables of the registration store.

CINs and birth dates are kept only as keyed digests (see ivr.sensitive.fingerprint), and
passwords only as hashes: the store holds none of them in clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class PreRegistration(Base):
    """A self-employed worker as a liaison body listed them."""

    __tablename__ = "pre_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    cin_key: Mapped[str] = mapped_column(String(64), unique=True)
    cin_digits_key: Mapped[str] = mapped_column(String(64), index=True)
    birth_date_key: Mapped[str] = mapped_column(String(64))
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    mobile: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    registration: Mapped[Registration | None] = relationship(back_populates="pre_registration")


class Registration(Base):
    """A completed registration: its number is assigned once and never changes."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(ForeignKey("pre_registrations.id"), unique=True)
    number: Mapped[str] = mapped_column(String(9), unique=True)
    mobile: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(12))
    completed_at: Mapped[datetime]
    completed_by_call: Mapped[str | None] = mapped_column(String(64), index=True)

    pre_registration: Mapped[PreRegistration] = relationship(back_populates="registration")


class NumberCounter(Base):
    """The next value of a counter (registration numbers), taken under a row lock."""

    __tablename__ = "number_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_value: Mapped[int]


class Dispute(Base):
    """A caller said the declared category is not theirs."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    pre_registration_id: Mapped[int] = mapped_column(ForeignKey("pre_registrations.id"), index=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    declared_category: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class Credential(Base):
    """A temporary password, as a hash; a newer one revokes the older."""

    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("sms_outbox.id"))


class SmsOutbox(Base):
    """An SMS to send; the body is composed at send time so no password rests here."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), index=True)
    to_number: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(20), index=True)
    message_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


# A call's numbers: E.164 fits; a longer SIP address is kept as a digest (ivr/callflow/service.py caller_key).
NUMBER_LENGTH = 32


class CallSession(Base):
    """One call: where it stands in the flows, and everything needed to take its next step."""

    __tablename__ = "call_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    reference: Mapped[str | None] = mapped_column(String(7))  # ivr/callflow/calls.py: derived from the CallSid
    from_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH), index=True)
    to_number: Mapped[str] = mapped_column(String(NUMBER_LENGTH))
    language: Mapped[str | None] = mapped_column(String(12))
    flow: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(60))
    seq: Mapped[int] = mapped_column(default=0)
    misses: Mapped[int] = mapped_column(default=0)
    failed_checks: Mapped[int] = mapped_column(default=0)
    slots: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")
    identity_verified: Mapped[bool] = mapped_column(default=False)
    pre_registration_id: Mapped[int | None] = mapped_column(ForeignKey("pre_registrations.id"))
    transfer_reason: Mapped[str | None] = mapped_column(String(40))
    transfer_state: Mapped[str | None] = mapped_column(String(100))
    transferred_at: Mapped[datetime | None]
    # No longer written (issue 16); dropped by a later migration, once no process of the version before, which
    # still writes it at every step, can be serving calls during a rolling deploy.
    last_request_key: Mapped[str | None] = mapped_column(String(40))
    last_response: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_call_sessions_from_started", "from_number", "started_at"),
        Index("ix_call_sessions_reference_started", "reference", "started_at"),
        Index("ix_call_sessions_started_at", "started_at"),
    )


class CallEvent(Base):
    """One step of a call's audit trail (append-only, redacted)."""

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_session_id: Mapped[int] = mapped_column(ForeignKey("call_sessions.id"), index=True)
    seq: Mapped[int]
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(100))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FailedCheck(Base):
    """A failed identity check, counted for the CIN and calling-number lockouts."""

    __tablename__ = "failed_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    cin_digits_key: Mapped[str] = mapped_column(String(64))
    from_number: Mapped[str] = mapped_column(String(32))
    call_sid: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]

    __table_args__ = (
        Index("ix_failed_checks_cin_at", "cin_digits_key", "at"),
        Index("ix_failed_checks_from_at", "from_number", "at"),
    )


class Lockout(Base):
    """A CIN digest or a calling number kept out of the identity check until a time."""

    __tablename__ = "lockouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(64))
    locked_until: Mapped[datetime]
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_lockouts_kind_key", "kind", "key"),)


class CallOutcome(Base):
    """A settled call as the reports count it (ivr/reports/campaign.py): written once, when the call is settled."""

    __tablename__ = "call_outcomes"

    call_session_id: Mapped[int] = mapped_column(ForeignKey("call_sessions.id"), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    language: Mapped[str] = mapped_column(String(12))
    stage: Mapped[int]  # how many of the funnel's stages the call reached, each with all those before it
    registered: Mapped[bool]  # the call completed a registration
    locked_out: Mapped[bool]
    transfer_reason: Mapped[str | None] = mapped_column(String(40))
    end_state: Mapped[str | None] = mapped_column(String(100))  # None: the call had not ended
    end_kind: Mapped[str | None] = mapped_column(String(20))


class ReportRollup(Base):
    """Up to when the calls are settled into a rollup (the calls started before `settled_before`)."""

    __tablename__ = "report_rollups"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    settled_before: Mapped[datetime]
