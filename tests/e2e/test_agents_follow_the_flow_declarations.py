"""What agents see and may do with a call comes from flows/ alone: the advisors' queue, the transfer reasons'
words, where a call may be sent and what that needs. Each test runs the app on an edited copy of the flows."""

import shutil

import pytest

from ivr.flows.loader import FLOWS_DIR, FlowBook
from tests.agent_support import call_session, follow_the_redirect, reach_the_advisor


@pytest.fixture
def flows_copy(tmp_path, rt):
    """Return a function that edits a copy of the shipped flows and makes it the app's flows."""
    folder = shutil.copytree(FLOWS_DIR, tmp_path / "flows")

    def edit(*changes):
        for file, old, new in changes:
            path = folder / file
            text = path.read_text(encoding="utf-8")
            assert text.count(old) == 1, f"{old!r} is not written once in {file}"
            path.write_text(text.replace(old, new), encoding="utf-8")
        rt.flows = FlowBook.load(folder)

    return edit


RENAME_THE_QUEUE = (
    ("advisor.yaml", "  connect:", "  ringing:"),
    ("advisor.yaml", "open: connect,", "open: ringing,"),
    ("_book.yaml", "queue: advisor.connect", "queue: advisor.ringing"),
)


def test_a_renamed_queue_state_is_still_the_agents_queue(flows_copy, api, phone, twilio_api, rt):
    flows_copy(*RENAME_THE_QUEUE)
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    assert (call_session(rt, caller.call_sid).flow, call_session(rt, caller.call_sid).state) == ("advisor", "ringing")
    listed = api.calls().json["calls"]
    assert [(call["call_sid"], call["with_advisor"]) for call in listed] == [(caller.call_sid, True)]
    assert api.transfer(caller.call_sid, target="menu", language="fr").status_code == 200
    follow_the_redirect(caller, twilio_api)
    assert call_session(rt, caller.call_sid).state == "choose"


def test_the_agents_read_a_transfer_reason_in_the_books_words(flows_copy, api, phone, twilio_api):
    flows_copy(("_book.yaml", "en: the caller asked for an advisor", "en: the caller pressed 0"))
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    shown = api.call(caller.call_sid).json
    assert (shown["transfer_reason"], shown["transfer_reason_text"]) == ("caller_request", "the caller pressed 0")


def test_a_state_declared_an_agent_target_may_be_sent_a_call(flows_copy, api, phone, twilio_api):
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    assert api.transfer(caller.call_sid, target="info.tell", language="fr").status_code == 400
    flows_copy(
        (
            "info.yaml",
            "    ar: تواريخ إحدى الفئات (للإخبار فقط)\n",
            "    ar: تواريخ إحدى الفئات (للإخبار فقط)\n  - {state: goodbye, en: say goodbye, fr: au revoir,"
            " ar: وداعا}\n",
        )
    )
    assert api.transfer(caller.call_sid, target="info.goodbye", language="fr").status_code == 200


def test_a_flow_declared_to_require_a_person_refuses_a_call_nobody_identified(flows_copy, api, phone, twilio_api):
    flows_copy(("menu.yaml", "flow: menu\n", "flow: menu\nrequires: [person]\n"))
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    answer = api.transfer(caller.call_sid, target="menu", language="fr")
    assert answer.status_code == 400 and "needs an identified caller" in answer.json["message"]
    assert twilio_api.call_updates == []


CHECK_MOBILE = """\
  - state: check_mobile
    en: confirm the mobile and complete the registration
    fr: confirmer le mobile et finaliser l'immatriculation
    ar: تأكيد الهاتف المحمول واستكمال التسجيل
"""


@pytest.mark.parametrize(
    "already_complete_first, meant", [(False, "completion.check_mobile"), (True, "completion.already_complete")]
)
def test_a_flows_name_means_the_first_of_its_agent_targets(
    flows_copy, api, phone, twilio_api, people, already_complete_first, meant
):
    if already_complete_first:
        flows_copy(("completion.yaml", CHECK_MOBILE, ""), ("completion.yaml", "states:\n", CHECK_MOBILE + "states:\n"))
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    answer = api.transfer(caller.call_sid, target="completion", language="fr", cin="AB734591")
    assert answer.status_code == 200 and answer.json["state"] == meant
