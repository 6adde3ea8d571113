"""POST /v3/clusters/<id>?action=generateKubeconfig: Rancher's template, in both modes."""

import base64

import pytest
import yaml

from shim import tls
from shim.core.principal import Principal
from shim.errors import ApiError
from shim.keys import CORE
from shim.policy import MINUTE_MS

GENERATE = "/v3/clusters/local?action=generateKubeconfig"
KUBECONFIG_TTL = "/v3/settings/kubeconfig-default-token-ttl-minutes"
MAX_TTL = "/v3/settings/auth-token-max-ttl-minutes"
GENERATE_TOKEN = "/v3/settings/kubeconfig-generate-token"


async def _kubeconfig(api, path: str = GENERATE) -> dict:
    reply = await api.post(path)
    assert reply.status == 200, reply.body
    assert set(reply.body) == {"type", "baseType", "config"}
    assert reply.body["type"] == reply.body["baseType"] == "generateKubeConfigOutput"
    return yaml.safe_load(reply.body["config"])


def _base(api) -> str:
    return str(api.client.make_url("")).rstrip("/")


async def _token_of(api, document: dict) -> dict:
    token_id = document["users"][0]["user"]["token"].split(":")[0]
    reply = await api.get(f"/v3/tokens/{token_id}")
    assert reply.status == 200, reply.body
    return reply.body


async def test_kubeconfig_has_one_cluster_user_and_context_named_after_the_cluster(api):
    document = await _kubeconfig(api)
    assert document["apiVersion"] == "v1" and document["kind"] == "Config"
    assert [c["name"] for c in document["clusters"]] == ["local"]
    assert [u["name"] for u in document["users"]] == ["local"]
    assert document["contexts"] == [{"name": "local", "context": {"user": "local", "cluster": "local"}}]
    assert document["current-context"] == "local"
    assert document["clusters"][0]["cluster"] == {"server": f"{_base(api)}/k8s/clusters/local"}


async def test_kubeconfig_carries_a_new_kubeconfig_token_that_works(api):
    document = await _kubeconfig(api)
    bearer = document["users"][0]["user"]["token"]
    assert bearer.startswith(f"kubeconfig-{api.admin_id}")
    assert (await api.as_(bearer).get("/v3")).status == 200
    other = await _kubeconfig(api)
    assert other["users"][0]["user"]["token"] != bearer


async def test_kubeconfig_token_is_described_unscoped_and_lives_the_kubeconfig_ttl(api):
    token = await _token_of(api, await _kubeconfig(api))
    assert token["kind"] == "kubeconfig"
    assert token["description"] == "Kubeconfig token"
    assert token["clusterId"] is None
    assert token["ttl"] == 43200 * MINUTE_MS


async def test_kubeconfig_token_ttl_is_clamped_by_the_max_ttl(api):
    assert (await api.put(KUBECONFIG_TTL, {"value": "600"})).status == 200
    assert (await api.put(MAX_TTL, {"value": "90"})).status == 200
    token = await _token_of(api, await _kubeconfig(api))
    assert token["ttl"] == 90 * MINUTE_MS


async def test_kubeconfig_token_ttl_below_the_max_is_kept(api):
    assert (await api.put(KUBECONFIG_TTL, {"value": "30"})).status == 200
    token = await _token_of(api, await _kubeconfig(api))
    assert token["ttl"] == 30 * MINUTE_MS


async def test_each_user_gets_a_kubeconfig_token_of_their_own(api):
    ruth = await api.new_user("ruth")
    token = await _token_of(ruth, await _kubeconfig(ruth))
    assert token["userId"] == ruth.user_id


