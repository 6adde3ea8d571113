"""The real `token-shim` command: start, bootstrap, real expiry, graceful stop, migrate."""

import re
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.live import LiveServer


@pytest.fixture
def server(tmp_path):
    live = LiveServer(tmp_path).start()
    yield live
    live.stop()


def test_token_expires_in_real_time_over_http(server):
    admin = server.login()
    status, body = server.call("POST", "/v3/tokens", {"ttl": 300}, bearer=admin)
    assert status == 201 and body["ttl"] == 300
    assert server.call("GET", "/v3", bearer=body["token"])[0] == 200
    time.sleep(0.35)
    status, reply = server.call("GET", "/v3", bearer=body["token"])
    assert status == 401 and reply == {"type": "error", "status": "401",
        "message": "Unauthorized 401: must authenticate"}


def test_sigterm_stops_gracefully_and_data_survives_restart(tmp_path):
    live = LiveServer(tmp_path).start()
    admin = live.login()
    _, body = live.call("POST", "/v3/tokens", {"description": "kept"}, bearer=admin)
    assert live.stop(signal.SIGTERM) == 0
    again = LiveServer(tmp_path, db=live.db).start()
    try:
        assert again.call("GET", "/v3", bearer=body["token"])[0] == 200
    finally:
        again.stop()


def test_first_start_prints_a_generated_admin_password_once(tmp_path):
    db = f"sqlite:///{tmp_path}/fresh.db"
    command = [sys.executable, "-m", "shim", "serve", "--db", db, "--port", "0"]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    line = ""
    deadline = time.monotonic() + 10
    while "password" not in line and time.monotonic() < deadline:
        line = first.stderr.readline()
    first.send_signal(signal.SIGTERM)
    first.wait(10)
    shown = re.search(r"created user 'admin' with password ([a-z0-9]{20}) \(shown once\)", line)
    assert shown
    second = LiveServer(tmp_path, db=db)
    second.args = []
    second.start()
    second.stop()
    assert shown[1] not in second.log() and "created user" not in second.log()


def test_migrate_command_creates_the_schema(tmp_path):
    db = f"sqlite:///{tmp_path}/m.db"
    result = subprocess.run([sys.executable, "-m", "shim", "migrate", "--db", db],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    tables = {r[0] for r in sqlite3.connect(tmp_path / "m.db").execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"users", "tokens", "settings", "features", "schema_migrations"} <= tables


def test_bad_config_is_a_clear_error(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("prot: 9\n")
    result = subprocess.run([sys.executable, "-m", "shim", "serve", "--config", str(config)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "unknown config file keys: prot" in result.stderr
