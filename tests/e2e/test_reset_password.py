"""`token-shim reset-password` (issue 25.5): a lost admin password recovered on SQLite and
PostgreSQL, with the server stopped or running as several workers. Runs the real commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.e2e.test_workers import FRESH, db, start_workers  # noqa: F401 (db: the fixture)
from tests.live import ADMIN_PASSWORD, LiveServer


def reset_password(tmp_path, db_url: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shim", "reset-password", "--db", db_url],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={k: v for k, v in os.environ.items()
                               if not k.startswith("TOKEN_SHIM_")})


def new_password(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    password = result.stdout.strip()
    assert len(password) >= 20 and result.stdout == password + "\n"
    assert password not in result.stderr
    return password


def audit_line(result: subprocess.CompletedProcess) -> dict:
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_reset_password_with_the_server_stopped(tmp_path, db):
    first = LiveServer(tmp_path, db=db).start()
    first.stop()
    result = reset_password(tmp_path, db)
    password = new_password(result)
    assert "new password for 'admin'" in result.stderr
    again = LiveServer(tmp_path, db=db).start()  # its bootstrap password is ignored
    try:
        assert again.call("POST", "/v3-public/localProviders/local?action=login",
                          {"username": "admin", "password": ADMIN_PASSWORD})[0] == 401
        assert again.login(password=password)
    finally:
        again.stop()
    assert "lost it? token-shim reset-password" in again.log()


def test_reset_password_while_workers_run_ends_the_admins_sessions_everywhere_at_once(
        tmp_path, db):
    server = start_workers(tmp_path, db)
    try:
        session = server.admin
        api_token = server.call("POST", "/v3/tokens", {"description": "kept"}, bearer=session)
        assert api_token[0] == 201, api_token
        # Fresh connections, spread over the workers: each caches the session's row.
        assert {server.call("GET", "/v3", bearer=session)[0] for _ in range(FRESH)} == {200}
        result = reset_password(tmp_path, db)
        password = new_password(result)
        seen = [server.call("GET", "/v3", bearer=session)[0] for _ in range(FRESH)]
        assert seen == [401] * FRESH  # no worker serves the ended session from its cache
        assert server.call("GET", "/v3", bearer=api_token[1]["token"])[0] == 200  # API tokens stay
        assert server.call("POST", "/v3-public/localProviders/local?action=login",
                           {"username": "admin", "password": ADMIN_PASSWORD})[0] == 401
        assert server.login(password=password)
    finally:
        server.stop()
    line = audit_line(result)
    assert (line["event"], line["outcome"], line["via"]) == (
        "user.resetpassword", "success", "token-shim reset-password")
    assert line["target"].startswith("user-") and line["sessionsEnded"] >= 1
    assert password not in server.log()


def test_reset_password_without_an_admin_says_so(tmp_path):
    db_url = f"sqlite:///{tmp_path}/empty.db"
    subprocess.run([sys.executable, "-m", "shim", "migrate", "--db", db_url], check=True,
                   capture_output=True, cwd=tmp_path)
    result = reset_password(tmp_path, db_url)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("token-shim reset-password: no user admin with a password")
