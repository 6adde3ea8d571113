"""A repeated token read is answered from the memo of its last answer (shim.replay): the
same bytes, and every change that would alter the answer is seen by the very next read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from multidict import CIMultiDict

from shim.keys import CORE
from shim.metrics import METRICS
from shim.middlewares import IN_FLIGHT
from shim.settings_catalog import SESSION_TTL
from tests.conftest import ADMIN_PASSWORD

MINUTE_MS = 60_000
FACES = {"v3": "/v3/tokens/{id}", "terraform": "/terraform/v1/tokens/{id}"}
VARYING = {"x-request-id", "date"}  # what differs between two answers to one request


@dataclass
class Raw:
    status: int
    body: bytes
    headers: CIMultiDict


async def fetch(api, bearer: str, path: str, **headers: str) -> Raw:
    headers = {"Authorization": f"Bearer {bearer}", **headers}
    async with api.client.get(path, headers=headers) as resp:
        return Raw(resp.status, await resp.read(), CIMultiDict(resp.headers))


def replays(api) -> int:
    return api.client.server.app[METRICS].replays.count


async def warmed(api, bearer: str, path: str) -> Raw:
    """Read until the answer is recorded: the first read touches lastUsedAt (a write,
    never replayed past), the second is recorded. Return the recorded answer."""
    await fetch(api, bearer, path)
    return await fetch(api, bearer, path)


@pytest.fixture(params=FACES)
def face(request) -> str:
    return request.param


@pytest.fixture(params=["sqlite", "postgres"])
async def either(request, make_api, config):
    """An admin Api on SQLite, or on a fresh PostgreSQL database once its listener is up
    (token rows are cached, so answers recorded, only while it listens)."""
    if request.param == "sqlite":
        return await make_api(config)
    url = request.getfixturevalue("pg_server").create_database()
    api = await make_api(config, db=url)
    api.db = url
    await listening(api)
    return api


async def listening(api) -> None:
    store = api.client.server.app[CORE].store
    for _ in range(500):
        if store.cached_rows() is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the PostgreSQL listener did not come up within 5 s")


async def own_token(api, face: str, **body) -> tuple[str, str]:
    made = await api.new_token(**body)
    return made["token"], FACES[face].format(id=made["id"])


async def test_a_repeated_token_read_is_replayed_byte_for_byte(api, face):
    bearer, path = await own_token(api, face, description="polled")
    recorded = await warmed(api, bearer, path)
    before = replays(api)
    again = await fetch(api, bearer, path)
    assert replays(api) == before + 1
    assert (again.status, again.body) == (200, recorded.body)
    assert lasting(again.headers) == lasting(recorded.headers)


def lasting(headers: CIMultiDict) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in VARYING}


async def test_a_replay_has_its_own_request_id_and_access_line(api, caplog):
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    before = replays(api)
    with caplog.at_level("INFO", logger="shim.access"):
        given = await fetch(api, bearer, path, **{"X-Request-Id": "poll-1"})
        made = [await fetch(api, bearer, path) for _ in range(2)]
    assert replays(api) == before + 3  # the client's request id is no part of the key
    assert given.headers["X-Request-Id"] == "poll-1"
    assert len({m.headers["X-Request-Id"] for m in made} | {"poll-1"}) == 3
    lines = [r.getMessage() for r in caplog.records if r.name == "shim.access"]
    assert len([line for line in lines if path in line and " 200 " in line]) == 3
    assert "id=poll-1" in lines[0]


async def test_a_replay_counts_in_the_request_metrics(api):
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    await fetch(api, bearer, path)
    scraped = (await api.client.get("/metrics", headers={
        "Authorization": f"Bearer {api.bearer}"})).status
    assert scraped == 200
    text = await (await api.client.get("/metrics", headers={
        "Authorization": f"Bearer {api.bearer}"})).text()
    assert 'route="/v3/tokens/{id}",status="200"} 3.0' in text
    assert "token_shim_replayed_answers_total 1.0" in text


async def test_deleting_the_token_refuses_the_next_read_at_once(either, face):
    api = either
    bearer, path = await own_token(api, face)
    await warmed(api, bearer, path)
    assert (await api.delete(path.replace("/terraform/v1", "/v3"))).status in (200, 204)
    assert (await fetch(api, bearer, path)).status == 401


async def test_disabling_the_token_refuses_the_next_read_at_once(either, face):
    api = either
    bearer, path = await own_token(api, face)
    await warmed(api, bearer, path)
    token_path = path.replace("/terraform/v1", "/v3")
    assert (await api.put(token_path, {"enabled": False})).status == 200
    assert (await fetch(api, bearer, path)).status == 401


async def test_disabling_the_user_refuses_the_next_read_at_once(either, face):
    api = either
    user = await api.new_user("dora")
    bearer, path = await own_token(user, face)
    await warmed(api, bearer, path)
    assert (await api.put(f"/v3/users/{user.user_id}", {"enabled": False})).status == 200
    assert (await fetch(api, bearer, path)).status == 401


async def test_a_password_change_demanded_is_seen_by_the_next_read(either):
    api = either
    user = await api.new_user("erin")
    bearer, path = await own_token(user, "v3")
    await warmed(api, bearer, path)
    reply = await api.put(f"/v3/users/{user.user_id}", {"mustChangePassword": True})
    assert reply.status == 200
    assert (await fetch(api, bearer, path)).status == 403


async def test_another_callers_read_of_the_token_shows_its_new_last_use(api, clock):
    bearer, path = await own_token(api, "v3")
    await fetch(api, bearer, path)  # its own use: lastUsedAt now
    seen = await warmed(api, api.bearer, path)  # the admin reads it, recorded
    clock.advance(1000)
    await fetch(api, bearer, path)  # its own use again: lastUsedAt moves
    after = await fetch(api, api.bearer, path)
    assert after.body != seen.body
    assert (await api.get(path)).body["lastUsedAt"] in after.body.decode()


async def test_turning_hashing_on_is_seen_by_the_next_read(either):
    api = either
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    before = replays(api)
    assert (await api.put("/v3/features/token-hashing", {"value": True})).status == 200
    assert (await fetch(api, bearer, path)).status == 200  # verified against the hash
    assert replays(api) == before


async def test_a_lowered_session_ttl_ends_a_session_at_the_next_read(either, clock):
    api = either
    session = (await api.login("admin", ADMIN_PASSWORD)).body["token"]
    path = FACES["v3"].format(id=session.split(":")[0])
    clock.advance(2 * MINUTE_MS)
    await warmed(api, session, path)
    before = replays(api)
    assert (await fetch(api, session, path)).status == 200
    assert replays(api) == before + 1
    assert (await api.put(f"/v3/settings/{SESSION_TTL}", {"value": "1"})).status == 200
    assert (await fetch(api, session, path)).status == 401


async def test_the_next_due_touch_is_never_skipped(api, core, clock):
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    used = (await core.store.get_token(path.rsplit("/", 1)[1])).last_used
    clock.advance(1000)
    before = replays(api)
    assert (await fetch(api, bearer, path)).status == 200
    assert replays(api) == before
    assert (await core.store.get_token(path.rsplit("/", 1)[1])).last_used == used + 1000


async def test_a_token_about_to_expire_is_not_replayed_past_its_expiry(api, clock):
    bearer, path = await own_token(api, "v3", ttl=MINUTE_MS)
    clock.advance(MINUTE_MS - 500)  # dies before the next touch would be due
    await warmed(api, bearer, path)
    before = replays(api)
    assert (await fetch(api, bearer, path)).status == 200
    assert replays(api) == before
    clock.advance(500)
    assert (await fetch(api, bearer, path)).status == 401


async def test_a_read_with_other_headers_gets_its_own_answer(api):
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    page = await fetch(api, bearer, path, Accept="text/html",
                       **{"User-Agent": "Mozilla/5.0"})
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")


async def test_a_full_server_answers_429_rather_than_a_replay(api):
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    in_flight = api.client.server.app[IN_FLIGHT]
    in_flight.count = in_flight.limit
    try:
        assert (await fetch(api, bearer, path)).status == 429
    finally:
        in_flight.count = 0


async def test_a_revocation_by_another_process_is_seen_by_the_next_read(
        either, make_api, config):
    api = either
    url = getattr(api, "db", None)
    other = await make_api(config, **({"db": url} if url else {}))  # another server, one database
    bearer, path = await own_token(api, "v3")
    await warmed(api, bearer, path)
    assert (await fetch(api, bearer, path)).status == 200
    assert (await other.delete(path)).status in (200, 204)
    # SQLite: the other connection's commit is seen within OTHERS_CHECK (5 ms);
    # PostgreSQL: once its NOTIFY arrives (milliseconds).
    for _ in range(200):
        await asyncio.sleep(0.01)
        if (await fetch(api, bearer, path)).status == 401:
            return
    raise AssertionError("the revocation was not seen within 2 s")
