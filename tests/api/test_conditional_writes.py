"""ETag on reads of one token or setting; If-Match on writes: 412 when the tag is stale."""

from __future__ import annotations

import pytest

MAX_TTL = "auth-token-max-ttl-minutes"
V3_SETTING = f"/v3/settings/{MAX_TTL}"
TF_SETTING = f"/terraform/v1/settings/{MAX_TTL}"


def if_match(tag: str) -> dict:
    return {"headers": {"If-Match": tag}}


async def test_v3_token_update_with_a_stale_etag_is_412_and_changes_nothing(api):
    token = await api.new_token(description="first")
    path = f"/v3/tokens/{token['id']}"
    read = await api.get(path)
    assert read.headers["ETag"] == '"1"'
    updated = await api.put(path, {"description": "second"}, **if_match(read.headers["ETag"]))
    assert updated.status == 200 and updated.headers["ETag"] == '"2"'
    stale = await api.put(path, {"description": "third"}, **if_match(read.headers["ETag"]))
    assert stale.status == 412
    assert stale.body["type"] == "error" and stale.body["code"] == "PreconditionFailed"
    assert (await api.get(path)).body["description"] == "second"


async def test_v3_token_delete_honours_if_match(api):
    token = await api.new_token()
    path = f"/v3/tokens/{token['id']}"
    await api.put(path, {"description": "changed"})
    assert (await api.delete(path, **if_match('"1"'))).status == 412
    assert (await api.get(path)).status == 200
    assert (await api.delete(path, **if_match('W/"2"'))).status == 204
    assert (await api.get(path)).status == 404


async def test_terraform_token_writes_honour_if_match_with_the_face_error_shape(api):
    made = await api.post("/terraform/v1/tokens", {"description": "tf", "ttl": 60000})
    path = f"/terraform/v1/tokens/{made.body['id']}"
    read = await api.get(path)
    assert read.headers["ETag"] == '"1"'
    ok = await api.put(path, {"description": "tf2", "ttl": 60000}, **if_match('"1"'))
    assert ok.status == 200 and ok.headers["ETag"] == '"2"'
    stale = await api.put(path, {"description": "tf3", "ttl": 60000}, **if_match('"1"'))
    assert stale.status == 412 and stale.body["code"] == "PreconditionFailed"
    assert set(stale.body) == {"status", "code", "message"}
    assert (await api.delete(path, **if_match('"1"'))).status == 412
    assert (await api.delete(path, **if_match('"2"'))).status == 204


async def test_v3_setting_versions_keep_counting_through_a_reset(api):
    never_set = await api.get(V3_SETTING)
    assert never_set.headers["ETag"] == '"0"'
    first = await api.put(V3_SETTING, {"value": "60"}, **if_match('"0"'))
    assert first.status == 200 and first.headers["ETag"] == '"1"'
    assert (await api.put(V3_SETTING, {"value": "90"}, **if_match('"0"'))).status == 412
    assert (await api.delete(V3_SETTING, **if_match('"1"'))).status == 204
    assert (await api.get(V3_SETTING)).headers["ETag"] == '"2"'
    stale = await api.put(V3_SETTING, {"value": "90"}, **if_match('"1"'))
    assert stale.status == 412 and stale.body["baseType"] == "error"
    assert (await api.get(V3_SETTING)).body["value"] == "129600"


async def test_terraform_setting_writes_honour_if_match(api):
    doc = {"name": MAX_TTL, "value": 60}
    assert (await api.get(TF_SETTING)).headers["ETag"] == '"0"'
    ok = await api.put(TF_SETTING, doc, **if_match('"0"'))
    assert ok.status == 200 and ok.headers["ETag"] == '"1"'
    stale = await api.put(TF_SETTING, doc | {"value": 30}, **if_match('"0"'))
    assert stale.status == 412 and set(stale.body) == {"status", "code", "message"}
    assert (await api.get(TF_SETTING)).body == doc
    assert (await api.delete(TF_SETTING, **if_match('"0"'))).status == 412
    assert (await api.delete(TF_SETTING, **if_match('"1"'))).status == 204


@pytest.mark.parametrize("tag", ['"1", "2"', "1", '"abc"', '""', '"' + "9" * 30 + '"'])
async def test_an_if_match_that_names_no_single_version_is_412(api, tag):
    token = await api.new_token()
    assert (await api.put(V3_SETTING, {"value": "60"}, **if_match(tag))).status == 412
    assert (await api.delete(f"/v3/tokens/{token['id']}", **if_match(tag))).status == 412


async def test_if_match_star_and_no_if_match_write_unconditionally(api):
    await api.put(V3_SETTING, {"value": "60"})
    assert (await api.put(V3_SETTING, {"value": "90"}, **if_match("*"))).status == 200
    assert (await api.get(V3_SETTING)).body["value"] == "90"
