"""Norman's conventions on the v3 face: /ping, X-API-Schemas, generated schemas, envelopes,
errors, and the read-only settings, projects and /v1 that Rancher's clients read."""

from shim.faces.v3 import table
from shim.faces.v3.norman import norman_type, nullable
from shim.schemas import Schemas

WRONG_SECRET = "Unauthorized 401: must authenticate"


async def test_ping_answers_pong_as_text_to_anyone(api):
    reply = await api.as_("token-x:wrong").get("/ping")
    assert reply.status == 200 and reply.body == "pong"
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert "X-API-Schemas" not in reply.headers


async def test_every_v3_answer_names_the_schemas_but_the_auth_filters_401(api):
    base = str(api.client.make_url("")).rstrip("/")
    for path in ("/v3", "/v3/tokens", "/v3/settings/cacerts", "/v3/tokens/token-zzzzz"):
        reply = await api.get(path)
        assert reply.headers["X-API-Schemas"] == f"{base}/v3/schemas", path
    refused = await api.as_(None).get("/v3/tokens")
    assert refused.status == 401 and "X-API-Schemas" not in refused.headers
    assert refused.body == {"type": "error", "status": "401", "message": WRONG_SECRET}


async def test_v1_root_answers_with_its_schemas_header_and_unknown_v1_public_paths_are_404(api):
    base = str(api.client.make_url("")).rstrip("/")
    root = await api.get("/v1")
    assert root.status == 200 and root.headers["X-API-Schemas"] == f"{base}/v1/schemas"
    schemas = await api.get("/v1/schemas")
    assert schemas.status == 200 and schemas.body["resourceType"] == "schema"
    missing = await api.as_(None).get("/v1-public/authtokens/unknown")
    assert missing.status == 404  # so the Rancher CLI 2.14+ falls back to /v3-public


async def test_schema_collection_describes_every_type_with_norman_keys(api):
    reply = await api.get("/v3/schemas")
    assert reply.status == 200 and reply.body["resourceType"] == "schema"
    schemas = {s["id"]: s for s in reply.body["data"]}
    assert {"token", "setting", "feature", "user", "cluster", "project", "schema", "authProvider",
            "generateKubeConfigOutput", "setPasswordInput", "changePasswordInput"} <= set(schemas)
    token = schemas["token"]
    assert token["type"] == token["baseType"] == "schema" and token["pluralName"] == "tokens"
    assert token["resourceMethods"] == ["PUT", "DELETE", "GET"]
    assert token["collectionMethods"] == ["POST", "GET"]
    assert set(token["collectionActions"]) == {"logout", "logoutAll"}
    assert token["links"]["collection"].endswith("/v3/tokens")
    assert token["collectionFilters"]["userId"] == {"modifiers": ["eq"]}
    assert schemas["cluster"]["resourceActions"] == {
        "generateKubeconfig": {"output": "generateKubeConfigOutput"}}
    one = await api.get("/v3/schemas/TOKEN")  # ids match case-insensitively, as in Norman
    assert one.status == 200 and one.body == token
    assert (await api.get("/v3/schemas/nope")).status == 404


async def test_schemas_follow_the_callers_rights(api):
    user = await api.new_user("nora")
    admin_setting = (await api.get("/v3/schemas/setting")).body
    user_setting = (await user.get("/v3/schemas/setting")).body
    assert admin_setting["resourceMethods"] == ["PUT", "DELETE", "GET"]
    assert user_setting["resourceMethods"] == ["GET"]
    assert "POST" not in user_setting["collectionMethods"]
    users = (await user.get("/v3/schemas/user")).body
    assert "setpassword" not in users.get("resourceActions", {})
    assert "changepassword" in users["collectionActions"]


async def test_links_and_create_types_follow_the_callers_rights(api):
    user = await api.new_user("olga")
    name = "auth-token-max-ttl-minutes"
    assert set((await api.get(f"/v3/settings/{name}")).body["links"]) == {
        "self", "update", "remove"}
    assert set((await user.get(f"/v3/settings/{name}")).body["links"]) == {"self"}
    assert (await user.get("/v3/settings")).body["createTypes"] == {}
    assert (await user.get("/v3/settings")).body["pagination"] == {"limit": 1000}
    mine = await user.new_token(description="mine")
    assert set(mine["links"]) == {"self", "update", "remove"}
    tokens = (await user.get("/v3/tokens")).body
    assert tokens["createTypes"] == {"token": tokens["links"]["self"]}
    assert set(tokens["actions"]) == {"logout", "logoutAll"}
    assert {"pagination", "sort", "filters", "resourceType"} <= set(tokens)
    assert tokens["pagination"]["limit"] == 1000 and tokens["resourceType"] == "token"


