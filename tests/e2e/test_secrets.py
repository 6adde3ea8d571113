"""No secret at rest or in logs: a full scenario against a live server with DEBUG logging,
then every log line, the audit log and the SQLite files are searched for every token
secret and password used. Zero hits."""

from __future__ import annotations

import base64
import signal
import urllib.request

import pytest
import yaml

from tests.live import ADMIN_PASSWORD, LiveServer

OPS_PASSWORDS = ["ops-password-first", "ops-password-second", "ops-password-third"]
WRONG_PASSWORD = "not-the-right-password"


def get(server: LiveServer, path: str, header: tuple[str, str]) -> int:
    request = urllib.request.Request(server.url + path, headers=dict([header]))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def use(server: LiveServer, bearer: str) -> None:
    """Present the token every way the server accepts, and with a wrong secret."""
    basic = base64.b64encode(bearer.encode()).decode()
    token_id = bearer.split(":")[0]
    assert get(server, "/v3", ("Authorization", f"Bearer {bearer}")) == 200
    assert get(server, "/v3", ("Authorization", f"Basic {basic}")) == 200
    assert get(server, "/v3", ("Cookie", f"R_SESS={bearer}")) == 200
    assert get(server, f"/v3?token={bearer}", ("Authorization", f"Bearer {bearer}")) == 200
    assert get(server, "/v3", ("Authorization", f"Bearer {token_id}:{WRONG_PASSWORD}")) == 401


def scenario(server: LiveServer) -> list[str]:
    """Create, use, update and delete tokens, log in, change passwords, enable hashing.

    Returns every bearer that was handed out."""
    admin = server.login()
    call = server.call
    bearers = [admin]
    for body in ({"description": "kept"}, {"description": "deleted"}, {"ttl": 60_000}):
        status, made = call("POST", "/v3/tokens", body, bearer=admin)
        assert status == 201
        bearers.append(made["token"])
    status, tf = call("POST", "/terraform/v1/tokens", {"description": "ci", "ttl": 3_600_000},
                      bearer=admin)
    assert status == 201
    bearers.append(tf["token"])
    for bearer in bearers:
        use(server, bearer)
    kept, deleted = bearers[1].split(":")[0], bearers[2].split(":")[0]
    assert call("PUT", f"/v3/tokens/{kept}", {"description": "renamed"}, bearer=admin)[0] == 200
    assert call("PUT", f"/terraform/v1/tokens/{tf['id']}", {"description": "ci", "ttl": 60_000},
                bearer=admin)[0] == 200
    assert call("DELETE", f"/v3/tokens/{deleted}", bearer=admin)[0] == 204
    bearers += passwords_and_kubeconfig(server, admin)
    assert call("PUT", "/v3/features/token-hashing", {"value": True}, bearer=admin)[0] == 200
    status, late = call("POST", "/v3/tokens", {"description": "hashed"}, bearer=admin)
    bearers.append(late["token"])
    use(server, late["token"])
    use(server, bearers[1])  # a token from before hashing still works
    return bearers


def passwords_and_kubeconfig(server: LiveServer, admin: str) -> list[str]:
    call, first, second, third = server.call, *OPS_PASSWORDS
    status, ops = call("POST", "/v3/users", {"username": "ops", "password": first}, bearer=admin)
    assert status == 201
    session = server.login("ops", first)
    assert call("POST", "/v3/users?action=changepassword",
                {"currentPassword": first, "newPassword": second}, bearer=session)[0] == 200
    assert call("POST", f"/v3/users/{ops['id']}?action=setpassword", {"newPassword": third},
                bearer=admin)[0] == 200
    status, _ = call("POST", "/v3-public/localProviders/local?action=login",
                     {"username": "ops", "password": WRONG_PASSWORD})
    assert status == 401
    again = server.login("ops", third, responseType="cookie")
    status, out = call("POST", "/v3/clusters/local?action=generateKubeconfig", {}, bearer=again)
    assert status == 200
    kube = yaml.safe_load(out["config"])["users"][0]["user"]["token"]
    use(server, kube)
    return [session, again, kube]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_secret_or_password_in_logs_audit_log_or_database(tmp_path, log_format):
    audit = tmp_path / "audit.log"
    server = LiveServer(tmp_path, "--log-level", "debug", "--log-format", log_format,
                        "--audit-log", str(audit)).start()
    try:
        bearers = scenario(server)
    finally:
        assert server.stop(signal.SIGTERM) == 0  # closing the store checkpoints the WAL
    secrets = [b.split(":", 1)[1] for b in bearers]
    passwords = [ADMIN_PASSWORD, WRONG_PASSWORD, *OPS_PASSWORDS]
    files = [server.log_path, audit, *tmp_path.glob("shim.db*")]
    assert server.log().count("shim.access") > 30 and audit.read_text().count("\n") > 15
    hits = [(path.name, needle) for path in files for needle in secrets + passwords
            if needle.encode() in path.read_bytes()]
    assert hits == []


def test_no_secret_in_the_database_files_after_kill_9_once_hashing_is_on(tmp_path):
    """The WAL held every secret from before the switch until a clean shutdown (issue 13.4)."""
    server = LiveServer(tmp_path).start()
    try:
        bearers = scenario(server)
    finally:
        server.stop(signal.SIGKILL)
    secrets = [b.split(":", 1)[1].encode() for b in bearers]
    files = sorted(tmp_path.glob("shim.db*"))
    assert {p.name for p in files} >= {"shim.db", "shim.db-wal"}
    hits = [(p.name, s) for p in files for s in secrets if s in p.read_bytes()]
    assert hits == []
    again = LiveServer(tmp_path).start()  # and the tokens from before still work
    try:
        use(again, bearers[1])
    finally:
        again.stop(signal.SIGTERM)
