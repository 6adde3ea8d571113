"""Issue 22, finding 2: patches and YAML that amplify a small body into a stalled server.

Each attack is a non-admin's request on their own ext token. Timings are loose bounds on
a stall (the attacks took 3 to 30 s before the fix), never benchmarks.
"""

import asyncio
import json
import logging
import sqlite3
import time

import pytest

from shim.errors import ApiError
from shim.faces.kube.patches import MAX_OPERATIONS
from tests.api.test_kube_tokens import TOKENS, create

JSON_PATCH = "application/json-patch+json"
APPLY = "application/apply-patch+yaml"


@pytest.fixture
async def mallory(api):
    user = await api.new_user("mallory")
    await create(user, "own")
    return user


async def send(api, body: bytes, ctype: str, name: str = "own"):
    return await api.request("PATCH", f"{TOKENS}/{name}", data=body,
                             headers={"Content-Type": ctype})


async def while_healthz(api, attack) -> tuple:
    """The attack's reply and the slowest /healthz answered while it ran."""
    done, worst = asyncio.Event(), 0.0

    async def poll():
        nonlocal worst
        while not done.is_set():
            started = time.monotonic()
            assert (await api.as_(None).get("/healthz")).status == 200
            worst = max(worst, time.monotonic() - started)
            await asyncio.sleep(0.02)

    poller = asyncio.create_task(poll())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    try:
        reply = await attack
    finally:
        done.set()
        await poller
    return reply, time.monotonic() - started, worst


def doubling_patch(copies: int) -> bytes:
    ops = [{"op": "add", "path": "/x", "value": [1]}]
    ops += [{"op": "copy", "from": "/x", "path": "/x/-"}] * copies
    return json.dumps(ops).encode()


def alias_bomb(levels: int) -> bytes:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 10) + "]" for n in range(1, levels + 1)]
    lines += ["apiVersion: ext.cattle.io/v1", "kind: Token",
              f"metadata: {{name: own, annotations: {{x: *a{levels}}}}}"]
    return "\n".join(lines).encode()


async def test_a_doubling_json_patch_stops_at_max_body_bytes_and_healthz_stays_fast(mallory):
    """22 copies of a list into itself (1 KB) took 15 s and held the write lock."""
    reply, seconds, healthz = await while_healthz(
        mallory, send(mallory, doubling_patch(20), JSON_PATCH))
    assert reply.status == 413 and reply.body["reason"] == "RequestEntityTooLarge"
    assert "max_body_bytes (65536 bytes)" in reply.body["message"]
    assert seconds < 2 and healthz < 1
    assert "x" not in (await mallory.get(f"{TOKENS}/own")).body


async def test_a_json_patch_holds_at_most_the_operation_cap(mallory):
    ops = [{"op": "test", "path": "/kind", "value": "Token"}] * (MAX_OPERATIONS + 1)
    reply = await send(mallory, json.dumps(ops).encode(), JSON_PATCH)
    assert reply.status == 413
    assert f"maximum operations in a JSON patch is {MAX_OPERATIONS}" in reply.body["message"]
    fine = await send(mallory, json.dumps(ops[:MAX_OPERATIONS]).encode(), JSON_PATCH)
    assert fine.status == 200


async def test_json_patch_copies_are_budgeted_by_max_body_bytes(mallory):
    """100 copies of a 30 KB value stayed under the size limit (each replaced the last)
    and cost a second of CPU; copies now total at most max_body_bytes."""
    ops = [{"op": "add", "path": "/x", "value": [[]] * 10_000}]
    ops += [{"op": "copy", "from": "/x", "path": "/y"}] * 99
    reply = await send(mallory, json.dumps(ops).encode(), JSON_PATCH)
    assert reply.status == 413
    assert "may copy at most max_body_bytes (65536 bytes) in all" in reply.body["message"]
    moves = ops[:1] + [{"op": "move", "from": "/x", "path": "/y"},
                       {"op": "move", "from": "/y", "path": "/x"}] * 200
    assert (await send(mallory, json.dumps(moves).encode(), JSON_PATCH)).status == 200


async def test_a_merge_patch_may_not_grow_the_object_past_max_body_bytes(make_api, config):
    api = await make_api(config, max_body_bytes=4096)
    await create(api, "own")
    big = {"metadata": {"annotations": {"a": "v" * 5000}}}
    assert (await api.post(TOKENS, {"metadata": {"name": "x"}, **big})).status == 413
    reply = await send(api, json.dumps({"metadata": {"annotations": {"a": "v" * 3000}}}).encode(),
                       "application/merge-patch+json")
    assert reply.status == 200
    again = await send(api, json.dumps({"metadata": {"annotations": {"b": "v" * 1500}}}).encode(),
                       "application/merge-patch+json")
    assert again.status == 413 and "max_body_bytes (4096 bytes)" in again.body["message"]


