"""Issue 22, finding 2 under `serve --workers 2` on SQLite: a doubling JSON patch ran inside
the write transaction, so the other worker's `POST /v3/tokens` got 500 after the busy
timeout. Now the patch is refused at once and other writes go through meanwhile."""

import json
import threading
import time
import urllib.request

from tests.e2e.test_workers import start_workers

TOKENS = "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens"


def patch(live, bearer: str, body: bytes) -> int:
    request = urllib.request.Request(live.url + f"{TOKENS}/own", data=body, method="PATCH")
    request.add_header("Content-Type", "application/json-patch+json")
    request.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_a_doubling_patch_stalls_no_worker_and_no_other_write(tmp_path):
    live = start_workers(tmp_path, f"sqlite:///{tmp_path}/shim.db")
    try:
        assert live.call("POST", "/v3/users", {"username": "mallory",
                                               "password": "user-password-1"},
                         bearer=live.admin)[0] == 201
        mallory = live.login("mallory", "user-password-1")
        assert live.call("POST", TOKENS, {"metadata": {"name": "own"}, "spec": {}},
                         bearer=mallory)[0] == 201
        ops = [{"op": "add", "path": "/x", "value": [1]}]
        ops += [{"op": "copy", "from": "/x", "path": "/x/-"}] * 22
        found = {}
        attack = threading.Thread(
            target=lambda: found.setdefault("patch", patch(live, mallory, json.dumps(ops).encode())))
        attack.start()
        writes = []
        for _ in range(10):
            started = time.monotonic()
            status, _ = live.call("POST", "/v3/tokens", {"ttl": 60_000}, bearer=live.admin)
            writes.append((status, time.monotonic() - started))
        attack.join(60)
        assert found["patch"] == 413
        assert all(status == 201 for status, _ in writes), writes
        assert max(seconds for _, seconds in writes) < 2, writes
    finally:
        live.stop()
