"""What an agent reads of a call, in words: a short reference, why it came and where it stood, in en, fr and ar."""

from ivr.callflow.calls import call_reference
from tests.agent_support import agent_actions
from tests.conftest import AMINA

from .conftest import choose, identify


def test_a_call_has_a_short_reference_an_agent_can_read_out(api, caller):
    [listed] = api.calls().json["calls"]
    assert listed["reference"] == call_reference(caller.call_sid)
    assert len(listed["reference"]) == 7 and listed["reference"][3] == "-"


def test_every_key_the_api_gave_before_is_still_there(api, caller):
    [listed] = api.calls().json["calls"]
    before = {
        "call_sid",
        "from_number",
        "status",
        "state",
        "with_advisor",
        "transfer_reason",
        "transfer_reason_text",
        "state_reached",
        "language",
        "identity_verified",
        "person",
        "started_at",
        "transferred_at",
        "ended_at",
    }
    assert before <= set(listed)
    assert {"reference", "reason_words", "stood_words", "waiting_since"} <= set(listed)


def test_the_reason_and_where_the_call_stood_are_in_the_three_languages(api, caller):
    [listed] = api.calls().json["calls"]
    assert listed["reason_words"] == {
        "en": "the caller asked for an advisor",
        "fr": "l'appelant a demandé un conseiller",
        "ar": "طلب المتصل التحدث إلى أحد المستشارين",
    }
    assert listed["state_reached"] == "menu.choose"
    assert listed["stood_words"] == {"en": "the main menu", "fr": "le menu principal", "ar": "القائمة الرئيسية"}


def test_a_caller_who_gave_up_at_the_birth_date_question_stood_there_in_words(api, phone, twilio_api, people):
    caller = phone("+212600777888")
    choose(caller, "fr", "1")
    caller.press(AMINA.cin_digits + "#")
    caller.press("0")
    twilio_api.add_call(caller.call_sid)
    [listed] = api.calls().json["calls"]
    assert listed["state_reached"] == "identity.ask_birth_date"
    assert listed["stood_words"]["fr"] == "vérification d'identité : question de la date de naissance"
    assert "identity.ask_birth_date" not in listed["stood_words"].values()


def test_the_wait_starts_when_the_call_reached_the_advisors(api, caller, clock):
    [listed] = api.calls().json["calls"]
    assert listed["waiting_since"] == listed["transferred_at"] == clock.now.isoformat(timespec="seconds") + "Z"


def test_a_verified_caller_s_category_is_in_french_and_arabic_words_and_the_mobile_stays_masked(
    api, phone, twilio_api, people
):
    caller = phone("+212600555666")
    choose(caller, "fr", "1")
    identify(caller, AMINA)
    caller.press("2")  # not my category: to the advisors
    twilio_api.add_call(caller.call_sid)
    person = api.call(caller.call_sid).json["person"]
    assert person["category"] == "medecin"
    assert person["category_words"] == {"fr": "Médecins", "ar": "الأطباء"}
    assert person["mobile"] == "•••• 4578"
    assert "734591" not in str(person) and "1975" not in str(person)


def test_an_agent_finds_a_call_by_its_reference_typed_any_way(api, caller):
    reference = call_reference(caller.call_sid)
    for typed in (reference, reference.lower(), reference.replace("-", "")):
        answer = api.call(typed)
        assert answer.status_code == 200, typed
        assert answer.json["call_sid"] == caller.call_sid


def test_an_unknown_reference_is_an_unknown_call(api, caller, rt):
    unknown = next(r for r in ("ZZZ-ZZZ", "YYY-YYY") if r != call_reference(caller.call_sid))
    answer = api.call(unknown)
    assert (answer.status_code, answer.json["error"]) == (404, "unknown_call")
    assert "reference" in answer.json["message"]


def test_a_reference_names_only_calls_of_the_last_seven_days(api, caller, clock):
    clock.advance(days=8)
    answer = api.call(call_reference(caller.call_sid))
    assert (answer.status_code, answer.json["error"]) == (404, "unknown_call")
    assert api.call(caller.call_sid).status_code == 200


def test_an_agent_transfers_a_call_named_by_its_reference(api, caller, twilio_api, rt):
    answer = api.transfer(call_reference(caller.call_sid), target="menu", language="fr")
    assert answer.status_code == 200, answer.json
    assert answer.json["call_sid"] == caller.call_sid
    assert twilio_api.call_updates[-1]["call_sid"] == caller.call_sid
    [action] = agent_actions(rt, caller.call_sid)
    assert action.outcome == "redirected"