async def test_yaml_anchors_and_aliases_are_refused_at_once(mallory):
    """8 levels of x10 aliases (483 bytes) took 30 s and 2.2 GB before the 400; 6 here
    (2 s and 25 MB before the fix) to keep a run on the old code bearable."""
    reply, seconds, healthz = await while_healthz(mallory, send(mallory, alias_bomb(6), APPLY))
    assert reply.status == 400 and "anchors and aliases are not accepted" in reply.body["message"]
    assert seconds < 2 and healthz < 1
    harmless = b"metadata:\n  name: own\n  labels: &l {a: b}\n  annotations: *l\n"
    reply = await send(mallory, harmless, APPLY)
    assert reply.status == 400 and "anchors and aliases" in reply.body["message"]


async def test_deeply_nested_yaml_is_a_400_naming_the_depth_not_a_500(mallory, caplog):
    for body in (b"[" * 3000 + b"]" * 3000, b"- " * 3000 + b"x", b"{a: " * 3000):
        with caplog.at_level(logging.WARNING):
            reply = await send(mallory, body, APPLY)
        assert reply.status == 400, reply.body
        assert "nest" in reply.body["message"] and len(reply.body["message"]) < 300
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("body, message", [
    (b"metadata: {name: own}\nspec: {description: 2001-12-14}", None),
    (b"metadata: {name: own, labels: {1: a}}", "a key is not a string: 1"),
    (b"metadata: {name: own}\nspec: {description: !!binary aGk=}", "has no JSON form"),
    (b"metadata: {name: own}\nspec: {ttl: " + b"1" * 5000 + b"}", "not valid YAML"),
])
async def test_yaml_holds_only_what_json_can(mallory, body, message):
    reply = await send(mallory, body, APPLY)
    if message is None:
        assert reply.status == 200 and reply.body["spec"]["description"] == "2001-12-14"
    else:
        assert reply.status == 400 and message in reply.body["message"]


async def test_errors_quote_a_large_value_cut_on_every_face(api, mallory):
    """Validation errors once quoted whole instances (jsonschema's repr of an expanded YAML
    graph was the 2.2 GB); every quoted value is now cut by one bounded printer."""
    huge = "d" * 50_000
    v3 = await api.post("/v3/tokens", {"description": huge})
    tf = await api.post("/terraform/v1/tokens", {"description": huge})
    kube = await send(mallory, json.dumps({"spec": {"ttl": [huge]}}).encode(),
                      "application/merge-patch+json")
    for reply in (v3, tf, kube):
        assert 400 <= reply.status < 500
        assert len(json.dumps(reply.body)) < 2000, reply.body
    assert v3.body["details"][0]["value"].endswith('..."')


async def test_a_patch_is_computed_outside_the_write_transaction(api, core, config):
    """On SQLite the patch ran inside BEGIN IMMEDIATE: another process's write waited for
    it (and got 500 after the busy timeout under --workers 2). Another connection now
    writes while the patch is being computed."""
    await create(api, "own")
    path = config.db.removeprefix("sqlite:///")
    seen = []

    def desire(token):
        other = sqlite3.connect(path, timeout=0)
        try:
            other.execute("UPDATE settings SET value = value WHERE name = 'none'")
            other.commit()
            seen.append("wrote")
        finally:
            other.close()
        from shim.core.ext_tokens import Desired
        return Desired(description="patched")

    actor = await principal_of(api, core)
    updated = await core.ext_tokens.update(actor, "own", 1_800_000_000_000, desire)
    assert seen and updated.description == "patched"


async def test_a_patch_that_lost_a_race_is_recomputed_on_the_new_version(api, core, config):
    await create(api, "own")
    path = config.db.removeprefix("sqlite:///")
    calls = []

    def desire(token):
        calls.append(token.version)
        if len(calls) == 1:  # another writer commits between our read and our write
            other = sqlite3.connect(path)
            other.execute("UPDATE tokens SET version = version + 1, description = 'theirs'"
                          " WHERE id = ?", (token.id,))
            other.commit()
            other.close()
        from shim.core.ext_tokens import Desired
        return Desired(enabled=False)

    actor = await principal_of(api, core)
    updated = await core.ext_tokens.update(actor, "own", 1_800_000_000_000, desire)
    assert calls == [calls[0], calls[0] + 1]
    assert updated.enabled is False and updated.description == "theirs"


async def test_a_patch_that_keeps_losing_races_is_a_409(api, core, config):
    await create(api, "own")
    path = config.db.removeprefix("sqlite:///")

    def desire(token):
        other = sqlite3.connect(path)
        other.execute("UPDATE tokens SET version = version + 1 WHERE id = ?", (token.id,))
        other.commit()
        other.close()
        from shim.core.ext_tokens import Desired
        return Desired(enabled=False)

    actor = await principal_of(api, core)
    with pytest.raises(ApiError) as caught:
        await core.ext_tokens.update(actor, "own", 1_800_000_000_000, desire)
    assert caught.value.status == 409


async def principal_of(api, core):
    return await core.auth.authenticate(api.bearer, "/v3", 1_800_000_000_000)
