"""The tests' real servers are waited for as long as a busy machine needs, and a server that dies says why."""

import pytest

from .servers import ProcessExited, Server


def test_a_server_that_answers_only_after_a_request_times_out_is_waited_for(tmp_path):
    server = Server({}, tmp_path / "server.log", workers=1, app="tests.e2e.slow_starting_app:app")
    try:
        server.wait_until_listening()  # its first /health requests time out: they count as "not yet"
        assert server.health() == 200
    finally:
        status = server.stop()
    assert status == 0, server.log()


def test_a_server_that_exits_while_starting_fails_the_wait_at_once_with_its_log(tmp_path):
    server = Server({}, tmp_path / "server.log", workers=1, app="tests.e2e.no_such_module:app")
    try:  # ProcessExited, not WaitTimedOut: the wait ended when the process did
        with pytest.raises(ProcessExited, match=r"(?s)exited with .*No module named 'tests\.e2e\.no_such_module'"):
            server.wait_until_listening()
    finally:
        server.stop()
