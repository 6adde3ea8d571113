"""The request log: method, path, status, duration, request id, client; never a secret."""

import json
import logging

from shim.logs import JsonFormatter


def access_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "shim.access"]


async def test_each_request_is_logged_with_its_request_id_and_status(api, caplog):
    caplog.set_level(logging.INFO, logger="shim.access")
    await api.get("/v3/tokens/token-zzzzz", headers={"X-Request-Id": "rid-7"})
    record = access_records(caplog)[-1]
    assert record.fields == {**record.fields, "method": "GET", "path": "/v3/tokens/token-zzzzz",
                             "status": 404, "requestId": "rid-7", "client": "127.0.0.1"}
    assert record.fields["durationMs"] >= 0
    assert "rid-7" in record.getMessage() and " 404 " in record.getMessage()


async def test_no_header_cookie_body_or_query_string_is_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    secret_body = {"username": "admin", "password": "admin-password-1", "description": "body-x"}
    await api.login("admin", "admin-password-1", description="body-x")
    await api.get("/v3/tokens?description=query-secret", headers={"Cookie": "R_SESS=cookie-x"})
    await api.post("/v3/tokens", secret_body)
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    logged += "\n".join(r.getMessage() for r in caplog.records)
    for secret in (api.bearer, api.bearer.split(":")[1], "admin-password-1", "query-secret",
                   "cookie-x", "body-x"):
        assert secret not in logged, secret
    assert "/v3/tokens" in logged


async def test_an_invalid_request_id_is_replaced_not_logged(api, caplog):
    caplog.set_level(logging.INFO, logger="shim.access")
    reply = await api.get("/v3", headers={"X-Request-Id": "has spaces\tand tabs"})
    assert reply.headers["X-Request-Id"] != "has spaces\tand tabs"
    assert access_records(caplog)[-1].fields["requestId"] == reply.headers["X-Request-Id"]


def test_json_log_lines_carry_the_request_fields_as_keys():
    record = logging.LogRecord("shim.access", logging.INFO, __file__, 1, "GET / 200", (), None)
    record.fields = {"method": "GET", "status": 200, "requestId": "r1"}
    line = json.loads(JsonFormatter().format(record))
    assert line == {**line, "level": "info", "logger": "shim.access", "message": "GET / 200",
                    "method": "GET", "status": 200, "requestId": "r1"}
    assert line["time"].endswith("Z")


def test_json_log_lines_include_exceptions():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("shim", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "RuntimeError: boom" in json.loads(JsonFormatter().format(record))["exception"]
