"""The audit log: one JSON line per security-relevant event, without secrets."""

import asyncio
import json

import pytest

from tests.conftest import ADMIN_PASSWORD

REQUIRED = {"time", "event", "actor", "target", "outcome", "requestId", "client"}


@pytest.fixture
async def audited(make_api, config, tmp_path):
    path = tmp_path / "audit.log"
    api = await make_api(config, audit_log=str(path), purge_interval=0.05)
    api.audit_path = path
    return api


def lines(api) -> list[dict]:
    return [json.loads(line) for line in api.audit_path.read_text().splitlines()]


def events(api, name: str) -> list[dict]:
    return [line for line in lines(api) if line["event"] == name]


async def test_every_line_has_time_event_actor_target_outcome_request_id_and_client(audited):
    await audited.post("/v3/tokens", {"description": "ci"}, headers={"X-Request-Id": "req-42"})
    line = events(audited, "token.create")[-1]
    assert REQUIRED <= set(line)
    assert line["time"] == "2027-01-15T08:00:00.000Z"  # RFC 3339 from the app's clock
    assert line["actor"] == audited.admin_id and line["target"].startswith("token-")
    assert line["outcome"] == "success" and line["requestId"] == "req-42"
    assert line["client"] == "127.0.0.1" and line["kind"] == "api"


async def test_login_success_and_failure_are_recorded_with_the_username(audited):
    await audited.login("admin", "not-the-password")
    failed, ok = events(audited, "login")[-1], events(audited, "login")[0]
    assert ok["outcome"] == "success" and ok["target"] == audited.admin_id
    assert ok["username"] == "admin" and ok["tokenId"]
    assert failed == {**failed, "outcome": "failure", "actor": None, "username": "admin",
                      "status": 401, "reason": "bad password"}


async def test_a_throttled_login_is_recorded_as_such(make_api, config, tmp_path):
    api = await make_api(config, audit_log=str(tmp_path / "a.log"), login_throttle_ip_burst=0)
    await api.login("admin", "wrong")
    await api.login("admin", ADMIN_PASSWORD)
    last = json.loads((tmp_path / "a.log").read_text().splitlines()[-1])
    assert last["event"] == "login" and last["status"] == 429 and last["reason"] == "throttled"


async def test_token_update_and_delete_on_both_faces(audited):
    token = await audited.new_token(description="x")
    await audited.put(f"/v3/tokens/{token['id']}", {"enabled": False})
    await audited.delete(f"/v3/tokens/{token['id']}")
    made = await audited.post("/terraform/v1/tokens", {"description": "tf", "ttl": 60000})
    await audited.delete(f"/terraform/v1/tokens/{made.body['id']}")
    assert [(e["target"], e["enabled"]) for e in events(audited, "token.update")] == [
        (token["id"], False)]
    assert [e["target"] for e in events(audited, "token.delete")] == [token["id"], made.body["id"]]
    assert events(audited, "token.create")[-1]["ttl"] == 60000


async def test_a_refused_change_is_recorded_as_a_failure(audited):
    user = await audited.new_user("mallory")
    await user.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "1"})
    line = events(audited, "setting.update")[-1]
    assert line["outcome"] == "failure" and line["status"] == 403
    assert line["actor"] == user.user_id and line["target"] == "auth-token-max-ttl-minutes"


async def test_settings_features_and_policies_record_their_new_values(audited):
    await audited.put("/v3/settings/auth-token-max-ttl-minutes", {"value": "60"})
    await audited.delete("/v3/settings/auth-token-max-ttl-minutes")
    await audited.put("/terraform/v1/token-policies/default",
                      {"name": "default", "auth-token-max-ttl-minutes": 90})
    await audited.put("/v3/features/token-hashing", {"value": True})
    assert events(audited, "setting.update")[0]["value"] == "60"
    assert events(audited, "setting.reset")[0]["target"] == "auth-token-max-ttl-minutes"
    assert events(audited, "policy.update")[0]["auth-token-max-ttl-minutes"] == 90
    assert events(audited, "feature.update")[0] == {
        **events(audited, "feature.update")[0], "target": "token-hashing", "value": True}


async def test_user_lifecycle_is_recorded_without_passwords(audited):
    user = await audited.new_user("grace", "grace-password-1")
    await audited.put(f"/v3/users/{user.user_id}", {"enabled": False})
    await audited.put(f"/v3/users/{user.user_id}", {"enabled": True})
    await audited.post(f"/v3/users/{user.user_id}?action=setpassword",
                       {"newPassword": "grace-password-2"})
    await user.post("/v3/users?action=changepassword",
                    {"currentPassword": "grace-password-2", "newPassword": "grace-password-3"})
    assert events(audited, "user.create")[0]["username"] == "grace"
    assert [e["enabled"] for e in events(audited, "user.update")] == [False, True]
    assert [e["actor"] for e in events(audited, "user.password")] == [audited.admin_id,
                                                                      user.user_id]
    text = audited.audit_path.read_text()
    assert "grace-password" not in text and ADMIN_PASSWORD not in text


async def test_no_token_secret_ever_reaches_the_audit_log(audited):
    bearers = [audited.bearer, (await audited.new_token())["token"],
               (await audited.post("/terraform/v1/tokens", {})).body["token"]]
    text = audited.audit_path.read_text()
    assert not [b for b in bearers if b.split(":")[1] in text]


async def test_each_purge_run_is_recorded_with_its_count(audited, clock):
    await audited.new_token(ttl=1000)
    clock.advance(2000)
    for _ in range(100):
        purged = [e for e in events(audited, "token.purge") if e["count"]]
        if purged:
            break
        await asyncio.sleep(0.02)
    assert purged[0] == {**purged[0], "actor": None, "outcome": "success", "count": 1}


async def test_audit_log_off_writes_nothing(make_api, config, tmp_path):
    api = await make_api(config, audit_log="off")
    await api.new_token()
    assert list(tmp_path.glob("*.log")) == []