def _declared():
    """(type, methods at the collection, methods at the resource) from the table."""
    found = {}
    for op in table.OPERATIONS:
        if op.type and op.path.startswith("/v3/"):
            level = "collection" if op.is_collection else "resource"
            creates = op.method != "post" or (op.is_collection and op.creates)
            if creates:
                found.setdefault(op.type, {"collection": set(), "resource": set()})
                found[op.type][level].add(op.method.upper())
    return found


async def test_every_openapi_operation_has_a_norman_schema_with_matching_methods(api):
    doc = (await api.get("/openapi.json")).body
    schemas = {s["id"]: s for s in (await api.get("/v3/schemas")).body["data"]}
    by_plural = {s["pluralName"]: s for s in schemas.values() if "links" in s}
    checked = 0
    for path, ops in doc["paths"].items():
        if not path.startswith("/v3/") or path == "/v3/subscribe":  # a websocket, not a type
            continue
        plural = path.split("/")[2]
        schema = by_plural[plural]
        for method, operation in ops.items():
            actions = [p for p in operation.get("parameters", []) if p["name"] == "action"]
            if actions and actions[0]["required"]:  # answers ?action= only
                names = actions[0]["schema"].get("enum") or [actions[0]["schema"]["const"]]
                key = "resourceActions" if "{" in path else "collectionActions"
                assert set(names) <= set(schema[key]), (path, method)
            else:
                level = "resourceMethods" if "{" in path else "collectionMethods"
                assert method.upper() in schema.get(level, []), (path, method)
            checked += 1
    for type_name, levels in _declared().items():
        assert set(schemas[type_name].get("collectionMethods", [])) == levels["collection"]
        assert set(schemas[type_name].get("resourceMethods", [])) == levels["resource"]
    assert checked >= 20


async def test_every_resource_field_matches_the_json_schema_it_came_from(api):
    documents = Schemas().documents
    catalog_types = dict(table.EMBEDDED_TYPES)
    for op in table.OPERATIONS:
        if op.type and op.method == "get" and not op.is_collection:
            catalog_types[op.type] = op.ok[200]
    for schema in (await api.get("/v3/schemas")).body["data"]:
        source = documents[catalog_types[schema["id"]]]["properties"]
        assert set(schema["resourceFields"]) == set(source) - {
            "id", "type", "baseType", "links", "actions"}, schema["id"]
        for name, field in schema["resourceFields"].items():
            prop = source[name]
            assert field["type"] == norman_type(prop), (schema["id"], name)
            assert field.get("nullable", False) == nullable(prop), (schema["id"], name)
            if "enum" in prop:
                assert field["options"] == [v for v in prop["enum"] if v is not None]
            expected = {"string": "string", "integer": "int", "boolean": "boolean"}
            kind = prop.get("type")
            kind = [k for k in kind if k != "null"][0] if isinstance(kind, list) else kind
            if kind in expected and "x-norman-type" not in prop and "enum" not in prop:
                assert field["type"] == expected[kind], (schema["id"], name)
            if "x-norman-type" in prop:
                assert field["type"] == prop["x-norman-type"]


async def test_create_and_update_flags_come_from_the_body_schemas(api):
    documents = Schemas().documents
    token = (await api.get("/v3/schemas/token")).body["resourceFields"]
    create = documents["v3/token-create"]["properties"]
    update = documents["v3/token-update"]["properties"]
    for name, field in token.items():
        assert field["create"] == (name in create) and field["update"] == (name in update), name
    assert token["description"]["maxLength"] == create["description"]["maxLength"]
    setting = (await api.get("/v3/schemas/setting")).body["resourceFields"]
    assert setting["value"]["update"] and not setting["customized"]["update"]


async def test_kubeconfig_action_answers_capital_c_output(api):
    cluster = (await api.get("/v3/clusters/local")).body
    assert cluster["actions"]["generateKubeconfig"].endswith(
        "/v3/clusters/local?action=generateKubeconfig")
    reply = await api.post("/v3/clusters/local?action=generateKubeconfig")
    assert reply.status == 200
    assert reply.body["type"] == reply.body["baseType"] == "generateKubeConfigOutput"


