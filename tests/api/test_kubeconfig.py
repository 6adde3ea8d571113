"""POST /v3/clusters/<id>?action=generateKubeconfig: Rancher's template, in both modes."""

import base64

import yaml

from shim import tls
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
