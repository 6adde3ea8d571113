"""Malformed bodies get a clear 4xx and write nothing."""

import pytest


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
