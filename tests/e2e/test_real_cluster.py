"""A real kube-apiserver (and etcd) on loopback trusting token-shim both ways:
kubectl authenticates to the cluster with token-shim tokens (TokenReview webhook), and
`tokens.ext.cattle.io` is served through the cluster by token-shim as an aggregated API.

Needs kube-apiserver and etcd (scripts/build-kube-apiserver.sh) and kubectl.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.cluster_fixtures import cluster, pki, shim, tools  # noqa: F401 (fixtures)
from tests.e2e.kube_cluster import WEBHOOK_CACHE_TTL, KubeCluster
from tests.live import LiveServer

pytestmark = pytest.mark.e2e

# kube-apiserver caches a successful token authentication for the webhook's cache TTL,
# and every successful one for 10 s more (its fixed TokenSuccessCacheTTL, no flag).
REVOCATION_DELAY = max(WEBHOOK_CACHE_TTL, 10.0) + 5.0
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "gitops"
TOKENS = "tokens.ext.cattle.io"


def new_user(shim: LiveServer, username: str) -> tuple[str, str]:
    """(user id, session bearer) of a fresh token-shim user."""
    status, made = shim.call("POST", "/v3/users", {"username": username,
                                                  "password": "user-password-1"},
                             bearer=shim.admin)
    assert status == 201, made
    return made["id"], shim.login(username, "user-password-1")


def new_token(shim: LiveServer, bearer: str, **body) -> str:
    status, made = shim.call("POST", "/v3/tokens", {"description": "kube", **body}, bearer=bearer)
    assert status == 201, made
    return made["token"]


def whoami(cluster: KubeCluster, token: str) -> subprocess.CompletedProcess:
    return cluster.kubectl(cluster.as_token(token), "auth", "whoami", "-o", "json")


def refused(done: subprocess.CompletedProcess) -> bool:
    return done.returncode != 0 and "must be logged in" in done.stderr


def test_kubectl_auth_whoami_at_the_cluster_names_the_token_shim_user(cluster, shim):
    user_id, bearer = new_user(shim, "whoami-ruth")
    done = whoami(cluster, bearer)
    assert done.returncode == 0, done.stderr
    info = json.loads(done.stdout)["status"]["userInfo"]
    assert info["username"] == user_id and info["uid"] == user_id
    assert "token-shim:users" in info["groups"] and "system:authenticated" in info["groups"]
    assert info["extra"]["requesttokenid"] == [bearer.split(":")[0]]


def refused_within(cluster: KubeCluster, token: str, seconds: float) -> float:
    """Seconds until the cluster refuses `token` (AssertionError past `seconds`)."""
    started = time.monotonic()
    while not refused(whoami(cluster, token)):
        assert time.monotonic() - started < seconds, f"still accepted after {seconds}s"
        time.sleep(0.5)
    return time.monotonic() - started


def test_dead_tokens_are_refused_by_the_cluster(cluster, shim):
    user_id, bearer = new_user(shim, "dead-sam")
    expiring = new_token(shim, bearer, ttl=2000)
    assert refused(whoami(cluster, new_token(shim, bearer, clusterId="other"))), "other cluster"
    assert refused(whoami(cluster, bearer.split(":")[0] + ":" + "x" * 54)), "wrong secret"
    time.sleep(2.5)
    assert refused(whoami(cluster, expiring)), "expired"
    revoked = new_token(shim, bearer)
    assert whoami(cluster, revoked).returncode == 0
    deleted = shim.call("DELETE", f"/v3/tokens/{revoked.split(':')[0]}", bearer=shim.admin)
    assert deleted[0] in (200, 204), deleted
    print(f"revoked token refused after {refused_within(cluster, revoked, REVOCATION_DELAY):.1f}s",
          file=sys.stderr)
    assert whoami(cluster, bearer).returncode == 0
    disabled = shim.call("PUT", f"/v3/users/{user_id}", {"enabled": False}, bearer=shim.admin)
    assert disabled[0] == 200, disabled
    refused_within(cluster, bearer, REVOCATION_DELAY)


def test_an_ext_token_authenticates_at_the_cluster(cluster, shim):
    _, bearer = new_user(shim, "ext-eve")
    status, made = shim.call("POST", "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens",
                             {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "spec": {}},
                             bearer=bearer)
    assert status == 201, made
    done = whoami(cluster, made["status"]["bearerToken"])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"]["userInfo"]["extra"]["requesttokenid"] == [
        f"{made['spec']['userID']}:{made['metadata']['name']}"]  # the stored id


def test_two_kube_users_manage_only_their_own_ext_tokens_through_the_cluster(cluster, shim):
    alice_id, alice = new_user(shim, "agg-alice")
    bob_id, bob = new_user(shim, "agg-bob")
    as_alice, as_bob = cluster.as_token(alice), cluster.as_token(bob)
    made = cluster.kubectl(as_alice, "create", "-o", "json", "-f", "-", stdin=json.dumps(
        {"apiVersion": "ext.cattle.io/v1", "kind": "Token",
         "spec": {"description": "from the cluster"}}))
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    name = created["metadata"]["name"]
    assert created["spec"]["userID"] == alice_id and created["status"]["bearerToken"]
    # alice's new ext token works at the cluster; bob sees none of alice's tokens
    assert whoami(cluster, created["status"]["bearerToken"]).returncode == 0
    listed = cluster.kubectl(as_alice, "get", TOKENS, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    alices = {t["metadata"]["name"]: t for t in json.loads(listed.stdout)["items"]}
    assert name in alices and {t["spec"]["userID"] for t in alices.values()} == {alice_id}
    assert alices[name]["status"]["current"] is False
    bobs = cluster.kubectl(as_bob, "get", TOKENS, "-o", "json")
    assert bobs.returncode == 0, bobs.stderr
    assert name not in {t["metadata"]["name"] for t in json.loads(bobs.stdout)["items"]}
    assert "NotFound" in cluster.kubectl(as_bob, "get", TOKENS, name).stderr
    assert cluster.kubectl(as_bob, "delete", TOKENS, name).returncode != 0
    deleted = cluster.kubectl(as_alice, "delete", TOKENS, name)
    assert deleted.returncode == 0 and "deleted" in deleted.stdout, deleted.stderr
    assert shim.call("GET", f"/v3/tokens/{name}", bearer=shim.admin)[0] == 404


def test_a_kube_user_token_shim_does_not_know_is_forbidden(cluster, pki):
    """A certificate user in system:masters passes the cluster's RBAC; token-shim then
    finds no user of that name (X-Remote-User) and refuses."""
    kube_admin = cluster.kubeconfig("admin-cert", cert=(pki.admin_cert, pki.admin_key))
    done = cluster.kubectl(kube_admin, "get", TOKENS)
    assert done.returncode != 0 and "Forbidden" in done.stderr
    assert 'user "kube-admin" is not a token-shim user' in done.stderr


def test_the_clusters_rbac_decides_first_who_reaches_the_group(cluster, pki):
    """carol (a certificate user with no binding) is refused by the kube-apiserver itself."""
    carol = cluster.kubeconfig("carol", cert=(pki.plain_cert, pki.plain_key))
    done = cluster.kubectl(carol, "get", TOKENS)
    assert done.returncode != 0
    assert ('User "carol" cannot list resource "tokens" in API group "ext.cattle.io" at the '
            'cluster scope') in done.stderr


def test_gitops_apply_then_diff_is_clean_through_the_cluster(cluster, shim):
    admin = cluster.as_token(shim.admin)
    applied = cluster.kubectl(admin, "apply", "-f", str(EXAMPLES))
    assert applied.returncode == 0, applied.stderr
    assert "token.ext.cattle.io/ci-deployer created" in applied.stdout
    status, setting = shim.call("GET", "/v3/settings/auth-token-max-ttl-minutes",
                                bearer=shim.admin)
    assert status == 200 and setting["value"] == "43200"
    diff = cluster.kubectl(admin, "diff", "-f", str(EXAMPLES))
    assert diff.returncode == 0, diff.stdout + diff.stderr
    again = cluster.kubectl(admin, "apply", "-f", str(EXAMPLES))
    assert again.returncode == 0 and "created" not in again.stdout, again.stdout
