"""Rancher's own Python client (PyPI rancher-client-python-3p 0.2.0, module `rancher`),
unmodified, against a real `token-shim serve` on a real port.

The client is synchronous (requests): it loads the types from GET /v3 -> X-API-Schemas ->
GET /v3/schemas, then binds list_/by_id_/create_/update_by_id_ per type from the schemas'
methods, and writes through links.self and actions.
"""

import pytest
import rancher

from tests.live import LiveServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("rancher-client")).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(server):
    return rancher.Client(url=f"{server.url}/v3", token=server.login())


def test_client_loads_the_schemas_and_binds_the_types(admin):
    assert admin.valid()
    assert {"token", "setting", "cluster", "project", "user"} <= set(admin.schema.types)
    for name in ("list_token", "by_id_token", "create_token", "update_by_id_token",
                 "list_setting", "update_by_id_setting", "list_cluster", "list_project"):
        assert callable(getattr(admin, name)), name


def test_token_create_read_list_update_delete(server, admin):
    made = admin.create_token(description="from the python client", ttl=3_600_000)
    assert made.type == "token" and ":" in made.token  # the secret, shown once
    assert made.enabled is True and made.ttl == 3_600_000
    read = admin.by_id_token(made.id)
    assert read.id == made.id and read.description == "from the python client"
    assert not hasattr(read, "token")  # never shown again
    assert made.id in [t.id for t in admin.list_token()]
    assert made.id in [t.id for t in admin.list_token(description="from the python client")]
    changed = admin.update(read, description="renamed")
    assert changed.description == "renamed"
    assert admin.by_id_token(made.id).description == "renamed"
    # the new token works as a client of its own
    own = rancher.Client(url=f"{server.url}/v3", token=made.token)
    assert own.by_id_token(made.id).id == made.id
    admin.delete(changed)
    assert admin.by_id_token(made.id) is None  # Norman's 404 (an integer status) -> None


def test_setting_update_through_links_self(admin):
    setting = admin.by_id_setting("auth-token-max-ttl-minutes")
    assert setting.value == "129600"
    changed = admin.update(setting, value="600")
    assert changed.value == "600" and changed.source == "db"
    assert admin.by_id_setting("auth-token-max-ttl-minutes").value == "600"
    admin.update_by_id_setting("auth-token-max-ttl-minutes", value="")  # back to the default
    assert admin.by_id_setting("auth-token-max-ttl-minutes").value == "129600"
    assert admin.by_id_setting("server-version").value == "v2.13.0"
    with pytest.raises(rancher.ApiError) as refused:
        admin.update(admin.by_id_setting("server-version"), value="v9")
    assert refused.value.error.code == "MethodNotAllow" and refused.value.error.status == 405


def test_generate_kubeconfig_action_on_a_cluster(admin):
    cluster = admin.by_id_cluster("local")
    output = admin.action(cluster, "generateKubeconfig")
    assert output.type == output.baseType == "generateKubeConfigOutput"
    assert "clusters:" in output.config and "local" in output.config


def test_projects_as_the_cli_looks_them_up(admin):
    projects = list(admin.list_project())
    assert [p.name for p in projects] == ["Default"]
    assert admin.by_id_project(projects[0].id).clusterId == "local"


def test_a_wrong_secret_is_refused(server, admin):
    made = admin.create_token(description="for a wrong secret")
    token_id = made.token.split(":")[0]
    with pytest.raises(rancher.ApiError) as refused:
        rancher.Client(url=f"{server.url}/v3", token=f"{token_id}:not-the-secret")
    assert refused.value.error.message == "Unauthorized 401: must authenticate"
    assert refused.value.error.status == "401"  # Rancher's filter: a string


def test_a_non_admin_client_gets_no_setting_writes(server, admin):
    admin.create_user(username="pyuser", password="pyuser-password-1")
    status, body = server.call("POST", "/v3-public/localProviders/local?action=login",
                               {"username": "pyuser", "password": "pyuser-password-1"})
    assert status == 201
    user = rancher.Client(url=f"{server.url}/v3", token=body["token"])
    assert not hasattr(user, "update_by_id_setting") and not hasattr(user, "create_user")
    assert hasattr(user, "create_token")