async def test_read_only_settings_clients_read(api):
    version = (await api.get("/v3/settings/server-version")).body
    assert version["value"] == "v2.13.0" and "update" not in version["links"]
    kube = (await api.get("/k8s/clusters/local/version")).body["gitVersion"]
    assert (await api.get("/v3/settings/k8s-version")).body["value"] == kube
    assert (await api.get("/v3/settings/cacerts")).body["value"] == ""
    for name in ("server-version", "k8s-version", "cacerts"):
        reply = await api.put(f"/v3/settings/{name}", {"value": "x"})
        assert reply.status == 405 and reply.body["code"] == "MethodNotAllow", name
        assert reply.body["message"] == f"{name} is readOnly"


async def test_server_version_is_configurable(make_api, config):
    api = await make_api(config, server_version="v2.12.3")
    assert (await api.get("/v3/settings/server-version")).body["value"] == "v2.12.3"


async def test_creating_an_unmanaged_setting_names_the_managed_ones(api):
    reply = await api.post("/v3/settings", {"name": "ui-brand", "value": "x"})
    assert reply.status == 422 and reply.body["fieldName"] == "name"
    assert "auth-token-max-ttl-minutes" in reply.body["message"]
    assert "ui-brand" not in {s["id"] for s in (await api.get("/v3/settings")).body["data"]}
    again = await api.post("/v3/settings", {"name": "auth-token-max-ttl-minutes", "value": "5"})
    assert again.status == 409


async def test_projects_one_default_per_cluster_with_a_stable_id(make_api, config):
    api = await make_api(config, clusters=("local", "c-abcde"))
    body = (await api.get("/v3/projects")).body
    ids = {p["clusterId"]: p["id"] for p in body["data"]}
    assert set(ids) == {"local", "c-abcde"}
    assert ids["local"].startswith("local:p-") and len(ids["local"]) == len("local:p-") + 5
    assert all(p["name"] == "Default" for p in body["data"])
    one = await api.get(f"/v3/projects/{ids['c-abcde']}")
    assert one.status == 200 and one.body["clusterId"] == "c-abcde"
    again = await make_api(config, clusters=("local",))
    assert (await again.get("/v3/projects")).body["data"][0]["id"] == ids["local"]
    by_name = (await api.get("/v3/projects?clusterId=local&name=Default")).body["data"]
    assert [p["id"] for p in by_name] == [ids["local"]]
    assert (await api.get("/v3/projects/local:p-zzzzz")).status == 404


async def test_a_wrong_method_is_norman_method_not_allow(api):
    reply = await api.request("PATCH", "/v3/tokens")
    assert reply.status == 405 and reply.body["code"] == "MethodNotAllow"
    assert reply.body["baseType"] == "error" and reply.body["status"] == 405


async def test_failed_login_is_ranchers_authentication_failed(api):
    reply = await api.login("admin", "wrong-password-1")
    assert reply.status == 401
    assert reply.body == {"code": "Unauthorized", "status": 401,
                          "message": "authentication failed", "type": "error",
                          "baseType": "error"}


async def test_tokens_keep_labels_and_annotations_and_always_carry_enabled(api):
    made = await api.new_token(description="tf", labels={"team": "a"},
                               annotations={"note": "x"}, links=None, actions=None)
    assert made["labels"]["team"] == "a" and made["annotations"] == {"note": "x"}
    assert made["labels"]["authn.management.cattle.io/token-userId"] == api.admin_id
    assert made["enabled"] is True
    read = (await api.get(f"/v3/tokens/{made['id']}")).body
    assert read["labels"] == made["labels"] and read["annotations"] == {"note": "x"}
    changed = await api.put(f"/v3/tokens/{made['id']}", {
        "labels": {"team": "b", "authn.management.cattle.io/token-userId": "someone-else"},
        "annotations": {}})
    assert changed.status == 200
    assert changed.body["labels"] == {"team": "b",
                                      "authn.management.cattle.io/token-userId": api.admin_id}
    assert changed.body["annotations"] == {}
    listed = (await api.get("/v3/tokens?description=tf")).body["data"]
    assert [t["labels"]["team"] for t in listed] == ["b"]


async def test_label_values_must_be_strings(api):
    reply = await api.post("/v3/tokens", {"labels": {"team": 5}})
    assert reply.status == 422 and reply.body["fieldName"] == "labels.team"
