"""A call's reference is stored as the call starts, so that finding a call by it reads one index entry."""

from datetime import timedelta

from ivr.callflow.calls import call_named, call_reference, calls_named
from ivr.callflow.service import start_call
from ivr.store.models import CallSession

SID = "CA" + "5" * 32


def test_a_call_keeps_its_reference_from_its_first_webhook_and_is_found_by_it(rt):
    start_call(rt, SID, "+212600000001", "+212520000000", request_root="http://localhost/")
    with rt.store.transaction() as db:
        stored = db.query(CallSession).one()
        assert stored.reference == call_reference(SID)
        assert call_named(db, call_reference(SID).lower().replace("-", ""), rt.now()).call_sid == SID


def test_a_reference_names_no_call_started_before_its_window(rt):
    start_call(rt, SID, "+212600000001", "+212520000000", request_root="http://localhost/")
    eight_days_later = rt.now() + timedelta(days=8)
    with rt.store.transaction() as db:
        assert calls_named(db, call_reference(SID), eight_days_later) == []
        assert [call.call_sid for call in calls_named(db, SID, eight_days_later)] == [SID]  # the CallSid always
