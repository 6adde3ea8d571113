"""Malformed bodies get a clear 4xx and write nothing; slow ones time out."""

import asyncio
import contextlib
import time

import pytest


LOGIN = "/v3-public/localProviders/local?action=login"


async def _token_count(api) -> int:
    return len((await api.get("/v3/tokens")).body["data"])


@pytest.mark.parametrize("raw,code", [
    (b'{"ttl": 5', "InvalidFormat"),
    (b'{"ttl": 5, "ttl": 6}', "InvalidFormat"),
    (b'[1, 2]', "InvalidFormat"),
    (b'"text"', "InvalidFormat"),
    (b'{"ttl": NaN}', "InvalidFormat"),
    (b'{"a":' * 100 + b'1' + b'}' * 100, "InvalidFormat"),
    (b'\xff\xfe', "InvalidFormat"),
    (b'{"ttl": 1e400}', "InvalidBodyContent"),
    (b'{"ttl": 100000000000000000000000000000}', "InvalidBodyContent"),
    (b'{"ttl": 1.5}', "InvalidBodyContent"),
    (b'{"ttl": true}', "InvalidBodyContent"),
    (b'{"description": 7}', "InvalidBodyContent"),
    (b'{"clusterId": ["local"]}', "InvalidBodyContent"),
])
async def test_bad_token_body_is_422_and_writes_nothing(api, raw, code):
    before = await _token_count(api)
    reply = await api.post("/v3/tokens", data=raw, headers={"Content-Type": "application/json"})
    assert reply.status == 422, reply.body
    assert reply.body["code"] == code
    assert await _token_count(api) == before


async def test_wrong_type_error_names_field_value_and_rule(api):
    reply = await api.post("/v3/tokens", {"description": 7})
    assert reply.body["message"] == "description: 7 must be of type string"
    assert reply.body["details"] == [{"field": "description", "value": 7, "rule": "must be of type string"}]


async def test_oversized_body_is_413_and_writes_nothing(make_api, config):
    api = await make_api(config, max_body_bytes=1024)
    before = await _token_count(api)
    reply = await api.post("/v3/tokens", {"description": "x" * 2000})
    assert reply.status == 413 and reply.body["code"] == "RequestEntityTooLarge"
    assert await _token_count(api) == before


async def test_wrong_content_type_is_415(api):
    reply = await api.post("/v3/tokens", data="ttl=5",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 415


async def test_unknown_fields_are_ignored_on_v3_as_in_rancher(api):
    reply = await api.post("/v3/tokens", {"description": "x", "color": "blue"})
    assert reply.status == 201 and "color" not in reply.body


async def test_empty_body_creates_a_default_token(api):
    reply = await api.post("/v3/tokens", data=b"", headers={"Content-Type": "application/json"})
    assert reply.status == 201


async def test_missing_required_field_is_named(api):
    reply = await api.put("/v3/settings/auth-token-max-ttl-minutes", {})
    assert reply.status == 422 and reply.body["fieldName"] == "value"
    assert "is required" in reply.body["message"]


async def test_bad_query_parameters_are_422(api):
    for query in ("limit=0", "limit=10001", "limit=x", "ttl=-1", "enabled=maybe",
                  "expired=1", "kind=other", "marker=!!!"):
        reply = await api.get(f"/v3/tokens?{query}")
        assert reply.status == 422, query


async def _slow_body(host: str, port: int, path: str = LOGIN):
    """Headers promising 100000 bytes, then a byte now and then: the client of issue 13.3."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                 f"Content-Length: 100000\r\n\r\n{{".encode())
    await writer.drain()
    return reader, writer


async def _dribble(writer, seconds: float) -> None:
    with contextlib.suppress(ConnectionError):
        for _ in range(int(seconds / 0.2)):
            await asyncio.sleep(0.2)
            writer.write(b" ")
            await writer.drain()


async def test_slow_bodies_do_not_take_request_slots(make_api, config):
    api = await make_api(config, max_in_flight=3, body_timeout=2)
    server = api.client.server
    slow = [await _slow_body(server.host, server.port) for _ in range(6)]
    dribbling = [asyncio.create_task(_dribble(w, 4)) for _, w in slow]
    try:
        await asyncio.sleep(0.5)  # every slow request is past its headers, waiting for its body
        assert (await api.as_(None).get("/healthz")).status == 200
        assert (await api.get("/v3/tokens")).status == 200
        assert (await api.login("admin", "admin-password-1")).status == 201
    finally:
        for task in dribbling:
            task.cancel()
        for _, writer in slow:
            writer.close()


async def test_a_body_that_takes_longer_than_body_timeout_is_408_and_the_connection_closed(
        make_api, config):
    api = await make_api(config, body_timeout=1)
    server = api.client.server
    reader, writer = await _slow_body(server.host, server.port)
    dribbling = asyncio.create_task(_dribble(writer, 5))
    try:
        started = time.monotonic()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 4)
        assert head.startswith(b"HTTP/1.1 408 ")
        rest = await asyncio.wait_for(reader.read(), 4)  # the server closes: read ends
        assert b"RequestTimeout" in rest and 0.9 < time.monotonic() - started < 4
    finally:
        dribbling.cancel()
        writer.close()
