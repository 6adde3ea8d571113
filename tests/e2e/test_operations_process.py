"""The real process: JSON logs and the audit log on stderr by default."""

import json

from tests.live import LiveServer


def test_json_logs_and_the_default_audit_log_share_stderr_one_object_per_line(tmp_path):
    server = LiveServer(tmp_path, "--log-format", "json").start()
    try:
        server.login()
        server.call("GET", "/v3/tokens?description=x", bearer="token-zzzzz:nope")
    finally:
        server.stop()
    lines = [line for line in server.log().splitlines() if not line.startswith("token-shim:")]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    access = [r for r in records if r.get("logger") == "shim.access"]
    assert {(r["path"], r["status"]) for r in access} >= {
        ("/v3-public/localProviders/local", 201), ("/v3/tokens", 401)}
    audit = [r for r in records if r.get("event") == "login"]
    assert audit and audit[0]["outcome"] == "success" and audit[0]["username"] == "admin"
