"""/k8s/clusters/<id>/: what kubectl needs, with Kubernetes Status errors."""

import pytest

K8S = "/k8s/clusters/local"
WHOAMI = f"{K8S}/apis/authentication.k8s.io/v1/selfsubjectreviews"
UNAUTHORIZED = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
    "message": "Unauthorized", "reason": "Unauthorized", "code": 401,
}


async def test_whoami_names_the_user_behind_the_token(api):
    ruth = await api.new_user("ruth")
    reply = await ruth.post(WHOAMI, {"kind": "SelfSubjectReview"})
    assert reply.status == 201
    assert reply.body["kind"] == "SelfSubjectReview"
    assert reply.body["apiVersion"] == "authentication.k8s.io/v1"
    assert reply.body["status"]["userInfo"] == {
        "username": "ruth", "uid": ruth.user_id, "groups": ["system:authenticated"],
        "extra": {"token-id": [ruth.bearer.split(":")[0]]},
    }


@pytest.mark.parametrize("bearer", [None, "token-zzzzz:nope"])
async def test_missing_or_bad_credentials_get_the_kubernetes_401(api, bearer):
    reply = await api.as_(bearer).post(WHOAMI)
    assert reply.status == 401 and reply.body == UNAUTHORIZED


async def test_a_disabled_users_token_is_unauthorized(api):
    ruth = await api.new_user("ruth")
    assert (await api.put(f"/v3/users/{ruth.user_id}", {"enabled": False})).status == 200
    assert (await ruth.post(WHOAMI)).body == UNAUTHORIZED


async def test_a_cluster_scoped_token_works_only_on_its_cluster(make_api, config):
    api = await make_api(config, clusters=("local", "other"))
    scoped = api.as_((await api.new_token(clusterId="other"))["token"])
    assert (await scoped.post(WHOAMI)).status == 401
    assert (await scoped.post(WHOAMI.replace("/local/", "/other/"))).status == 201


async def test_unknown_cluster_is_a_404_status(api):
    reply = await api.get("/k8s/clusters/nowhere/version")
    assert reply.status == 404
    assert reply.body["kind"] == "Status" and reply.body["reason"] == "NotFound"
    assert reply.body["code"] == 404


@pytest.mark.parametrize("path", ["/api/v1", "/api/v1/pods", "/apis/apps/v1", "/apis/apps"])
async def test_what_is_not_served_is_a_404_status(api, path):
    reply = await api.get(K8S + path)
    assert reply.status == 404 and reply.body["kind"] == "Status" and reply.body["code"] == 404


async def test_wrong_method_is_a_405_status(api):
    reply = await api.delete(WHOAMI)
    assert reply.status == 405 and reply.body["kind"] == "Status"


async def test_version_looks_like_a_kubernetes_server(api):
    body = (await api.get(f"{K8S}/version")).body
    assert body["major"] == "1" and body["gitVersion"].startswith("v1.")
    assert {"minor", "platform", "goVersion", "compiler", "buildDate"} <= set(body)


async def test_discovery_announces_the_table_of_resources(api):
    assert (await api.get(f"{K8S}/api")).body["versions"] == []
    group_list = (await api.get(f"{K8S}/apis")).body
    assert group_list["kind"] == "APIGroupList"
    assert [g["name"] for g in group_list["groups"]] == [
        "ext.cattle.io", "management.cattle.io", "authentication.k8s.io"]
    group = (await api.get(f"{K8S}/apis/authentication.k8s.io")).body
    assert group["preferredVersion"]["groupVersion"] == "authentication.k8s.io/v1"
    resources = (await api.get(f"{K8S}/apis/authentication.k8s.io/v1")).body
    assert resources["kind"] == "APIResourceList"
    assert [(r["name"], r["verbs"]) for r in resources["resources"]] == [
        ("selfsubjectreviews", ["create"])]
    tokens = (await api.get(f"{K8S}/apis/ext.cattle.io/v1")).body["resources"]
    assert tokens == [{
        "name": "tokens", "singularName": "token", "namespaced": False, "group": "ext.cattle.io",
        "version": "v1", "kind": "Token",
        "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update",
                  "watch"]}]
    management = (await api.get(f"{K8S}/apis/management.cattle.io/v3")).body["resources"]
    assert [(r["name"], r["kind"]) for r in management] == [
        ("settings", "Setting"), ("features", "Feature")]
