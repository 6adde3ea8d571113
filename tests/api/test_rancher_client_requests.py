"""The requests the Rancher CLI (v2.13) and terraform-provider-rancher2 (v14) make, in
their order and with their authentication, replayed over HTTP (the sequences are from
/work/shared/reference/norman-api.md section 11; the binaries themselves are not
installable here). Each step checks what that client needs from the answer."""

from tests.support import basic

NEEDS_SCHEMAS = "X-API-Schemas"


async def _bootstrap(api, path: str, auth: str) -> dict:
    """Norman's Go client: GET <url>, exactly 200 with X-API-Schemas; GET that, 200."""
    reply = await api.as_(None).get(path, headers={"Authorization": auth})
    assert reply.status == 200, (path, reply.body)
    schemas_url = reply.headers[NEEDS_SCHEMAS]
    schemas = await api.as_(None).get(schemas_url[schemas_url.index("/v"):],
                                      headers={"Authorization": auth})
    assert schemas.status == 200 and isinstance(schemas.body["data"], list)
    return {s["id"]: s for s in schemas.body["data"]}


async def test_rancher_login_with_a_token(api):
    """`rancher login <url> --token <id>:<secret>`: Basic auth, /v3 then /v3/schemas, then
    the projects lookup without --context (1 project -> it becomes the context)."""
    auth = basic((await api.new_token(description="cli"))["token"])
    await _bootstrap(api, "/v3", auth)
    query = ("/v3/projects?limit=-1&removed_null=1&state_ne=inactive&state_ne=stopped"
             "&state_ne=removing&system=false")
    projects = await api.as_(None).get(query, headers={"Authorization": auth})
    assert projects.status == 200 and len(projects.body["data"]) == 1
    project = projects.body["data"][0]
    assert {"id", "name", "clusterId", "description"} <= set(project)
    by_id = await api.as_(None).get(f"/v3/projects/{project['id']}",
                                    headers={"Authorization": auth})
    assert by_id.status == 200  # `--context c:p`: GET /v3/projects/<ctx>
    cacerts = await api.as_(None).get("/v3/settings/cacerts", headers={"Authorization": auth})
    assert cacerts.status == 200 and {"name", "value"} <= set(cacerts.body)


async def test_rancher_token_exec_plugin_flow(api):
    """`rancher token` <= 2.13 (and 2.14+ after a 404 on /v1-public, which is now answered:
    tests/api/test_v1_public_login.py replays that path): GET /v3-public/authProviders and
    POST the login action, expecting exactly 201."""
    anonymous = api.as_(None)
    providers = await anonymous.get("/v3-public/authProviders")
    assert providers.status == 200
    assert "localProvider" in [p["type"] for p in providers.body["data"]]
    login = await api.login("admin", "admin-password-1", responseType="kubeconfig_local")
    assert login.status == 201 and ":" in login.body["token"] and "expiresAt" in login.body
    refused = await api.login("admin", "wrong-password-1", responseType="kubeconfig")
    assert refused.status == 401
    assert (refused.body["code"], refused.body["message"]) == (
        "Unauthorized", "authentication failed")  # what the CLI prints


async def test_rancher_kubectl_flow(api):
    """`rancher kubectl`: four Go client bootstraps (/v3, the cluster, the project, /v1),
    the token by its access key, then the cluster's generateKubeconfig action."""
    bearer = (await api.new_token(description="cli"))["token"]
    auth = basic(bearer)
    project = (await api.get("/v3/projects")).body["data"][0]["id"]
    for path in ("/v3", "/v3/clusters/local", f"/v3/projects/{project}", "/v1"):
        await _bootstrap(api, path, auth)
    token = await api.as_(None).get(f"/v3/tokens/{bearer.split(':')[0]}",
                                    headers={"Authorization": auth})
    assert token.status == 200 and token.body["userId"] == api.admin_id
    assert token.body["expired"] is False
    cluster = await api.as_(None).get("/v3/clusters/local", headers={"Authorization": auth})
    action = cluster.body["actions"]["generateKubeconfig"]
    output = await api.as_(None).post(action[action.index("/v3"):],
                                      headers={"Authorization": auth})
    assert output.status == 200 and output.body["config"]


async def test_rancher2_provider_token_lifecycle(api):
    """terraform-provider-rancher2: /ping until `pong`, Bearer bootstrap on /v3, the
    k8s-version and server-version settings, then rancher2_token create/read/delete."""
    bearer = (await api.new_token(description="tf"))["token"]
    auth = f"Bearer {bearer}"
    ping = await api.as_(None).get("/ping")
    assert ping.body == "pong"
    await _bootstrap(api, "/v3", auth)
    as_tf = api.as_(bearer)
    assert (await as_tf.get("/v3/settings/k8s-version")).status == 200
    version = (await as_tf.get("/v3/settings/server-version")).body["value"]
    assert version.startswith("v2.")  # must parse as a version ("dev" breaks the provider)
    made = await as_tf.post("/v3/tokens", {
        "actions": None, "links": None, "description": "rancher2", "ttl": 3_600_000,
        "labels": {"team": "a"}, "annotations": {"by": "terraform"}})
    assert made.status == 201 and ":" in made.body["token"]
    for field in ("id", "ttl", "enabled", "expired", "userId", "name", "labels", "annotations"):
        assert field in made.body, field
    read = await as_tf.get(f"/v3/tokens/{made.body['id']}")
    assert read.status == 200 and read.body["enabled"] is True
    assert read.body["labels"]["team"] == "a" and read.body["annotations"] == {"by": "terraform"}
    self_link = read.body["links"]["self"]
    gone = await as_tf.delete(self_link[self_link.index("/v3"):])
    assert gone.status < 300
    assert (await as_tf.get(f"/v3/tokens/{made.body['id']}")).status == 404  # = gone


async def test_rancher2_provider_setting_lifecycle(api):
    """rancher2_setting: GET; 200 -> PUT links.self; 404 -> POST /v3/settings (refused
    here for a setting the server does not manage); delete without creatorId -> PUT ''."""
    session_ttl = "auth-user-session-ttl-minutes"
    found = await api.get(f"/v3/settings/{session_ttl}")
    assert found.status == 200
    self_link = found.body["links"]["self"]
    path = self_link[self_link.index("/v3"):]
    # 600 is below the default idle TTL (960): Rancher accepts it, and so does the v3 face
    changed = await api.put(path, {"value": "600", "annotations": {}, "labels": {}})
    assert changed.status == 200 and changed.body["value"] == "600"
    assert "creatorId" not in changed.body or not changed.body["creatorId"]
    reset = await api.put(path, {"value": ""})
    assert reset.status == 200 and reset.body["value"] == "960"
    missing = await api.get("/v3/settings/ui-brand")
    assert missing.status == 404
    created = await api.post("/v3/settings", {"actions": None, "links": None,
                                              "name": "ui-brand", "value": "x"})
    assert created.status == 422 and session_ttl in created.body["message"]