async def test_exec_mode_names_the_plugin_and_creates_no_token(make_api, config):
    api = await make_api(config, exec_command="/opt/bin/token-shim")
    assert (await api.put(GENERATE_TOKEN, {"value": "false"})).status == 200
    document = await _kubeconfig(api)
    assert document["users"][0]["user"] == {"exec": {
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "command": "/opt/bin/token-shim",
        "args": ["token", f"--server={_base(api)}", "--user=admin", "--cluster=local"],
        "interactiveMode": "IfAvailable",
        "provideClusterInfo": True,
    }}
    kubeconfig_tokens = await api.get("/v3/tokens?kind=kubeconfig")
    assert kubeconfig_tokens.body["data"] == []


async def test_exec_mode_runs_token_shim_by_default(api):
    assert (await api.put(GENERATE_TOKEN, {"value": "false"})).status == 200
    document = await _kubeconfig(api)
    assert document["users"][0]["user"]["exec"]["command"] == "token-shim"


async def test_kubeconfig_embeds_the_ca_the_server_is_trusted_by(make_api, config, tmp_path):
    files = tls.ensure_self_signed(tmp_path / "tls")
    api = await make_api(config, tls_ca=str(files.ca))
    cluster = (await _kubeconfig(api))["clusters"][0]["cluster"]
    assert base64.b64decode(cluster["certificate-authority-data"]) == files.ca.read_bytes()


async def test_kubeconfig_server_uses_the_public_url_when_set(make_api, config):
    api = await make_api(config, public_url="https://rancher.example.com/")
    cluster = (await _kubeconfig(api))["clusters"][0]["cluster"]
    assert cluster["server"] == "https://rancher.example.com/k8s/clusters/local"


async def test_kubeconfig_for_a_second_cluster_points_at_it(make_api, config):
    api = await make_api(config, clusters=("local", "other"))
    document = await _kubeconfig(api, "/v3/clusters/other?action=generateKubeconfig")
    assert document["clusters"][0]["cluster"]["server"].endswith("/k8s/clusters/other")
    assert document["current-context"] == "other"


async def test_unknown_cluster_is_404(api):
    reply = await api.post("/v3/clusters/nowhere?action=generateKubeconfig")
    assert reply.status == 404 and reply.body["code"] == "NotFound"


async def test_other_actions_are_not_available(api):
    for path in ("/v3/clusters/local?action=rotateCertificates", "/v3/clusters/local"):
        reply = await api.post(path)
        assert reply.status == 404 and reply.body["code"] == "ActionNotAvailable", path


async def test_generating_a_kubeconfig_needs_authentication(api):
    reply = await api.as_(None).post(GENERATE)
    assert reply.status == 401
    assert reply.body == {"type": "error", "status": "401",
                          "message": "Unauthorized 401: must authenticate"}


async def test_a_plain_http_kubeconfig_comes_with_a_warning_header_and_comment(api):
    reply = await api.post(GENERATE)
    assert reply.status == 200
    warning = reply.headers["Warning"]
    assert warning.startswith('299 - "') and warning.endswith('"')
    assert "kubectl sends no credentials over plain HTTP" in warning
    first = reply.body["config"].splitlines()[0]
    assert first.startswith("# WARNING: this kubeconfig will not work: the server URL is plain http://")
    assert yaml.safe_load(reply.body["config"])["kind"] == "Config"


async def test_a_plain_http_exec_plugin_kubeconfig_is_warned_about_too(api):
    assert (await api.put(GENERATE_TOKEN, {"value": "false"})).status == 200
    reply = await api.post(GENERATE)
    assert "Warning" in reply.headers and reply.body["config"].startswith("# WARNING:")


async def test_an_https_kubeconfig_has_no_warning(make_api, config):
    api = await make_api(config, public_url="https://rancher.example.com/")
    reply = await api.post(GENERATE)
    assert "Warning" not in reply.headers and not reply.body["config"].startswith("#")


# A cluster-scoped token never yields unscoped or longer-lived credentials (issue 13.2).

HOUR_MS = 60 * MINUTE_MS


async def _scoped(user, cluster: str = "local", ttl: int = HOUR_MS):
    made = await user.new_token(clusterId=cluster, ttl=ttl)
    return user.as_(made["token"]), made


