"""Hostile and malformed requests against a live server: the exact 4xx, and nothing written.

Raw HTTP (http.client), so paths and bodies reach the server byte for byte.
"""

from __future__ import annotations

import http.client
import json
import sqlite3
from pathlib import Path

import pytest

from tests.live import LiveServer

JSON = {"Content-Type": "application/json"}
TOKENS = "/v3/tokens"
SETTING = "/v3/settings/auth-token-max-ttl-minutes"
LOGIN = "/v3-public/localProviders/local?action=login"
TF_TOKENS = "/terraform/v1/tokens"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("bad"), "--audit-log", "off").start()
    live.admin = live.login()
    live.call("POST", TOKENS, {"description": "exists"}, bearer=live.admin)
    yield live
    live.stop()


def send(server, method: str, path: str, body: bytes | None = None, headers=None, chunked=False):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Authorization": f"Bearer {server.admin}", **(headers or {})}
    if chunked:
        conn.request(method, path, body=iter([body]), headers=headers, encode_chunked=True)
    else:
        conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, raw


def snapshot(server) -> dict[str, list]:
    """Every stored row, except when tokens were last used (reads may record that)."""
    db = sqlite3.connect(f"file:{server.db.removeprefix('sqlite:///')}?mode=ro", uri=True)
    try:
        token_columns = "id, user_id, kind, secret, description, ttl, enabled, version, tf_doc"
        return {
            "tokens": db.execute(f"SELECT {token_columns} FROM tokens ORDER BY id").fetchall(),
            **{t: db.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
               for t in ("users", "settings", "features", "tf_docs")},
        }
    finally:
        db.close()


