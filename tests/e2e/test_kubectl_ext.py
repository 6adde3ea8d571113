"""The real kubectl on tokens.ext.cattle.io and settings.management.cattle.io, over verified TLS."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.test_kubectl import Kubectl, kubeconfig, new_user
from tests.live import LiveServer, require_tool

pytestmark = pytest.mark.e2e

GITOPS = Path(__file__).resolve().parents[2] / "examples" / "gitops"
TOKEN = "tokens.ext.cattle.io"
TOKEN_YAML = """apiVersion: ext.cattle.io/v1
kind: Token
spec:
  description: made by kubectl
"""


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory) -> Kubectl:
    binary = require_tool("kubectl",
                          "install kubectl >= 1.28 (https://kubernetes.io/docs/tasks/tools/)")
    return Kubectl(binary, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("server")
    live = LiveServer(workdir, "--tls-self-signed", scheme="https",
                      ca_file=workdir / "tls" / "ca.pem").start()
    live.admin = live.login()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin(server, tmp_path_factory) -> Path:
    return kubeconfig(server, server.admin, tmp_path_factory.mktemp("cfg") / "admin.yaml")


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_api_resources_and_explain_come_from_discovery_and_openapi_v3(kubectl, admin):
    lines = ok(kubectl(admin, "api-resources", "--api-group=ext.cattle.io")).splitlines()
    assert lines[1].split() == ["tokens", "ext.cattle.io/v1", "false", "Token"]
    explained = ok(kubectl(admin, "explain", f"{TOKEN}.spec"))
    assert "ttl" in explained and "time-to-live in milliseconds" in explained
    description = explained.split("DESCRIPTION:")[1].split("FIELDS:")[0].split()
    half = len(description) // 2
    assert description and description[:half] != description[half:], explained  # said once
    assert "Setting" in ok(kubectl(admin, "explain", "settings.management.cattle.io"))


def test_kubectl_creates_a_token_whose_bearer_works_everywhere(server, kubectl, admin, tmp_path):
    manifest = tmp_path / "token.yaml"
    manifest.write_text(TOKEN_YAML)
    bearer = ok(kubectl(admin, "create", "-f", str(manifest), "-o",
                        "jsonpath={.status.bearerToken}"))
    owner, name, _ = bearer.removeprefix("ext/").split(":")  # ext/<user id>:<name>:<secret>
    assert owner.startswith("user-") and name.startswith("token-")
    assert server.call("GET", "/v3", bearer=bearer)[0] == 200
    assert server.call("GET", "/terraform/v1/settings", bearer=bearer)[0] == 200
    as_token = tmp_path / "ext.yaml"
    as_token.write_text(admin.read_text().replace(_bearer_in(admin), bearer))
    assert "admin" in ok(kubectl(as_token, "auth", "whoami"))

    table = ok(kubectl(admin, "get", TOKEN, "-o", "wide"))
    assert table.splitlines()[0].split() == ["NAME", "USER", "KIND", "TTL", "AGE", "DESCRIPTION"]
    assert any(line.startswith(name) and "90d" in line for line in table.splitlines())

    patched = kubectl(admin, "patch", TOKEN, name, "--type=merge", "-p",
                      '{"spec":{"enabled":false}}')
    assert f"{name} patched" in ok(patched)
    assert server.call("GET", "/v3", bearer=bearer)[0] == 401
    assert server.call("GET", "/terraform/v1/settings", bearer=bearer)[0] == 401
    assert kubectl(as_token, "auth", "whoami").returncode != 0

    assert "(server dry run)" in ok(kubectl(admin, "delete", TOKEN, name, "--dry-run=server"))
    assert ok(kubectl(admin, "get", TOKEN, name, "-o", "name")).strip() == f"token.ext.cattle.io/{name}"
    assert f'"{name}" deleted' in ok(kubectl(admin, "delete", TOKEN, name))
    gone = kubectl(admin, "get", TOKEN, name)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_another_user_does_not_see_the_token_even_with_a_label_selector(server, kubectl, admin,
                                                                       tmp_path):
    manifest = tmp_path / "t.yaml"
    manifest.write_text(TOKEN_YAML)
    ok(kubectl(admin, "create", "-f", str(manifest)))
    admin_id = server.call("GET", "/v3", bearer=server.admin)[1]["userId"]
    _, session = new_user(server, "kube-ext-ruth")
    ruth = kubeconfig(server, session, tmp_path / "ruth.yaml")
    for args in ([], ["-l", f"cattle.io/user-id={admin_id}"]):
        listed = kubectl(ruth, "get", TOKEN, *args)
        assert listed.returncode == 0 and "No resources found" in listed.stderr, listed


def test_gitops_apply_twice_is_unchanged_and_diff_is_clean(server, kubectl, admin, tmp_path):
    repo = tmp_path / "gitops"
    shutil.copytree(GITOPS, repo)
    first = ok(kubectl(admin, "apply", "-f", str(repo)))
    assert "token.ext.cattle.io/ci-deployer created" in first
    assert "setting.management.cattle.io/auth-token-max-ttl-minutes configured" in first
    second = ok(kubectl(admin, "apply", "-f", str(repo)))
    assert second.count("unchanged") == 3, second
    assert kubectl(admin, "diff", "-f", str(repo)).returncode == 0
    tokens = server.call("GET", "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens",
                         bearer=server.admin)[1]["items"]
    assert [t["metadata"]["name"] for t in tokens].count("ci-deployer") == 1

    # an out-of-band change shows up in the diff, and apply puts it back
    setting = "/v3/settings/auth-token-max-ttl-minutes"
    assert server.call("PUT", setting, {"value": "50000"}, bearer=server.admin)[0] == 200
    drift = kubectl(admin, "diff", "-f", str(repo))
    assert drift.returncode == 1 and "50000" in drift.stdout and "43200" in drift.stdout
    ok(kubectl(admin, "apply", "-f", str(repo)))
    assert kubectl(admin, "diff", "-f", str(repo)).returncode == 0


def test_server_side_apply_is_idempotent_too(server, kubectl, admin, tmp_path):
    repo = tmp_path / "gitops"
    shutil.copytree(GITOPS, repo)
    (repo / "tokens.yaml").write_text((repo / "tokens.yaml").read_text().replace(
        "ci-deployer", "ssa-deployer"))
    for _ in range(2):
        ok(kubectl(admin, "apply", "--server-side", "-f", str(repo)))
    assert kubectl(admin, "diff", "--server-side", "-f", str(repo)).returncode == 0
    tokens = server.call("GET", "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens",
                         bearer=server.admin)[1]["items"]
    assert [t["metadata"]["name"] for t in tokens].count("ssa-deployer") == 1


def test_two_users_apply_one_manifest_and_an_admin_tells_their_tokens_apart(
        server, kubectl, admin, tmp_path):
    """Names are per user: neither blocks nor sees the other's; an admin names another
    user's token <user id>:<name>, and kubectl takes that name as it is."""
    manifest = tmp_path / "shared.yaml"
    manifest.write_text((GITOPS / "tokens.yaml").read_text().replace("ci-deployer", "shared"))
    users = {}
    for username in ("kube-ext-una", "kube-ext-ugo"):
        user_id, session = new_user(server, username)
        users[user_id] = kubeconfig(server, session, tmp_path / f"{username}.yaml")
        assert "token.ext.cattle.io/shared created" in ok(kubectl(users[user_id], "apply", "-f",
                                                                  str(manifest)))
        assert "unchanged" in ok(kubectl(users[user_id], "apply", "-f", str(manifest)))
    first, second = users
    listed = ok(kubectl(admin, "get", TOKEN, "-o", "name")).split()
    assert {f"token.ext.cattle.io/{first}:shared", f"token.ext.cattle.io/{second}:shared"} <= set(
        listed)
    assert f'"{first}:shared" deleted' in ok(kubectl(admin, "delete", TOKEN, f"{first}:shared"))
    assert "NotFound" in kubectl(users[first], "get", TOKEN, "shared").stderr
    assert ok(kubectl(users[second], "get", TOKEN, "shared", "-o", "name")).strip() == (
        "token.ext.cattle.io/shared")


