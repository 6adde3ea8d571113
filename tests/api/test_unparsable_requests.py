"""A request aiohttp cannot parse: the answer and the log name the fault, never its bytes."""

from __future__ import annotations

import asyncio
import json
import logging


async def _raw(api, payload: bytes) -> bytes:
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(payload)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)
    writer.close()
    return answer


async def test_a_bearer_with_a_trailing_newline_is_not_echoed_in_the_answer_or_the_log(
        api, caplog):
    token = await api.new_token(description="pasted")
    secret = token["token"].split(":", 1)[1]
    caplog.set_level(logging.DEBUG)
    request = (b"GET /v3/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
               b"Authorization: Bearer " + token["token"].encode() + b"\n\r\n\r\n")
    answer = await _raw(api, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == b"400", answer
    assert secret.encode() not in answer and b"Authorization" not in answer
    assert b"application/json" in head
    error = json.loads(body)
    assert error["type"] == "error" and str(error["status"]) == "400"
    assert "could not be parsed" in error["message"]
    logged = "\n".join(r.getMessage() + str(r.exc_info or "") for r in caplog.records)
    assert secret not in logged and "Traceback" not in logged
    assert "unparsable request" in logged


async def test_a_bad_header_name_gets_the_json_error_without_its_bytes(api):
    answer = await _raw(api, b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x01Name-s3cr3t: v\r\n\r\n")
    assert answer.split(b" ")[1] == b"400" and b"s3cr3t" not in answer
    assert b'"type":"error"' in answer.replace(b" ", b"")


async def test_the_server_still_answers_after_an_unparsable_request(api):
    await _raw(api, b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a:b\n\r\n\r\n")
    assert (await api.get("/healthz")).status == 200


def test_serve_neither_answers_nor_logs_a_pasted_secret(server):
    """The real `serve` process (its runner and its logging), over a raw socket."""
    import socket

    bearer = server.admin
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /v3/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: Bearer " + bearer.encode() + b"\n\r\n\r\n")
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    assert answer.split(b" ")[1] == b"400"
    secret = bearer.split(":", 1)[1]
    assert secret.encode() not in answer
    assert server.call("GET", "/healthz")[0] == 200
    assert secret not in server.log() and "Traceback" not in server.log()
