"""The real kubectl against a live token-shim over HTTPS, trusting only the embedded CA."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.live import LiveServer, require_tool

pytestmark = pytest.mark.e2e

PLUGIN = str(Path(sys.executable).parent / "token-shim")
USER_PASSWORD = "user-password-1"


class Kubectl:
    """Runs kubectl in its own session (no terminal to prompt on) with a private HOME."""

    def __init__(self, binary: str, home: Path) -> None:
        self.binary = binary
        self.home = home

    def __call__(self, kubeconfig: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
        environ = {"PATH": "/usr/bin:/bin", "HOME": str(self.home), **env}
        return subprocess.run(
            [self.binary, f"--kubeconfig={kubeconfig}", "--request-timeout=20s", *args],
            capture_output=True, text=True, env=environ, timeout=60, start_new_session=True,
        )

    def whoami(self, kubeconfig: Path, **env: str) -> subprocess.CompletedProcess:
        return self(kubeconfig, "auth", "whoami", **env)


@pytest.fixture(scope="module")
def kubectl(tmp_path_factory) -> Kubectl:
    binary = require_tool("kubectl", "install kubectl >= 1.28 (https://kubernetes.io/docs/tasks/tools/)")
    return Kubectl(binary, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("server")
    live = LiveServer(
        workdir, "--tls-self-signed", scheme="https", ca_file=workdir / "tls" / "ca.pem",
        env={"TOKEN_SHIM_CLUSTERS": "local,other", "TOKEN_SHIM_EXEC_COMMAND": PLUGIN},
    ).start()
    live.admin = live.login()
    yield live
    live.stop()


def new_user(server: LiveServer, username: str) -> tuple[str, str]:
    """(user id, session bearer) of a fresh user."""
    status, user = server.call("POST", "/v3/users", {"username": username, "password": USER_PASSWORD},
                               bearer=server.admin)
    assert status == 201, user
    return user["id"], server.login(username, USER_PASSWORD)


def kubeconfig(server: LiveServer, bearer: str, path: Path, cluster: str = "local") -> Path:
    status, body = server.call("POST", f"/v3/clusters/{cluster}?action=generateKubeconfig",
                               bearer=bearer)
    assert status == 200, body
    path.write_text(body["config"])
    return path


def names(result: subprocess.CompletedProcess, username: str) -> bool:
    return result.returncode == 0 and re.search(rf"^Username\s+{username}$", result.stdout, re.M)


def unauthorized(result: subprocess.CompletedProcess) -> bool:
    return result.returncode != 0 and "(Unauthorized)" in result.stderr


def bearer_of(path: Path) -> str:
    return yaml.safe_load(path.read_text())["users"][0]["user"]["token"]


def test_kubeconfig_token_names_its_user_over_verified_tls(server, kubectl, tmp_path):
    admin = kubeconfig(server, server.admin, tmp_path / "admin.yaml")
    _, ruth_session = new_user(server, "ruth")
    ruth = kubeconfig(server, ruth_session, tmp_path / "ruth.yaml")
    assert "insecure" not in admin.read_text()
    assert names(kubectl.whoami(admin), "admin")
    assert names(kubectl.whoami(ruth), "ruth")


def test_an_expired_kubeconfig_token_is_unauthorized(server, kubectl, tmp_path):
    _, session = new_user(server, "tess")
    made = time.monotonic()
    config = kubeconfig(server, session, tmp_path / "tess.yaml")
    assert names(kubectl.whoami(config), "tess")
    token_id = bearer_of(config).split(":")[0]
    status, body = server.call("PUT", f"/v3/tokens/{token_id}", {"ttl": 1500}, bearer=server.admin)
    assert status == 200 and body["ttl"] == 1500, body
    time.sleep(max(0.0, made + 2.0 - time.monotonic()))
    assert unauthorized(kubectl.whoami(config))


def test_a_disabled_user_is_unauthorized_until_enabled_again(server, kubectl, tmp_path):
    sam_id, session = new_user(server, "sam")
    config = kubeconfig(server, session, tmp_path / "sam.yaml")
    assert names(kubectl.whoami(config), "sam")
    assert server.call("PUT", f"/v3/users/{sam_id}", {"enabled": False}, bearer=server.admin)[0] == 200
    assert unauthorized(kubectl.whoami(config))
    assert server.call("PUT", f"/v3/users/{sam_id}", {"enabled": True}, bearer=server.admin)[0] == 200
    assert names(kubectl.whoami(config), "sam")


def test_a_cluster_scoped_token_works_only_on_its_cluster(server, kubectl, tmp_path):
    status, token = server.call("POST", "/v3/tokens", {"clusterId": "other"}, bearer=server.admin)
    assert status == 201, token
    for cluster in ("local", "other"):
        path = kubeconfig(server, server.admin, tmp_path / f"{cluster}.yaml", cluster)
        path.write_text(path.read_text().replace(bearer_of(path), token["token"]))
    assert unauthorized(kubectl.whoami(tmp_path / "local.yaml"))
    assert names(kubectl.whoami(tmp_path / "other.yaml"), "admin")


@pytest.fixture
def exec_mode(server):
    setting = "/v3/settings/kubeconfig-generate-token"
    assert server.call("PUT", setting, {"value": "false"}, bearer=server.admin)[0] == 200
    yield
    assert server.call("DELETE", setting, bearer=server.admin)[0] == 204


def kubeconfig_tokens(server: LiveServer, user_id: str) -> int:
    status, body = server.call("GET", f"/v3/tokens?kind=kubeconfig&userId={user_id}",
                               bearer=server.admin)
    assert status == 200, body
    return len(body["data"])


def test_exec_plugin_logs_in_once_then_uses_its_cache(server, kubectl, tmp_path, exec_mode):
    erin_id, session = new_user(server, "erin")
    config = kubeconfig(server, session, tmp_path / "erin.yaml")
    assert "token:" not in config.read_text() and kubeconfig_tokens(server, erin_id) == 0
    env = {"TOKEN_SHIM_CACHE_DIR": str(tmp_path / "cache"), "TOKEN_SHIM_PASSWORD": USER_PASSWORD}
    assert names(kubectl.whoami(config, **env), "erin")
    assert kubeconfig_tokens(server, erin_id) == 1
    assert names(kubectl.whoami(config, **env), "erin")
    assert kubeconfig_tokens(server, erin_id) == 1
    assert (tmp_path / "cache" / "tokens.json").stat().st_mode & 0o777 == 0o600


def test_exec_plugin_logs_in_again_when_its_cache_entry_expired(server, kubectl, tmp_path,
                                                                exec_mode):
    fay_id, session = new_user(server, "fay")
    config = kubeconfig(server, session, tmp_path / "fay.yaml")
    env = {"TOKEN_SHIM_CACHE_DIR": str(tmp_path / "cache"), "TOKEN_SHIM_PASSWORD": USER_PASSWORD}
    assert names(kubectl.whoami(config, **env), "fay")
    cache = tmp_path / "cache" / "tokens.json"
    document = json.loads(cache.read_text())
    document["entries"][0]["expirationTimestamp"] = "2001-01-01T00:00:00Z"
    cache.write_text(json.dumps(document))
    assert names(kubectl.whoami(config, **env), "fay")
    assert kubeconfig_tokens(server, fay_id) == 2


def test_exec_plugin_without_password_or_terminal_fails_clearly(server, kubectl, tmp_path,
                                                                exec_mode):
    gus_id, session = new_user(server, "gus")
    config = kubeconfig(server, session, tmp_path / "gus.yaml")
    result = kubectl.whoami(config, TOKEN_SHIM_CACHE_DIR=str(tmp_path / "cache"))
    assert result.returncode != 0
    assert "no terminal to ask for the password; set TOKEN_SHIM_PASSWORD" in result.stderr
    assert kubeconfig_tokens(server, gus_id) == 0


def test_self_signed_ca_is_kept_across_restarts(kubectl, tmp_path):
    live = LiveServer(tmp_path, "--tls-self-signed", scheme="https",
                      ca_file=tmp_path / "tls" / "ca.pem").start()
    config = kubeconfig(live, live.login(), tmp_path / "admin.yaml")
    ca = (tmp_path / "tls" / "ca.pem").read_bytes()
    live.stop()
    again = LiveServer(tmp_path, "--tls-self-signed", scheme="https", db=live.db,
                       ca_file=tmp_path / "tls" / "ca.pem").start()
    try:
        assert (tmp_path / "tls" / "ca.pem").read_bytes() == ca
        config.write_text(config.read_text().replace(live.url, again.url))  # a new free port
        assert names(kubectl.whoami(config), "admin")
    finally:
        again.stop()