async def test_a_cluster_scoped_token_gets_a_kubeconfig_token_of_its_own_scope(api):
    ruth = await api.new_user("ruth")
    scoped, _ = await _scoped(ruth)
    bearer = (await _kubeconfig(scoped))["users"][0]["user"]["token"]
    token = await _token_of(api, {"users": [{"user": {"token": bearer}}]})
    assert token["clusterId"] == "local"
    made = ruth.as_(bearer)
    assert (await made.get("/v3/tokens")).status == 401
    assert (await made.post("/v3/tokens", {"ttl": 90 * 24 * HOUR_MS})).status == 401
    assert (await made.get("/v3/clusters/local")).status == 200
    assert (await made.get("/k8s/clusters/local/version")).status == 200


async def test_a_kubeconfig_token_never_outlives_the_scoped_token_that_asked_for_it(api, clock):
    ruth = await api.new_user("ruth")
    scoped, made = await _scoped(ruth)
    clock.advance(10 * MINUTE_MS)
    token = await _token_of(api, await _kubeconfig(scoped))
    assert token["ttl"] == 50 * MINUTE_MS
    assert token["expiresAt"] == made["expiresAt"]
    clock.advance(50 * MINUTE_MS)
    bearer = (await _kubeconfig(api))["users"][0]["user"]["token"]  # admin's: still fine
    assert (await api.as_(bearer).get("/v3")).status == 200
    late = await api.get(f"/v3/tokens/{token['id']}")
    assert late.body["expired"] is True


async def test_a_scoped_kubeconfig_token_shorter_than_its_requester_keeps_its_ttl(api):
    assert (await api.put(KUBECONFIG_TTL, {"value": "20"})).status == 200
    ruth = await api.new_user("ruth")
    scoped, _ = await _scoped(ruth)
    assert (await _token_of(api, await _kubeconfig(scoped)))["ttl"] == 20 * MINUTE_MS


async def test_a_scoped_token_cannot_generate_a_kubeconfig_for_another_cluster(make_api, config):
    api = await make_api(config, clusters=("local", "other"))
    scoped, _ = await _scoped(api)
    reply = await scoped.post("/v3/clusters/other?action=generateKubeconfig")
    assert reply.status in (401, 403)
    assert (await api.get("/v3/tokens?kind=kubeconfig")).body["data"] == []


async def test_an_unscoped_token_still_gets_an_unscoped_kubeconfig_token(api):
    ruth = await api.new_user("ruth")
    unscoped = ruth.as_((await ruth.new_token(ttl=HOUR_MS))["token"])
    token = await _token_of(api, await _kubeconfig(unscoped))
    assert token["clusterId"] is None and token["ttl"] == 43200 * MINUTE_MS


async def test_a_scoped_token_creates_no_token_on_any_face(api):
    scoped, _ = await _scoped(api)
    assert (await scoped.post("/v3/tokens", {"ttl": 0})).status == 401
    assert (await scoped.post("/terraform/v1/tokens", {"ttl": 0})).status == 401
    assert (await scoped.post("/v3/tokens", {"kind": "agent"})).status == 401


async def test_tokens_made_for_a_scoped_caller_keep_its_scope_and_end(make_api, config, clock):
    """The core rule, for any face that lets a scoped token create one (a kube face might)."""
    api = await make_api(config, clusters=("local", "other"))
    core = api.client.server.app[CORE]
    _, made = await _scoped(api)
    token, user = await core.store.get_token_and_user(made["id"])
    actor = Principal(user, token)
    api_token = await core.tokens.create(actor, clock(), ttl=0)
    assert api_token.token.cluster_id == "local"
    assert api_token.token.expires == token.expires
    agent = await core.tokens.create(actor, clock(), kind="agent")
    assert agent.token.cluster_id == "local" and agent.token.expires == token.expires
    with pytest.raises(ApiError) as refused:
        await core.tokens.create(actor, clock(), cluster_id="other")
    assert refused.value.status == 403
