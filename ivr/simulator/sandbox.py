"""A throwaway voice server in-process: fresh SQLite store, the demo people, a scenario's given state and clock."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.registration import people, registration_numbers, synthetic
from ivr.registration.importer import import_liaison_list
from ivr.settings import DEFAULTS, DEMO_ACCOUNT_SID, DEMO_AUTH_TOKEN
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.testdata import DEMO_LIST, TestPerson
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.sms import outbox
from ivr.store.models import CallSession, FailedCheck, Lockout, PreRegistration, Registration, SmsOutbox
from ivr.web.app import create_web_app
from ivr.web.extension import runtime_of

# A Wednesday, 11:00 in Casablanca: advisors answer (a scenario's clock says otherwise).
DEFAULT_CLOCK = datetime(2026, 11, 25, 10, 0)
OTHER_NUMBER = "+212600000198"  # for given failed checks that must not count against the caller
UNLISTED_CIN_DIGITS = "999999"


class Sandbox:
    """One fresh app for one scenario; Twilio's REST API is the stand-in given (SMS really sent to it)."""

    def __init__(self, stand_in: TwilioApiStandIn, clock: datetime | None = None):
        self.stand_in = stand_in
        self.now = clock or DEFAULT_CLOCK
        self.directory = Path(tempfile.mkdtemp(prefix="ivr-replay-"))
        settings: dict[str, Any] = dict(DEFAULTS)
        settings.update(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{self.directory / 'ivr.sqlite3'}",
                "IVR_SECRET_KEY": secrets.token_hex(32),
                "TWILIO_ACCOUNT_SID": DEMO_ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN,
                "TWILIO_API_BASE_URL": stand_in.base_url,
                "IVR_SMS_SENDER": "off",
                "CLOCK": lambda: self.now,
            }
        )
        self.app = create_web_app(settings)
        self.rt = runtime_of(self.app)
        with DEMO_LIST.open(encoding="utf-8", newline="") as lines:
            import_liaison_list(self.rt, lines)

    def close(self) -> None:
        """Drop the store and its folder."""
        self.rt.store.dispose()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def load_synthetic(self, start: int, count: int) -> None:
        """Import synthetic people start .. start+count-1."""
        import_liaison_list(self.rt, synthetic.csv_lines(start, count))

    def caller(self, from_number: str) -> SimulatedCaller:
        """Return a simulated caller of this app."""
        return SimulatedCaller.in_process(self.app, from_number=from_number)

    def deliver_sms(self) -> None:
        """Send the pending SMS now, through the twilio SDK to the stand-in."""
        outbox.send_pending(self.rt, self.rt.catalog)

    def transfer_reason(self, call_sid: str) -> str | None:
        """Return the reason stored for the call's transfer to an advisor."""
        with self.rt.store.transaction() as db:
            return db.scalar(select(CallSession.transfer_reason).where(CallSession.call_sid == call_sid))

    def apply(self, given: dict[str, Any], person: TestPerson | None, from_number: str) -> None:
        """Put the store in the state a scenario's given describes, before the call."""
        now = self.now
        with self.rt.store.transaction() as db:
            record = self._pre_registration(db, person) if person else None
            if given.get("registered"):
                if person is None or record is None:
                    raise ValueError("a given registration needs the scenario's person")
                registration = Registration(
                    pre_registration_id=record.id,
                    number=registration_numbers.allocate(db),
                    mobile=person.mobile or OTHER_NUMBER,
                    language="fr",
                    completed_at=now - timedelta(days=7),
                    completed_by_call="given",
                )
                db.add(registration)
                db.flush()
                for index in range(given.get("credentials_sent", 0)):
                    db.add(
                        SmsOutbox(
                            idempotency_key=f"given:{index}",
                            kind=outbox.CREDENTIALS,
                            registration_id=registration.id,
                            to_number=registration.mobile,
                            language="fr",
                            status="sent",
                            created_at=now - timedelta(hours=1),
                            updated_at=now - timedelta(hours=1),
                            sent_at=now - timedelta(hours=1),
                        )
                    )
            failed = given.get("failed_checks", {})
            cin_key = self._cin_key(person.cin_digits) if person else None
            for _ in range(failed.get("cin", 0)):
                db.add(
                    FailedCheck(
                        cin_digits_key=cin_key, from_number=OTHER_NUMBER, call_sid="given", at=now - timedelta(hours=1)
                    )
                )
            for _ in range(failed.get("caller", 0)):
                db.add(
                    FailedCheck(
                        cin_digits_key=self._cin_key(UNLISTED_CIN_DIGITS),
                        from_number=from_number,
                        call_sid="given",
                        at=now - timedelta(hours=1),
                    )
                )
            if given.get("locked_out"):
                key = cin_key if given["locked_out"] == "cin" else from_number
                db.add(
                    Lockout(
                        kind=given["locked_out"],
                        key=key,
                        locked_until=now + timedelta(hours=23),
                        created_at=now - timedelta(hours=1),
                    )
                )
            if given.get("last_language"):
                earlier = now - timedelta(days=1)
                db.add(
                    CallSession(
                        call_sid="CAgiven" + secrets.token_hex(13),
                        from_number=from_number,
                        to_number="",
                        language=given["last_language"],
                        flow="advisor",
                        state="after_advisor",
                        seq=5,
                        misses=0,
                        failed_checks=0,
                        slots={},
                        status="ended",
                        identity_verified=False,
                        started_at=earlier,
                        updated_at=earlier,
                        ended_at=earlier,
                    )
                )

    def _cin_key(self, digits: str) -> str:
        typed = people.typed_cin_digits(digits)
        if typed is None:
            raise ValueError(f"{digits!r} cannot be the digits of a CIN")
        return people.cin_digits_key(self.rt.secret, typed)

    def _pre_registration(self, db: Session, person: TestPerson) -> PreRegistration:
        cin = people.canonical_cin(person.cin)
        if cin is None:
            raise ValueError(f"the test person's CIN {person.cin!r} is not a CIN")
        cin_key = people.cin_key(self.rt.secret, cin)
        return db.scalars(select(PreRegistration).where(PreRegistration.cin_key == cin_key)).one()
