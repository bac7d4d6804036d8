"""The tests' one wait: it returns what it waited for, or fails loudly with what that was."""

import threading

import pytest

from tests.concurrency import all_at_once
from tests.waiting import WaitTimedOut, wait_until


class Answers:
    """A condition that gives its answers in turn (raising those that are exceptions), then the last forever."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def __call__(self):
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, BaseException):
            raise answer
        return answer


def test_the_wait_returns_the_first_truthy_value_the_condition_gives():
    condition = Answers(None, 0, [], {"status": "delivered"})
    assert wait_until(condition, "the row", within=30, every=0) == {"status": "delivered"}
    assert condition.calls == 4


def test_a_wait_that_times_out_names_what_it_waited_for_and_the_last_value_seen():
    with pytest.raises(WaitTimedOut) as failure:
        wait_until(
            Answers(0, "", []),
            "the SMS to be sent",
            within=0.05,
            every=0.01,
            describe=lambda: "worker log: round failed",
        )
    message = str(failure.value)
    assert "waited 0.05 s for the SMS to be sent" in message
    assert "last seen: []" in message and "worker log: round failed" in message
    assert isinstance(failure.value, AssertionError)  # pytest reports it as a test failure


def test_listed_exceptions_count_as_not_yet():
    condition = Answers(ConnectionRefusedError("refused"), TimeoutError("read timed out"), "listening")
    assert wait_until(condition, "the server", within=30, every=0, ignoring=(OSError,)) == "listening"
    assert condition.calls == 3


def test_a_wait_that_times_out_on_a_listed_exception_shows_it_and_chains_it():
    refused = ConnectionRefusedError("refused")
    with pytest.raises(WaitTimedOut) as failure:
        wait_until(Answers(refused), "the server", within=0.05, every=0.01, ignoring=(ConnectionError,))
    assert "last seen: ConnectionRefusedError('refused')" in str(failure.value)
    assert failure.value.__cause__ is refused  # its traceback is printed with the failure


def test_an_exception_not_listed_ends_the_wait_at_once():
    condition = Answers(ConnectionRefusedError("refused"), RuntimeError("the server exited with 3"), "listening")
    with pytest.raises(RuntimeError, match="the server exited with 3"):
        wait_until(condition, "the server", within=30, every=0, ignoring=(ConnectionError,))
    assert condition.calls == 2


def test_actions_run_at_once_that_are_still_running_after_the_time_out_fail_the_test():
    release = threading.Event()
    try:
        with pytest.raises(WaitTimedOut, match=r"(?s)2 actions run at once to end.*1 still running"):
            all_at_once([release.wait, lambda: "done"], timeout=0.2)
    finally:
        release.set()
