"""Only this server's names reach a URL it writes; https behind a proxy is known as https."""

from __future__ import annotations

import pytest
import yaml

from shim.config import Config
from shim.origin import Origin

GENERATE = "/v3/clusters/local?action=generateKubeconfig"
EVIL = {"Host": "attacker.example:443"}
PUBLIC = "https://shim.example.com"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
           "Accept": "text/html,application/xhtml+xml"}


async def _token_ids(api) -> set[str]:
    return {t["id"] for t in (await api.get("/v3/tokens")).body["data"]}


async def test_a_foreign_host_gets_no_kubeconfig_and_no_token(api):
    before = await _token_ids(api)
    reply = await api.post(GENERATE, headers=EVIL)
    assert reply.status == 400, reply.body
    assert "Host" in reply.body["message"] and "attacker" not in str(reply.body)
    assert await _token_ids(api) == before


async def test_a_foreign_host_gets_no_exec_plugin_server(api):
    await api.put("/v3/settings/kubeconfig-generate-token", {"value": "false"})
    reply = await api.post(GENERATE, headers=EVIL)
    assert reply.status == 400 and "attacker" not in str(reply.body)


@pytest.mark.parametrize("path", ["/v3-public/authProviders", "/v3-public/localProviders/local",
                                  "/v3", "/v3/tokens"])
async def test_a_foreign_host_reaches_no_link_nor_schemas_header(api, path):
    reply = await api.as_(None).get(path, headers=EVIL)
    assert reply.status == 400
    assert "X-API-Schemas" not in reply.headers and "attacker" not in str(reply.body)


@pytest.mark.parametrize("host", ["127.0.0.1@attacker.example", "attacker.example",
                                  "127.0.0.1.attacker.example", "localhost.attacker.example",
                                  "[::2]", "bad host", "127.0.0.1:99999999"])
async def test_hosts_that_only_look_local_are_refused(api, host):
    assert (await api.get("/v3", headers={"Host": host})).status == 400


async def test_loopback_names_are_accepted_on_a_loopback_connection(api):
    port = api.client.server.port
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "LOCALHOST"):
        reply = await api.as_(None).get("/v3-public/authProviders", headers={"Host": host})
        assert reply.status == 200
        login = reply.body["data"][0]["actions"]["login"]
        assert login.startswith(f"http://{host}/"), login


async def test_probes_answer_any_host(api):
    assert (await api.get("/healthz", headers=EVIL)).status == 200


async def test_with_a_public_url_every_url_is_the_public_one_whatever_the_host(make_api, config):
    api = await make_api(config, public_url=PUBLIC)
    reply = await api.post(GENERATE, headers=EVIL)
    assert reply.status == 200
    server = yaml.safe_load(reply.body["config"])["clusters"][0]["cluster"]["server"]
    assert server == f"{PUBLIC}/k8s/clusters/local"
    reply = await api.get("/v3/tokens", headers=EVIL)
    assert reply.headers["X-API-Schemas"] == f"{PUBLIC}/v3/schemas"


def test_bound_to_every_address_the_machine_name_and_the_reached_address_are_names():
    wide = Origin(Config(host="0.0.0.0"), machine_name="build7.lan")
    assert wide.accepts("build7.lan", "10.0.0.5") and wide.accepts("build7", "10.0.0.5")
    assert wide.accepts("10.0.0.5", "10.0.0.5")
    assert not wide.accepts("10.0.0.6", "10.0.0.5")
    assert wide.accepts("localhost", "127.0.0.1") and wide.accepts("localhost", "::1")


def test_a_loopback_name_is_accepted_through_a_port_forward():
    """`docker run -p 8080:8080` then `curl localhost:8080`: the server sees the bridge's
    address, the Host names the client's own machine (no URL leads anywhere else)."""
    wide = Origin(Config(host="0.0.0.0"), machine_name="build7.lan")
    assert wide.accepts("localhost", "10.88.0.2") and wide.accepts("127.0.0.1", "10.88.0.2")
    assert not wide.accepts("localhost.attacker.example", "10.88.0.2")


def test_named_hosts_and_tls_sans_are_names():
    named = Origin(Config(host="shim.internal", tls_sans=("shim.example.com", "10.1.2.3")))
    assert named.accepts("shim.internal", "10.0.0.5")
    assert named.accepts("shim.example.com", "10.0.0.5") and named.accepts("10.1.2.3", "x")
    assert not named.accepts("attacker.example", "10.0.0.5")


async def test_cookies_are_secure_and_hsts_sent_behind_a_tls_proxy(make_api, config):
    api = await make_api(config, public_url=PUBLIC)
    reply = await api.login("admin", "admin-password-1", responseType="cookie")
    assert reply.status == 201
    assert "Secure" in reply.headers["Set-Cookie"]
    assert reply.headers["Strict-Transport-Security"].startswith("max-age=")
    page = await api.as_(None).get("/dashboard/login", headers=BROWSER)
    assert "CSRF=" in page.headers["Set-Cookie"] and "Secure" in page.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in page.headers


async def test_plain_http_sends_no_hsts_and_no_secure_cookie(api):
    reply = await api.login("admin", "admin-password-1", responseType="cookie")
    assert "Secure" not in reply.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in reply.headers


async def test_answers_that_carry_a_secret_are_not_stored(api):
    made = [
        await api.post("/v3/tokens", {}),
        await api.post("/terraform/v1/tokens", {"description": "tf"}),
        await api.post("/k8s/clusters/local/apis/ext.cattle.io/v1/tokens",
                       {"apiVersion": "ext.cattle.io/v1", "kind": "Token",
                        "metadata": {"name": "no-store"}, "spec": {}}),
        await api.login("admin", "admin-password-1"),
        await api.post(GENERATE),
    ]
    for reply in made:
        assert reply.status in (200, 201), reply.body
        assert reply.headers["Cache-Control"] == "no-store"


async def test_the_docs_page_cannot_be_framed(api):
    reply = await api.get("/docs")
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["X-Frame-Options"] == "DENY"


def test_tls_sends_hsts_and_secure_cookies(tmp_path):
    """The real `serve` over TLS (its self-signed CA), read with urllib."""
    import ssl
    import urllib.request

    from tests.live import LiveServer

    server = LiveServer(tmp_path, "--tls-self-signed", scheme="https",
                        ca_file=tmp_path / "tls" / "ca.pem").start()
    try:
        context = ssl.create_default_context(cafile=str(tmp_path / "tls" / "ca.pem"))
        request = urllib.request.Request(server.url + "/dashboard/login", headers=BROWSER)
        with urllib.request.urlopen(request, context=context, timeout=30) as resp:
            assert resp.headers["Strict-Transport-Security"].startswith("max-age=")
            assert "Secure" in resp.headers["Set-Cookie"]
    finally:
        server.stop()
