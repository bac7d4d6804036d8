"""A pre-registered worker completes their registration by phone and gets their credentials by SMS."""

import re

from sqlalchemy import select

from ivr.registration import registration_numbers
from ivr.registration.credentials import password_matches
from ivr.speech.values import Day, DigitString, Localized, Month
from ivr.store.models import Credential, Registration, SmsOutbox

from .conftest import choose, complete, identify


def stored_registrations(rt):
    with rt.store.transaction() as db:
        return list(db.scalars(select(Registration)))


def test_french_caller_completes_registration_and_receives_number_and_password_by_sms(
    people, phone, voice, rt, deliver_sms
):
    amina = people["amina"]
    caller = phone("+212600999888")  # calls from another phone than the mobile on file
    choose(caller, "fr", "1")
    turn = identify(caller, amina)
    medecin = rt.categories.get("medecin")
    assert voice.heard(
        turn,
        "category.confirm",
        category=Localized.of(medecin.label),
        due_month=Month(medecin.contributions_due),
        coverage_date=Day(medecin.coverage_starts),
    )
    assert "janvier 2022" in turn.heard_text() and "1er février 2022" in turn.heard_text()

    turn = caller.press("1")
    assert voice.heard(turn, "completion.confirm_mobile", last_four=DigitString("4578"))
    turn = caller.press("1")

    [registration] = stored_registrations(rt)
    assert registration_numbers.is_valid(registration.number) and registration.mobile == amina.mobile
    assert voice.said(caller) == ["completion.completed", "credentials.sent"]
    assert voice.heard(turn, "credentials.sent", number=DigitString(registration.number), last_four=DigitString("4578"))
    assert turn.gather is not None  # the caller may press * to hear the number again

    [message] = deliver_sms()
    assert message["to"] == amina.mobile  # the mobile on file, not the calling number
    assert f"Immatriculation: {registration.number}" in message["body"]
    password = re.search(r"Mot de passe: (\S+?)[ .]", message["body"]).group(1)
    assert "macnss.ma" in message["body"]
    with rt.store.transaction() as db:
        [credential] = db.scalars(select(Credential)).all()
        assert password_matches(credential.password_hash, password) and credential.revoked_at is None

    turn = caller.press("*")
    assert voice.said(caller) == ["credentials.sent"]
    turn = caller.wait()
    assert voice.heard(turn, "common.goodbye") and turn.ended_by == "hangup"
    assert voice.session(caller).status == "ended"  # the status callback closed the session


def test_arabic_caller_hears_arabic_and_receives_an_arabic_sms(people, phone, voice, rt, deliver_sms):
    salma = people["salma"]
    caller = phone(salma.mobile)
    choose(caller, "ar", "1")
    turn = identify(caller, salma)
    assert all(u.language == "arb" for u in turn.heard)
    assert "فبراير ألفين واثنين وعشرين" in turn.heard_text() and "فاتح مارس ألفين واثنين وعشرين" in turn.heard_text()
    caller.press("1")
    turn = caller.press("1")
    [registration] = stored_registrations(rt)
    assert voice.heard(
        turn, "credentials.sent", "ar", number=DigitString(registration.number), last_four=DigitString("7654")
    )
    [message] = deliver_sms()
    assert message["to"] == salma.mobile and registration.number in message["body"]
    assert "macnss.ma" in message["body"] and re.search("[\u0600-\u06ff]", message["body"])


def test_caller_without_a_mobile_types_one_and_hears_its_last_four_digits(people, phone, voice, rt, deliver_sms):
    youssef = people["youssef"]
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, youssef)
    turn = caller.press("1")
    assert voice.said(caller) == ["completion.ask_mobile"]
    turn = caller.press("0512345678")  # a landline: re-asked, not accepted
    assert voice.said(caller) == ["completion.mobile_invalid"]
    turn = caller.press("0698765432")
    assert voice.heard(turn, "completion.confirm_typed_mobile", last_four=DigitString("5432"))
    caller.press("1")
    [registration] = stored_registrations(rt)
    assert registration.mobile == "+212698765432"
    [message] = deliver_sms()
    assert message["to"] == "+212698765432"


def test_typed_mobile_can_be_typed_again_before_confirming(people, phone, voice, rt):
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, people["youssef"])
    caller.press("1")
    caller.press("0698765432")
    caller.press("2")
    assert voice.said(caller) == ["completion.ask_mobile"]
    caller.press("0711223344")
    caller.press("1")
    assert stored_registrations(rt)[0].mobile == "+212711223344"


