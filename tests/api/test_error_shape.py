"""One error shape on the v3 face, whatever produced the error."""

import asyncio

import pytest

REQUIRED = {"type", "baseType", "status", "code", "message"}


async def _status(api, core, status):
    """Provoke each status through a real path of the server."""
    if status == 400:
        return await api.delete(f"/v3/tokens/{api.bearer.split(':')[0]}")
    if status == 401:
        return await api.as_(None).get("/v3/tokens")
    if status == 403:
        user = await api.new_user("ruth")
        return await user.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "1"})
    if status == 404:
        return await api.get("/v3/tokens/token-zzzzz")
    if status == 405:
        return await api.request("PATCH", "/v3/tokens")
    if status == 409:
        await api.post("/v3/users", {"username": "sam", "password": "sam-password-12"})
        return await api.post("/v3/users", {"username": "sam", "password": "sam-password-12"})
    if status == 412:
        return await api.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "60"},
                             headers={"If-Match": '"99"'})
    if status == 413:
        return await api.post("/v3/tokens", {"description": "x" * 100_000})
    if status == 415:
        return await api.post("/v3/tokens", data="ttl=5", headers={"Content-Type": "text/plain"})
    if status == 422:
        return await api.post("/v3/tokens", {"ttl": "soon"})
    if status == 500:
        await core.store.close()  # the store is gone: the request cannot be served
        return await api.as_(None).get("/v3/tokens", headers={"Authorization": "Bearer a:b"})
    raise AssertionError(status)


@pytest.mark.parametrize("status", [400, 403, 404, 405, 409, 412, 413, 415, 422, 500])
async def test_every_error_has_the_rancher_shape(api, core, status):
    reply = await _status(api, core, status)
    assert reply.status == status
    body = reply.body
    assert REQUIRED <= set(body), body
    assert body["type"] == "error" and body["baseType"] == "error" and body["status"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.headers["X-Request-Id"]


async def test_401_is_exactly_rancher_body(api, core):
    reply = await _status(api, core, 401)
    assert reply.body == {"type": "error", "status": "401",
        "message": "Unauthorized 401: must authenticate"}


async def test_500_says_nothing_was_committed_and_leaks_nothing(api, core):
    reply = await _status(api, core, 500)
    assert reply.body["message"] == "internal error; nothing was committed"
    assert "Traceback" not in str(reply.body)


async def test_request_id_is_echoed(api):
    reply = await api.get("/v3", headers={"X-Request-Id": "abc-123"})
    assert reply.headers["X-Request-Id"] == "abc-123"


async def test_overload_is_429_with_retry_after(make_api, config):
    api = await make_api(config, max_in_flight=2)
    replies = await asyncio.gather(*(api.post("/v3-public/localProviders/local?action=login",
                                              {"username": "admin", "password": "wrong-password"})
                                     for _ in range(8)))
    busy = [r for r in replies if r.status == 429]
    assert busy and all(r.headers["Retry-After"] == "1" for r in busy)
    assert busy[0].body["code"] == "TooManyRequests"
