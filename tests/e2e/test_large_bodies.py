"""A body above the limit is refused with 413 before it is read, announced or streamed, in the app and gunicorn."""

import io
import socket
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from ivr.simulator.twiml_reader import Gather, parse
from ivr.store.models import CallSession
from ivr.web.guards import MAX_BODY_BYTES
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN

from .servers import Server

ANNOUNCED = 200 * 1024 * 1024  # what the attack sent: 200 MB
# Werkzeug reads a stream in pieces of at most this size: it may read one beyond the limit.
READ_CHUNK = 64 * 1024
ROUTES = [
    "/voice/incoming",
    "/voice/step?seq=1",
    "/voice/status",
    "/voice/resume?seq=1",
    "/sms/status",
    "/agent/login",
    "/agent/calls/CA1/transfer",
    "/health",
]
FORM = "application/x-www-form-urlencoded"


class CountingStream:
    """An endless form body that counts the bytes read from it."""

    def __init__(self):
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        size = READ_CHUNK if size is None or size < 0 else size
        self.read_bytes += size
        return (b"Digits=1&" * (size // 9 + 1))[:size]

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def post(app, path: str, stream: CountingStream, content_length: int | None):
    """POST an endless body to the app, announcing content_length or streaming it as a chunked body would."""
    environ = {"wsgi.input": stream}
    if content_length is None:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"  # Werkzeug then ignores any Content-Length
        environ["wsgi.input_terminated"] = True  # what gunicorn says of a chunked body it de-chunks
    else:
        environ["CONTENT_LENGTH"] = str(content_length)
    return app.test_client().post(path, content_type=FORM, environ_overrides=environ)


def count_calls(rt) -> int:
    with rt.store.transaction() as db:
        return db.scalar(select(func.count()).select_from(CallSession))


@pytest.mark.parametrize("path", ROUTES)
def test_a_body_announced_above_the_limit_is_refused_with_413_without_reading_a_byte(app, rt, path):
    stream = CountingStream()
    response = post(app, path, stream, ANNOUNCED)
    assert response.status_code == 413
    assert stream.read_bytes == 0
    assert count_calls(rt) == 0


@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/step?seq=1", "/sms/status", "/agent/login"])
def test_a_streamed_body_without_length_is_refused_with_413_once_past_the_limit(app, rt, path):
    stream = CountingStream()
    response = post(app, path, stream, None)
    assert response.status_code == 413
    assert MAX_BODY_BYTES < stream.read_bytes <= MAX_BODY_BYTES + READ_CHUNK
    assert count_calls(rt) == 0


def test_a_body_at_the_limit_is_read_and_judged_by_its_signature(app, rt):
    body = (b"Digits=1&" * (MAX_BODY_BYTES // 9 + 1))[:MAX_BODY_BYTES]
    response = app.test_client().post("/voice/incoming", data=body, content_type=FORM)
    assert response.status_code == 403  # read whole, then refused as unsigned
    assert count_calls(rt) == 0


def test_a_signed_chunked_webhook_within_the_limit_is_answered(app, phone, rt):
    params = phone().call_params()
    body = urlencode(params).encode()
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/voice/incoming", params)
    response = app.test_client().post(
        "/voice/incoming",
        content_type=FORM,
        headers={"X-Twilio-Signature": signature},
        environ_overrides={
            "wsgi.input": io.BytesIO(body),
            "wsgi.input_terminated": True,
            "HTTP_TRANSFER_ENCODING": "chunked",
        },
    )
    assert response.status_code == 200
    assert any(isinstance(verb, Gather) for verb in parse(response.data))
    assert count_calls(rt) == 1


# Under gunicorn: the 413 comes back while the body is still being awaited or sent.


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("large-bodies")
    environment = {
        "DATABASE_URL": f"sqlite:///{directory / 'ivr.sqlite3'}",
        "IVR_SECRET_KEY": "test-secret-" + "k" * 52,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": "",
        "IVR_SMS_SENDER": "off",
    }
    started = Server(environment, directory / "server.log", workers=1)
    try:
        started.wait_until_listening()
        yield started
    finally:
        started.stop()


def request_head(path: str, port: int, length_header: str) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {FORM}\r\n{length_header}\r\n\r\n"
    ).encode()


def status_line(sock: socket.socket) -> str:
    received = b""
    while b"\r\n" not in received:
        piece = sock.recv(4096)
        assert piece, f"the server closed the connection without an answer: {received!r}"
        received += piece
    return received.split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize("path", ["/voice/incoming", "/sms/status", "/agent/login"])
def test_gunicorn_answers_413_to_200_mb_announced_before_any_of_it_is_sent(server, path):
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(request_head(path, server.port, f"Content-Length: {ANNOUNCED}"))
        assert status_line(sock) == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"


def test_gunicorn_answers_413_to_a_chunked_body_long_before_200_mb_are_sent(server):
    chunk = b"Digits=1&" * 1000
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(request_head("/voice/incoming", server.port, "Transfer-Encoding: chunked"))
        sock.setblocking(False)
        sent = 0
        while sent < ANNOUNCED:
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break  # the server answered
            except BlockingIOError:
                pass
            try:
                sent += sock.send(framed)  # may send part of it: the framing then breaks, which the 413 precedes
            except BlockingIOError:
                pass  # the server reads no more: its buffers are full
            except (BrokenPipeError, ConnectionResetError):
                break
        sock.setblocking(True)
        assert status_line(sock) == "HTTP/1.1 413 REQUEST ENTITY TOO LARGE"
    assert sent < ANNOUNCED // 10