def test_not_my_number_transfers_to_an_advisor_and_keeps_the_number_on_file(people, phone, voice, rt, app):
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, people["amina"])
    caller.press("1")
    turn = caller.press("2")
    assert turn.dial is not None and turn.dial.number == app.config["ADVISOR_NUMBER"]
    session = voice.session(caller)
    assert session.transfer_reason == "mobile_not_callers" and session.identity_verified
    assert session.transfer_state == "completion.confirm_mobile"
    assert stored_registrations(rt) == []


def test_disputed_category_is_recorded_completes_nothing_and_transfers(people, phone, voice, rt):
    from ivr.store.models import Dispute

    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, people["mehdi"])
    turn = caller.press("2")
    assert voice.said(caller) == ["category.disputed", "advisor.connecting"] and turn.dial is not None
    assert voice.session(caller).transfer_reason == "category_disputed"
    with rt.store.transaction() as db:
        [dispute] = db.scalars(select(Dispute)).all()
        assert dispute.declared_category == "commercant_comptable"
    assert stored_registrations(rt) == []


def test_completed_caller_is_told_so_and_offered_the_credentials_again(people, phone, voice, rt, deliver_sms):
    amina = people["amina"]
    first = phone()
    complete(first, amina)
    first.hangup()
    [registration] = stored_registrations(rt)

    again = phone()
    choose(again, "fr", "1")
    identify(again, amina)
    assert voice.said(again) == ["completion.already_complete"]
    turn = again.press("1")
    assert voice.heard(turn, "credentials.sent", number=DigitString(registration.number), last_four=DigitString("4578"))
    assert stored_registrations(rt)[0].number == registration.number  # never changes
    assert len(deliver_sms()) == 2


def test_resending_credentials_gives_a_new_password_that_revokes_the_previous(people, phone, voice, rt, deliver_sms):
    amina = people["amina"]
    first = phone()
    complete(first, amina)
    deliver_sms()

    resend = phone()
    choose(resend, "fr", "3")
    identify(resend, amina)
    assert voice.said(resend)[0] == "credentials.sent"
    first_sms, second_sms = deliver_sms()
    assert first_sms["body"] != second_sms["body"]
    with rt.store.transaction() as db:
        old, new = db.scalars(select(Credential).order_by(Credential.id)).all()
        assert old.revoked_at is not None and new.revoked_at is None


def test_asking_for_credentials_before_completing_continues_the_registration(people, phone, voice):
    caller = phone()
    choose(caller, "fr", "3")
    identify(caller, people["salma"])
    assert voice.said(caller)[:2] == ["identity.not_yet_complete", "category.confirm"]


def test_a_fourth_delivery_within_24_hours_is_refused(people, phone, voice, rt, clock, deliver_sms):
    amina = people["amina"]

    def ask_again():
        caller = phone()
        choose(caller, "fr", "3")
        identify(caller, amina)
        return caller

    first = phone()
    complete(first, amina)
    ask_again()
    ask_again()
    refused = ask_again()
    assert voice.said(refused) == ["credentials.limit_reached"] and refused.ended
    assert len(deliver_sms()) == 3
    clock.advance(hours=24, minutes=1)
    assert voice.said(ask_again())[0] == "credentials.sent"


def test_a_replayed_webhook_repeats_the_answer_but_not_the_completion_or_the_sms(people, phone, voice, rt, deliver_sms):
    caller = phone()
    choose(caller, "fr", "1")
    identify(caller, people["amina"])
    caller.press("1")
    seq = voice.session(caller).seq
    completing = caller.call_params(Digits="1")
    first = caller.post(f"/voice/step?seq={seq}", completing)
    replayed = caller.post(f"/voice/step?seq={seq}", completing)
    assert first.status_code == replayed.status_code == 200 and first.text == replayed.text
    assert len(stored_registrations(rt)) == 1
    with rt.store.transaction() as db:
        assert len(db.scalars(select(SmsOutbox)).all()) == 1
    assert len(deliver_sms()) == 1
    assert len(deliver_sms()) == 1  # a second sender pass sends nothing more


def test_a_repeated_incoming_webhook_gets_the_same_greeting_and_one_session(app, phone, voice):
    caller = phone()
    caller.dial()
    params = caller.call_params()
    again = caller.post("/voice/incoming", params)
    assert again.status_code == 200 and again.text == caller.turn.xml
    assert voice.session(caller).seq == 1