def nested(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


BODIES = [
    # (id, method, path, body, headers, status, code)
    ("truncated", "POST", TOKENS, b'{"description": "x"', JSON, 422, "InvalidFormat"),
    ("deeply-nested-object", "POST", TOKENS, nested(5000), JSON, 422, "InvalidFormat"),
    ("deeply-nested-array", "POST", TOKENS, b"[" * 20000 + b"]" * 20000, JSON, 422,
     "InvalidFormat"),
    ("nested-33-levels", "POST", TOKENS, nested(33), JSON, 422, "InvalidFormat"),
    ("5000-digit-number", "POST", TOKENS, b'{"ttl": ' + b"9" * 5000 + b"}", JSON, 422,
     "InvalidFormat"),
    ("1e999", "POST", TOKENS, b'{"ttl": 1e999}', JSON, 422, "InvalidBodyContent"),
    ("ttl-above-max", "POST", TOKENS, b'{"ttl": 100000000000000000000}', JSON, 422,
     "InvalidBodyContent"),
    ("NaN", "POST", TOKENS, b'{"ttl": NaN}', JSON, 422, "InvalidFormat"),
    ("ttl-as-string", "POST", TOKENS, b'{"ttl": "60000"}', JSON, 422, "InvalidBodyContent"),
    ("enabled-as-string", "POST", TOKENS, b'{"enabled": "yes"}', JSON, 422, "InvalidBodyContent"),
    ("description-as-list", "POST", TOKENS, b'{"description": ["a"]}', JSON, 422,
     "InvalidBodyContent"),
    ("top-level-array", "POST", TOKENS, b"[]", JSON, 422, "InvalidFormat"),
    ("top-level-null", "POST", TOKENS, b"null", JSON, 422, "InvalidFormat"),
    ("top-level-string", "POST", TOKENS, b'"x"', JSON, 422, "InvalidFormat"),
    ("duplicate-keys", "POST", TOKENS, b'{"ttl": 1, "ttl": 2}', JSON, 422, "InvalidFormat"),
    ("latin-1-bytes", "POST", TOKENS, b'{"description": "caf\xe9"}', JSON, 422, "InvalidFormat"),
    ("utf-16", "POST", TOKENS, '{"description": "x"}'.encode("utf-16"), JSON, 422,
     "InvalidFormat"),
    ("lone-surrogate-value", "POST", TOKENS, b'{"description": "\\ud800"}', JSON, 422,
     "InvalidFormat"),
    ("lone-surrogate-key", "POST", TOKENS, b'{"\\udc00": 1}', JSON, 422, "InvalidFormat"),
    ("login-lone-surrogate", "POST", LOGIN, b'{"username": "\\udfff", "password": "x"}', JSON,
     422, "InvalidFormat"),
    ("text-plain", "POST", TOKENS, b'{"description": "x"}', {"Content-Type": "text/plain"}, 415,
     "UnsupportedMediaType"),
    ("form-urlencoded", "POST", TOKENS, b"description=x",
     {"Content-Type": "application/x-www-form-urlencoded"}, 415, "UnsupportedMediaType"),
    ("multipart", "POST", TOKENS, b"--b\r\n\r\nx\r\n--b--",
     {"Content-Type": "multipart/form-data; boundary=b"}, 415, "UnsupportedMediaType"),
    ("xml", "PUT", SETTING, b"<value>1</value>", {"Content-Type": "application/xml"}, 415,
     "UnsupportedMediaType"),
    ("oversized", "POST", TOKENS, b'{"description": "' + b"x" * 70_000 + b'"}', JSON, 413,
     "RequestEntityTooLarge"),
    ("broken-gzip", "POST", TOKENS, b'{"description": "x"}', {**JSON, "Content-Encoding": "gzip"},
     400, "BadRequest"),
    ("missing-value", "PUT", SETTING, b"{}", JSON, 422, "InvalidBodyContent"),
    ("missing-password", "POST", "/v3/users", b'{"username": "bob"}', JSON, 422,
     "InvalidBodyContent"),
    ("login-missing-password", "POST", LOGIN, b'{"username": "admin"}', JSON, 422,
     "InvalidBodyContent"),
    ("login-oversized-password", "POST", LOGIN,
     json.dumps({"username": "admin", "password": "p" * 300}).encode(), JSON, 422,
     "InvalidBodyContent"),
    ("unicode-username", "POST", "/v3/users",
     json.dumps({"username": "jösé", "password": "a-long-password-1"}).encode(), JSON, 422,
     "InvalidBodyContent"),
    ("terraform-extra-field", "POST", TF_TOKENS, b'{"description": "x", "colour": "red"}', JSON,
     422, "InvalidBodyContent"),
    ("terraform-user-with-password", "POST", "/terraform/v1/users",
     b'{"username": "svc", "password": "p"}', JSON, 422, "InvalidBodyContent"),
    ("terraform-setting-without-value", "PUT", "/terraform/v1/settings/auth-token-max-ttl-minutes",
     b'{"name": "auth-token-max-ttl-minutes"}', JSON, 422, "InvalidBodyContent"),
    ("setting-value-wrong-type", "PUT", SETTING, b'{"value": 60}', JSON, 422,
     "InvalidBodyContent"),
]


@pytest.mark.parametrize("method,path,body,headers,status,code",
                         [case[1:] for case in BODIES], ids=[case[0] for case in BODIES])
def test_bad_body_is_refused_with_the_exact_status_and_writes_nothing(
        server, method, path, body, headers, status, code):
    before = snapshot(server)
    got, raw = send(server, method, path, body, headers)
    assert got == status, raw[:300]
    assert json.loads(raw)["code"] == code
    assert snapshot(server) == before


def test_oversized_chunked_body_is_413_and_writes_nothing(server):
    before = snapshot(server)
    body = b'{"description": "' + b"x" * 100_000 + b'"}'
    status, raw = send(server, "POST", TOKENS, body, JSON, chunked=True)
    assert status == 413, raw[:200]
    assert snapshot(server) == before


PATHS = [
    # (id, method, path, status): ids that try to leave their collection, or are odd Unicode
    ("dot-dot-slash", "GET", "/v3/tokens/../../etc/passwd", 404),
    ("encoded-dot-dot-slash", "GET", "/v3/tokens/%2e%2e%2f%2e%2e%2fsettings", 404),
    ("encoded-slash", "DELETE", "/v3/tokens/..%2fsettings%2fauth-token-max-ttl-minutes", 404),
    ("encoded-dot-dot", "DELETE", "/v3/tokens/%2e%2e", 404),
    ("user-dot-dot", "DELETE", "/v3/users/..%2F..%2Fsettings", 404),
    ("nul", "GET", "/v3/tokens/%00", 404),
    ("nul-setting", "PUT", "/v3/settings/%00", 404),
    ("nul-user", "DELETE", "/v3/users/token-x%00", 404),
    ("terraform-dot-dot", "GET", "/terraform/v1/tokens/..%2f..%2fsettings", 404),
    ("terraform-setting-traversal", "PUT", "/terraform/v1/settings/..%2fauth-token-max-ttl-minutes",
     404),
    ("kube-cluster-dot-dot", "GET", "/k8s/clusters/%2e%2e/version", 404),
    ("docs-asset-traversal", "GET", "/docs/static/..%2f..%2f__init__.py", 404),
    ("unicode-token-id", "GET", "/v3/tokens/t%C3%B6k%C3%A9n", 404),
    ("emoji-token-id", "PUT", "/v3/tokens/%F0%9F%94%91", 404),
    ("unicode-setting", "PUT", "/v3/settings/%C3%B1ame", 404),
    ("unicode-cluster", "GET", "/k8s/clusters/%E9%9B%86%E7%BE%A4/version", 404),
    ("invalid-utf8-id", "DELETE", "/v3/tokens/%ff%fe", 404),
    ("unicode-digit-limit", "GET", "/v3/tokens?limit=%C2%B2", 422),
    ("arabic-digit-limit", "GET", "/v3/tokens?limit=%D9%A1%D9%A0", 422),
    ("30-digit-ttl-filter", "GET", "/v3/tokens?ttl=" + "9" * 30, 422),
    ("bad-marker", "GET", "/v3/tokens?marker=%ff", 422),
]


@pytest.mark.parametrize("method,path,status", [p[1:] for p in PATHS], ids=[p[0] for p in PATHS])
def test_odd_path_or_query_is_refused_and_writes_nothing(server, method, path, status):
    before = snapshot(server)
    body = b'{"value": "1", "description": "x"}' if method == "PUT" else None
    got, raw = send(server, method, path, body, JSON if body else {})
    assert got == status, raw[:300]
    assert snapshot(server) == before


@pytest.mark.parametrize("tag", ['"\u00b2"', '"' + "9" * 5000 + '"', '"-1"', "W/", '""'])
def test_odd_if_match_is_412_and_writes_nothing(server, tag):
    token = server.call("GET", f"{TOKENS}?description=exists", bearer=server.admin)[1]["data"][0]
    before = snapshot(server)
    for method, path in (("PUT", f"{TOKENS}/{token['id']}"), ("DELETE", f"{TOKENS}/{token['id']}"),
                         ("PUT", SETTING)):
        headers = {**JSON, "If-Match": tag.encode().decode("latin-1")}
        status, raw = send(server, method, path, b'{"description": "y", "value": "5"}', headers)
        assert status == 412, raw[:200]
    assert snapshot(server) == before


def test_non_utf8_credentials_are_401_not_500(server):
    for header in ({"Authorization": "Bearer \xff\xfe:abc"}, {"Cookie": "R_SESS=\xff\xfe:abc"}):
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.putrequest("GET", "/v3")
        for name, value in header.items():
            conn.putheader(name, value.encode("latin-1"))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 401, response.read()
        conn.close()


def test_request_line_too_long_is_400_from_the_http_layer(server):
    before = snapshot(server)
    status, _ = send(server, "GET", "/v3/tokens/" + "x" * 20_000)
    assert status == 400
    assert snapshot(server) == before


def test_nothing_went_wrong_on_the_server_side(server):
    """No 5xx anywhere above: the server logged no failed request."""
    assert "failed (request id" not in Path(server.log_path).read_text(errors="replace")
