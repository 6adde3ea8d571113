"""The kube face at the server root, for the first configured cluster (as Rancher serves
the local cluster's API): ext tokens, discovery and OpenAPI, with normal bearer auth."""

ROOT_TOKENS = "/apis/ext.cattle.io/v1/tokens"
TOKEN = {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "spec": {"description": "root"}}


async def test_ext_tokens_at_the_root_are_the_first_clusters(api):
    made = await api.post(ROOT_TOKENS, TOKEN)
    assert made.status == 201, made.body
    name = made.body["metadata"]["name"]
    assert made.body["status"]["bearerToken"].startswith(f"ext/{api.admin_id}:{name}:")
    via_cluster = await api.get(f"/k8s/clusters/local{ROOT_TOKENS}/{name}")
    assert via_cluster.status == 200 and via_cluster.body["spec"]["description"] == "root"
    listed = await api.get(ROOT_TOKENS)
    assert name in [t["metadata"]["name"] for t in listed.body["items"]]
    assert (await api.delete(f"{ROOT_TOKENS}/{name}")).status == 200
    assert (await api.get(f"{ROOT_TOKENS}/{name}")).status == 404


async def test_a_user_sees_only_their_own_ext_tokens_at_the_root(api):
    ruth = await api.new_user("ruth")
    assert (await api.post(ROOT_TOKENS, TOKEN)).status == 201
    mine = await ruth.post(ROOT_TOKENS, TOKEN)
    listed = await ruth.get(ROOT_TOKENS)
    assert [t["metadata"]["name"] for t in listed.body["items"]] == [mine.body["metadata"]["name"]]


async def test_discovery_and_openapi_at_the_root(api):
    groups = await api.get("/apis")
    assert groups.body["kind"] == "APIGroupList"
    assert "ext.cattle.io" in [g["name"] for g in groups.body["groups"]]
    resources = await api.get("/apis/ext.cattle.io/v1")
    assert [r["name"] for r in resources.body["resources"]] == ["tokens"]
    v3 = await api.get("/openapi/v3")
    url = v3.body["paths"]["apis/ext.cattle.io/v1"]["serverRelativeURL"]
    doc = await api.get(url)
    assert "/apis/ext.cattle.io/v1/tokens/{name}" in doc.body["paths"]
    v2 = await api.get("/openapi/v2", headers={"Accept": "application/json"})
    assert v2.body["swagger"] == "2.0"
    assert "io.cattle.ext.v1.Token" in v2.body["definitions"]
    assert "#/components/" not in str(v2.body)


async def test_openapi_v2_as_protobuf_only_is_not_acceptable(api):
    reply = await api.get("/openapi/v2", headers={
        "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
    assert reply.status == 406 and reply.body["kind"] == "Status"


async def test_the_root_needs_a_credential_and_remote_user_headers_are_not_one(api):
    """X-Remote-User means something only with a front proxy's client certificate."""
    anonymous = api.as_(None)
    reply = await anonymous.get(ROOT_TOKENS, headers={"X-Remote-User": api.admin_id})
    assert reply.status == 401 and reply.body["kind"] == "Status"
    assert (await anonymous.get("/apis")).status == 401


async def test_a_token_scoped_to_a_cluster_is_refused_at_the_root(make_api, config):
    api = await make_api(config, clusters=("local", "other"))
    scoped = api.as_((await api.new_token(clusterId="local"))["token"])
    assert (await scoped.get(ROOT_TOKENS)).status == 401
    assert (await scoped.get(f"/k8s/clusters/local{ROOT_TOKENS}")).status == 200
