"""Ctrl-C at a terminal (issue 25.2): the first SIGINT says at once that the server stops
and how many requests it waits for, and lets them finish; a second one stops it at once,
quietly. A real process, real signals; the time bounds are loose on purpose."""

from __future__ import annotations

import json
import signal
import socket
import time

from tests.live import LiveServer

SAID_WITHIN = 5.0  # seconds: "at once", with room for a busy machine
BODY = json.dumps({"description": "slow"}).encode()


def start_slow_request(server: LiveServer) -> socket.socket:
    """A token creation whose body has not finished arriving."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(b"POST /v3/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + server.admin.encode() +
                 f"\r\nContent-Length: {len(BODY)}\r\n\r\n".encode() + BODY[:5])
    time.sleep(0.3)  # the server has the headers: the request is in flight
    return sock


def wait_for_line(server: LiveServer, text: str, seconds: float) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [line for line in server.log().splitlines() if text in line]
        if found:
            return found[0]
        time.sleep(0.02)
    raise AssertionError(f"no {text!r} within {seconds} s:\n{server.log()}")


def test_first_ctrl_c_says_it_stops_and_waits_for_the_request_in_flight(server):
    sock = start_slow_request(server)
    server.proc.send_signal(signal.SIGINT)
    line = wait_for_line(server, "stopping", SAID_WITHIN)
    assert line == ("token-shim: stopping: waiting up to 30 s for 1 request(s) in flight "
                    "(Ctrl-C again to stop at once)")
    assert server.proc.poll() is None  # still waiting for it
    sock.sendall(BODY[5:])
    reply = sock.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 201"), reply
    assert server.proc.wait(SAID_WITHIN) == 0
    assert "Traceback" not in server.log()


def test_second_ctrl_c_stops_at_once_and_quietly(server):
    sock = start_slow_request(server)
    server.proc.send_signal(signal.SIGINT)
    wait_for_line(server, "stopping", SAID_WITHIN)
    started = time.monotonic()
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(SAID_WITHIN) == 1
    assert time.monotonic() - started < SAID_WITHIN
    assert sock.recv(65536) == b""  # the connection closed, no half reply
    log = server.log()
    assert "stopped at once: 1 request(s) cut off" in log
    assert "Traceback" not in log and " 500 " not in log and "Error" not in log
    # nothing was created by the request cut off
    again = LiveServer(server.workdir, db=server.db).start()
    try:
        tokens = again.call("GET", "/v3/tokens", bearer=again.login())[1]["data"]
        assert not [t for t in tokens if t.get("description") == "slow"]
    finally:
        again.stop()


def test_ctrl_c_on_an_idle_server_stops_at_once(server):
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(SAID_WITHIN) == 0
    assert "token-shim: stopping\n" in server.log()
