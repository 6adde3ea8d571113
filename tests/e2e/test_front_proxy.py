"""token-shim as an aggregated API server, over real TLS: a front proxy's client
certificate (issued by `requestheader_client_ca`, an allowed name) makes X-Remote-User
trusted at the root ext API; any other certificate, or none, does not."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest

from tests.e2e.kube_pki import Pki
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
TOKENS = "/apis/ext.cattle.io/v1/tokens"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return Pki(tmp_path_factory.mktemp("pki"), "front-proxy-client")


def start(workdir, pki: Pki, *extra: str) -> LiveServer:
    # The cluster CA also loaded (for reviewers) so that the rogue certificate, issued
    # by it with the proxy's name, passes the handshake and is judged by token-shim.
    live = LiveServer(workdir, "--tls-self-signed", "--requestheader-client-ca",
                      str(pki.front_ca), "--review-client-ca", str(pki.cluster_ca), *extra,
                      scheme="https", ca_file=workdir / "tls" / "ca.pem").start(timeout=60)
    live.admin = live.login()
    return live


@pytest.fixture(scope="module")
def shim(tmp_path_factory, pki):
    live = start(tmp_path_factory.mktemp("shim"), pki, "--requestheader-allowed-names",
                 "front-proxy-client")
    yield live
    live.stop()


def call(shim: LiveServer, path: str, cert=None, method: str = "GET", body=None,
         **headers: str) -> tuple[int, dict]:
    context = ssl.create_default_context(cafile=str(shim.ca_file))
    if cert:
        context.load_cert_chain(*map(str, cert))
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(shim.url + path, data=data, method=method, headers={
        k.replace("_", "-"): v for k, v in headers.items()} | (
        {"Content-Type": "application/json"} if data else {}))
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def new_user(shim: LiveServer, username: str) -> str:
    status, made = shim.call("POST", "/v3/users", {"username": username,
                                                  "password": "user-password-1"},
                             bearer=shim.admin)
    assert status == 201, made
    return made["id"]


def test_the_front_proxy_acts_for_the_user_it_names_by_id_or_username(shim, pki):
    proxy = (pki.front_cert, pki.front_key)
    ruth = new_user(shim, "proxied-ruth")
    status, made = call(shim, TOKENS, proxy, "POST", {"apiVersion": "ext.cattle.io/v1",
                                                      "kind": "Token", "spec": {}},
                        X_Remote_User=ruth, X_Remote_Group="system:authenticated")
    assert status == 201, made
    assert made["spec"]["userID"] == ruth
    status, listed = call(shim, TOKENS, proxy, X_Remote_User="proxied-ruth")
    assert status == 200
    assert [t["metadata"]["name"] for t in listed["items"]] == [made["metadata"]["name"]]
    status, admins = call(shim, TOKENS, proxy, X_Remote_User="admin")
    # an admin names another user's ext token <user id>:<name> (names are per user)
    assert f"{ruth}:{made['metadata']['name']}" in [t["metadata"]["name"] for t in admins["items"]]


def test_requesttokenid_marks_the_current_token(shim, pki):
    proxy = (pki.front_cert, pki.front_key)
    session = shim.admin.split(":")[0]
    status, made = call(shim, TOKENS, proxy, "POST", {"apiVersion": "ext.cattle.io/v1",
                                                      "kind": "Token", "spec": {}},
                        X_Remote_User="admin")
    assert status == 201
    status, got = call(shim, f"{TOKENS}/{made['metadata']['name']}", proxy,
                       X_Remote_User="admin",  # a TokenReview's requesttokenid: the stored id
                       X_Remote_Extra_Requesttokenid=f"{made['spec']['userID']}:{made['metadata']['name']}")
    assert status == 200 and got["status"]["current"] is True
    assert session != made["metadata"]["name"]


def test_an_unknown_user_is_forbidden(shim, pki):
    status, body = call(shim, TOKENS, (pki.front_cert, pki.front_key), X_Remote_User="nobody")
    assert status == 403 and body["kind"] == "Status" and "nobody" in body["message"]


def test_remote_user_headers_without_the_proxy_certificate_mean_nothing(shim, pki):
    for cert in (None, (pki.rogue_cert, pki.rogue_key)):  # none; another CA, same name
        status, body = call(shim, TOKENS, cert, X_Remote_User="admin")
        assert status == 401 and body["kind"] == "Status", cert


def test_the_proxy_itself_may_read_discovery_but_not_tokens(shim, pki):
    proxy = (pki.front_cert, pki.front_key)
    assert call(shim, "/apis", proxy)[0] == 200
    assert call(shim, "/apis/ext.cattle.io/v1", proxy)[0] == 200
    assert call(shim, "/openapi/v3", proxy)[0] == 200
    assert call(shim, TOKENS, proxy)[0] == 401


def test_a_proxy_name_not_allowed_is_refused(tmp_path, pki):
    live = start(tmp_path, pki, "--requestheader-allowed-names", "aggregator")
    try:
        status, body = call(live, TOKENS, (pki.front_cert, pki.front_key), X_Remote_User="admin")
        assert status == 401 and body["kind"] == "Status"
    finally:
        live.stop()


def test_review_access_client_cert_takes_only_a_reviewer_certificate(tmp_path, pki):
    live = start(tmp_path, pki, "--review-access", "client-cert")
    try:
        review = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                  "spec": {"token": live.admin}}
        for cert in (None, (pki.front_cert, pki.front_key)):  # none; the proxy's
            assert call(live, "/v1/authenticate", cert, "POST", review)[0] == 401
        status, body = call(live, "/v1/authenticate", (pki.admin_cert, pki.admin_key), "POST",
                            review)
        assert status == 200 and body["status"]["authenticated"] is True
    finally:
        live.stop()
