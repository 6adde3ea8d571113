"""`token-shim token`: the cache, the login on a miss, and what reaches stdout/stderr."""

import datetime as dt
import fcntl
import http.server
import json
import os
import pty
import select
import stat
import subprocess
import sys
import termios
import threading

import pytest

from shim import cli, exec_plugin
from shim.exec_plugin import PluginError, Target

NOW = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
LATER = "2030-01-02T12:00:00Z"
TARGET = Target("https://shim.example:8443", "ruth", "local")
PASSWORD = "ruths-password-1"


class FakeLogin:
    """Records logins and answers like the server's 201 body."""

    def __init__(self, expires: str = LATER) -> None:
        self.calls: list[tuple[Target, str]] = []
        self.expires = expires

    def __call__(self, target, password, context):
        self.calls.append((target, password))
        return {"expirationTimestamp": self.expires, "token": f"kubeconfig-u-{len(self.calls)}:s"}


@pytest.fixture
def login_server():
    """A one-answer HTTP server on 127.0.0.1; `.seen` lists (path, JSON body) received."""
    servers = []

    def start(status: int, body: dict) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                start.seen.append((self.path, json.loads(self.rfile.read(length))))
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    start.seen = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _run(tmp_path, login, target=TARGET, now=NOW, environ=None, **kw):
    environ = {"TOKEN_SHIM_PASSWORD": PASSWORD} if environ is None else environ
    return exec_plugin.run(target, cache=tmp_path / "cache" / "tokens.json", environ=environ,
                           now=now, do_login=login, **kw)


def test_a_miss_logs_in_and_prints_an_exec_credential(tmp_path):
    login = FakeLogin()
    found = _run(tmp_path, login)
    assert found == {
        "kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1",
        "spec": {}, "status": {"expirationTimestamp": LATER, "token": "kubeconfig-u-1:s"},
    }
    assert login.calls == [(TARGET, PASSWORD)]


def test_a_live_cache_entry_is_used_without_logging_in(tmp_path):
    login = FakeLogin()
    first, second = _run(tmp_path, login), _run(tmp_path, login)
    assert first == second and len(login.calls) == 1


def test_an_expired_entry_is_dropped_and_triggers_a_new_login(tmp_path):
    login = FakeLogin()
    _run(tmp_path, login)
    found = _run(tmp_path, login, now=NOW + dt.timedelta(days=2))
    assert len(login.calls) == 2 and found["status"]["token"] == "kubeconfig-u-2:s"


def test_an_entry_about_to_expire_is_renewed_early(tmp_path):
    login = FakeLogin()
    _run(tmp_path, login)
    _run(tmp_path, login, now=dt.datetime(2030, 1, 2, 11, 59, 45, tzinfo=dt.timezone.utc))
    assert len(login.calls) == 2


def test_one_entry_per_server_user_and_cluster(tmp_path):
    login = FakeLogin()
    targets = [TARGET, Target(TARGET.server, "sam", "local"), Target(TARGET.server, "ruth", "prod"),
               Target("https://elsewhere", "ruth", "local")]
    for target in targets + targets:
        _run(tmp_path, login, target=target)
    entries = json.loads((tmp_path / "cache" / "tokens.json").read_text())["entries"]
    assert len(login.calls) == 4
    assert sorted((e["server"], e["user"], e["cluster"]) for e in entries) == sorted(
        (t.server, t.user, t.cluster) for t in targets)


def test_a_new_login_replaces_the_entry_and_drops_expired_ones(tmp_path):
    _run(tmp_path, FakeLogin(), target=Target(TARGET.server, "sam", "local"))
    _run(tmp_path, FakeLogin(expires="2030-01-10T00:00:00Z"))
    _run(tmp_path, FakeLogin(expires="2030-01-20T00:00:00Z"), now=NOW + dt.timedelta(days=12))
    entries = json.loads((tmp_path / "cache" / "tokens.json").read_text())["entries"]
    assert [(e["user"], e["expirationTimestamp"]) for e in entries] == [
        ("ruth", "2030-01-20T00:00:00Z")]


def test_cache_file_is_private_to_its_owner(tmp_path):
    _run(tmp_path, FakeLogin())
    assert stat.S_IMODE((tmp_path / "cache").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "cache" / "tokens.json").stat().st_mode) == 0o600


def test_a_damaged_cache_counts_as_a_miss(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "tokens.json").write_text("{not json")
    login = FakeLogin()
    _run(tmp_path, login)
    assert len(login.calls) == 1


def test_without_an_expiry_the_credential_has_none_and_stays_cached(tmp_path):
    login = FakeLogin(expires="")
    found = _run(tmp_path, login)
    assert found["status"] == {"token": "kubeconfig-u-1:s"}
    _run(tmp_path, login, now=NOW + dt.timedelta(days=3650))
    assert len(login.calls) == 1


def test_the_password_is_asked_for_when_not_in_the_environment(tmp_path):
    prompts: list[str] = []
    login = FakeLogin()
    _run(tmp_path, login, environ={}, ask=lambda p: prompts.append(p) or "typed")
    assert prompts == ["Password for ruth at https://shim.example:8443: "]
    assert login.calls == [(TARGET, "typed")]


