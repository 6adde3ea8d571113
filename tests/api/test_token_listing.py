"""GET /v3/tokens: the collection envelope, filters and marker pagination."""

import asyncio

from shim.keys import CORE
from shim.purge import purge_once


async def test_collection_envelope_has_rancher_keys(api):
    body = (await api.get("/v3/tokens")).body
    assert {"type", "resourceType", "links", "createTypes", "actions", "pagination", "sort",
            "filters", "data"} <= set(body)
    assert body["type"] == "collection" and body["resourceType"] == "token"
    assert body["pagination"]["limit"] == 1000
    assert body["createTypes"]["token"].endswith("/v3/tokens")


async def test_pages_by_marker_cover_every_token_once(api):
    made = {(await api.new_token(description=f"p{i}"))["id"] for i in range(7)}
    seen, url = [], "/v3/tokens?limit=3&kind=api"
    while url:
        body = (await api.get(url)).body
        assert len(body["data"]) <= 3
        seen += [t["id"] for t in body["data"]]
        nxt = body["pagination"].get("next")
        url = nxt[nxt.index("/v3/"):] if nxt else None
    assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))


async def test_filter_ttl_zero_audits_never_expiring_tokens(api):
    await api.new_token(ttl=60_000)
    agent = await api.new_token(kind="agent")
    body = (await api.get("/v3/tokens?ttl=0")).body
    assert [t["id"] for t in body["data"]] == [agent["id"]]
    assert body["filters"]["ttl"] == [{"modifier": "eq", "value": 0}]
    assert body["filters"]["userId"] is None  # every filter is named, as in Norman


async def test_filters_by_description_kind_enabled_and_cluster(api):
    a = await api.new_token(description="alpha")
    b = await api.new_token(description="beta", clusterId="local")
    await api.put(f"/v3/tokens/{b['id']}", {"enabled": False})

    async def ids(query):
        return {t["id"] for t in (await api.get(f"/v3/tokens?{query}")).body["data"]}

    assert await ids("description=alpha") == {a["id"]}
    assert await ids("enabled=false") == {b["id"]}
    assert await ids("clusterId=local") == {b["id"]}
    assert api.bearer.split(":")[0] in await ids("kind=session")
    assert not (await ids("kind=api")) & await ids("kind=session")


async def test_filter_expired(api, clock):
    short = await api.new_token(ttl=1000)
    clock.advance(1000)
    expired = {t["id"] for t in (await api.get("/v3/tokens?expired=true")).body["data"]}
    live = {t["id"] for t in (await api.get("/v3/tokens?expired=false")).body["data"]}
    assert short["id"] in expired and short["id"] not in live


async def test_filter_user_id_for_admins_and_forced_for_users(api):
    user = await api.new_user("tess")
    mine = await user.new_token()
    body = (await api.get(f"/v3/tokens?userId={user.user_id}")).body
    assert mine["id"] in {t["id"] for t in body["data"]}
    theirs = (await user.get(f"/v3/tokens?userId={api.admin_id}")).body["data"]
    assert {t["userId"] for t in theirs} <= {user.user_id}


async def test_purge_deletes_expired_tokens_in_batches(api, core, clock):
    doomed = [await api.new_token(ttl=1000) for _ in range(5)]
    kept = await api.new_token(ttl=10_000)
    clock.advance(1000)
    assert await purge_once(core.tokens, clock(), batch=2) == 5
    for body in doomed:
        assert await core.store.get_token(body["id"]) is None
    assert await core.store.get_token(kept["id"]) is not None


async def test_background_purge_runs_on_its_interval(make_api, config, clock):
    api = await make_api(config, purge_interval=0.05)
    store = api.client.server.app[CORE].store
    body = await api.new_token(ttl=1000)
    clock.advance(1000)
    for _ in range(100):
        if await store.get_token(body["id"]) is None:
            break
        await asyncio.sleep(0.02)
    assert await store.get_token(body["id"]) is None