def test_an_invalid_setting_value_prints_the_rule_and_changes_nothing(server, kubectl, admin,
                                                                     tmp_path):
    before = server.call("GET", "/v3/settings/auth-user-session-ttl-minutes",
                         bearer=server.admin)[1]["value"]
    manifest = tmp_path / "bad.yaml"
    manifest.write_text("apiVersion: management.cattle.io/v3\nkind: Setting\nmetadata:\n"
                        "  name: auth-user-session-ttl-minutes\nvalue: \"-3\"\n")
    result = kubectl(admin, "apply", "-f", str(manifest))
    assert result.returncode != 0
    assert 'The Setting "auth-user-session-ttl-minutes" is invalid' in result.stderr
    assert "value: Invalid value" in result.stderr
    after = server.call("GET", "/v3/settings/auth-user-session-ttl-minutes",
                        bearer=server.admin)[1]["value"]
    assert after == before


def _bearer_in(config: Path) -> str:
    import yaml

    return yaml.safe_load(config.read_text())["users"][0]["user"]["token"]


def test_kubectl_get_watch_prints_a_token_made_meanwhile(server, kubectl, admin):
    """`kubectl get -w` lists, then watches from the list: a token created on the v3 face
    shows up as a new row (fed by the change feed; 405 before)."""
    watcher = subprocess.Popen(
        [kubectl.binary, f"--kubeconfig={admin}", "get", TOKEN, "-w", "--request-timeout=30s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(kubectl.home)})
    try:
        time.sleep(3)  # the list is printed and the watch open
        status, made = server.call("POST", "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens",
                                   {"apiVersion": "ext.cattle.io/v1", "kind": "Token",
                                    "metadata": {"name": "watched"}, "spec": {}},
                                   bearer=server.admin)
        assert status == 201, made
        deadline = time.monotonic() + 20
        seen = ""
        while "watched" not in seen and time.monotonic() < deadline:
            seen += watcher.stdout.readline()
        assert "watched" in seen, (seen, watcher.stderr.read() if watcher.poll() else "")
    finally:
        watcher.terminate()
        watcher.wait(10)