def test_no_terminal_and_no_password_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setattr(exec_plugin.os, "open", _no_tty(exec_plugin.os.open))
    with pytest.raises(PluginError, match="no terminal.*TOKEN_SHIM_PASSWORD"):
        _run(tmp_path, FakeLogin(), environ={})


def test_cache_location_follows_flag_then_env_then_xdg(tmp_path):
    env = {"TOKEN_SHIM_CACHE_DIR": "/env", "XDG_CONFIG_HOME": "/xdg"}
    assert str(exec_plugin.cache_file(env, "/flag")) == "/flag/tokens.json"
    assert str(exec_plugin.cache_file(env)) == "/env/tokens.json"
    assert str(exec_plugin.cache_file({"XDG_CONFIG_HOME": "/xdg"})) == "/xdg/token-shim/tokens.json"


def test_login_posts_a_kubeconfig_login_and_reads_the_201(tmp_path, login_server):
    url = login_server(201, {"token": "kubeconfig-u-9:s", "expiresAt": LATER})
    found = exec_plugin.run(Target(url, "ruth", "prod"), cache=tmp_path / "t.json",
                            environ={"TOKEN_SHIM_PASSWORD": PASSWORD}, now=NOW)
    assert found["status"] == {"expirationTimestamp": LATER, "token": "kubeconfig-u-9:s"}
    assert login_server.seen == [("/v3-public/localProviders/local?action=login", {
        "username": "ruth", "password": PASSWORD, "responseType": "kubeconfig_prod"})]


def test_a_refused_login_exits_1_and_never_shows_the_password(tmp_path, login_server, capsys,
                                                              monkeypatch):
    url = login_server(401, {"code": "Unauthorized", "status": 401,
                             "message": "authentication failed", "type": "error",
                             "baseType": "error"})
    monkeypatch.setenv("TOKEN_SHIM_PASSWORD", PASSWORD)
    code = cli.main(["token", f"--server={url}", "--user=ruth", "--cluster=local",
                     f"--cache-dir={tmp_path}"])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    assert "HTTP 401 authentication failed" in err and PASSWORD not in err
    assert not (tmp_path / "tokens.json").exists()


def test_an_unreachable_server_exits_1_with_a_reason(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TOKEN_SHIM_PASSWORD", PASSWORD)
    code = cli.main(["token", "--server=http://127.0.0.1:9", "--user=ruth", "--cluster=local",
                     f"--cache-dir={tmp_path}"])
    assert code == 1 and "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_cli_prints_the_cached_credential_as_json(tmp_path, capsys):
    _run(tmp_path, FakeLogin())  # cached until LATER, a day after NOW
    code = cli.main(["token", "--server", TARGET.server + "/", "--user", "ruth",
                     "--cluster", "local", "--cache-dir", str(tmp_path / "cache")], now=lambda: NOW)
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["status"]["token"] == "kubeconfig-u-1:s"


def test_cli_reads_the_cache_with_the_clock_it_is_given(tmp_path, capsys, monkeypatch):
    nobody = Target("http://127.0.0.1:9", "ruth", "local")  # nothing listens there
    _run(tmp_path, FakeLogin(), target=nobody)  # cached until LATER
    monkeypatch.setenv("TOKEN_SHIM_PASSWORD", PASSWORD)
    argv = ["token", "--server", nobody.server, "--user", "ruth", "--cluster", "local",
            "--cache-dir", str(tmp_path / "cache")]
    assert cli.main(argv, now=lambda: NOW) == 0  # alive at NOW: from the cache
    after = dt.datetime(2030, 1, 2, 12, 0, 1, tzinfo=dt.timezone.utc)
    assert cli.main(argv, now=lambda: after) == 1  # expired: it tries to log in
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_a_server_that_is_not_a_url_is_refused(tmp_path):
    with pytest.raises(PluginError, match="--server"):
        _run(tmp_path, FakeLogin(), target=Target("shim.example", "ruth", "local"))


def _no_tty(real_open):
    def fake(path, *args, **kw):
        if path == "/dev/tty":
            raise OSError(6, "No such device or address")
        return real_open(path, *args, **kw)
    return fake


def test_a_terminal_is_used_for_the_password_prompt(tmp_path):
    """Through a real pseudo-terminal: the prompt appears there, never on stdout."""
    script = ("from shim import exec_plugin; "
              "print('got', len(exec_plugin.ask_terminal('Password: ')))")
    leader, follower = pty.openpty()
    child = subprocess.Popen([sys.executable, "-c", script], stdin=follower, stdout=subprocess.PIPE,
                             stderr=follower, start_new_session=True,
                             preexec_fn=lambda: _take_terminal(follower))
    _answer_prompt(leader, b"Password: ", b"s3cret\n")
    out, _ = child.communicate(timeout=20)
    assert child.returncode == 0 and out.decode().strip() == "got 6"


def _take_terminal(fd: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSCTTY, 0)


def _answer_prompt(leader: int, prompt: bytes, answer: bytes) -> None:
    seen = b""
    while prompt not in seen:
        ready, _, _ = select.select([leader], [], [], 20)
        assert ready, f"no prompt, saw {seen!r}"
        seen += os.read(leader, 1024)
    os.write(leader, answer)
