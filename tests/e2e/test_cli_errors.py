"""The errors a user meets starting `token-shim serve`: one line naming the cause and the
option, a non-zero exit code, never a traceback. Runs the real command."""

import os
import signal
import socket
import subprocess
import sys
import time

from tests.live import LiveServer, free_port


def _run(tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "shim", *args], capture_output=True, text=True, timeout=60,
        cwd=tmp_path, env={**os.environ, **(env or {})},
    )


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def _serve(tmp_path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    db = f"sqlite:///{tmp_path}/shim.db"
    return _run(tmp_path, "serve", "--db", db, "--port", str(free_port()), *args, env=env)


def test_port_in_use_is_one_line_naming_the_port_option(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(tmp_path, "--port", str(port), "--bootstrap-password", "a-long-password-1")
    line = _one_line_error(result)
    assert f"cannot listen on 127.0.0.1:{port}: address already in use" in line
    assert "--port" in line and "TOKEN_SHIM_PORT" in line


def test_unreachable_postgresql_is_one_line_naming_the_db_option(tmp_path):
    url = f"postgresql://shim:secret-pw@127.0.0.1:{free_port()}/shim"
    line = _one_line_error(_run(tmp_path, "serve", "--db", url, "--port", str(free_port())))
    assert line.startswith("token-shim serve: cannot open the database "
                           f"postgresql://shim@127.0.0.1:")
    assert "connection refused" in line and "--db" in line and "TOKEN_SHIM_DB" in line
    assert "secret-pw" not in line


def test_a_bad_environment_value_is_one_line_naming_the_variable(tmp_path):
    line = _one_line_error(_serve(tmp_path, env={"TOKEN_SHIM_MAX_IN_FLIGHT": "abc"}))
    assert line == ("token-shim serve: TOKEN_SHIM_MAX_IN_FLIGHT: 'abc' is not an integer "
                    "(option max_in_flight)")
    assert _serve(tmp_path, env={"TOKEN_SHIM_MAX_IN_FLIGHT": "abc"}).returncode == 2


def test_a_bad_flag_value_is_one_line_naming_the_flag(tmp_path):
    line = _one_line_error(_serve(tmp_path, "--purge-batch", "many"))
    assert line == "token-shim serve: --purge-batch: 'many' is not an integer"


def test_a_mistyped_flag_is_one_line_with_the_flag_meant(tmp_path):
    line = _one_line_error(_serve(tmp_path, "--bootstrap-pasword", "a-long-password-1"))
    assert line == ("token-shim serve: unrecognized arguments: --bootstrap-pasword "
                    "a-long-password-1 (did you mean --bootstrap-password?); "
                    "token-shim serve --help lists the options")
    assert _serve(tmp_path, "--max-in-flite", "3").returncode == 2


def test_version_prints_the_installed_version(tmp_path):
    from importlib.metadata import version

    result = _run(tmp_path, "--version")
    assert (result.returncode, result.stdout) == (0, f"token-shim {version('token-shim')}\n")


def test_a_config_key_written_like_the_flag_gets_the_key_meant(tmp_path):
    (tmp_path / "shim.yaml").write_text("bootstrap-password: a-long-password-1\n")
    line = _one_line_error(_serve(tmp_path, "--config", "shim.yaml"))
    assert line == ("token-shim serve: unknown config file keys: bootstrap-password "
                    "(did you mean bootstrap_password?)")


def test_a_start_up_error_of_a_config_file_value_names_the_file_key(tmp_path):
    (tmp_path / "shim.yaml").write_text("bootstrap_password: tiny-pw\n")
    line = _one_line_error(_serve(tmp_path, "--config", "shim.yaml"))
    assert line.endswith("(config file key bootstrap_password)"), line
    assert "--bootstrap-password" not in line and "TOKEN_SHIM_" not in line
    url = f"postgresql://shim@127.0.0.1:{free_port()}/shim"
    (tmp_path / "pg.yaml").write_text(f"db: {url}\n")
    line = _one_line_error(_run(tmp_path, "serve", "--config", "pg.yaml", "--port", "0"))
    assert line.endswith("(config file key db)") and "--db" not in line, line


def test_tls_and_listen_errors_of_config_file_values_name_the_file_keys(tmp_path):
    (tmp_path / "tls.yaml").write_text("tls_cert: server.pem\n")
    line = _one_line_error(_serve(tmp_path, "--config", "tls.yaml"))
    assert line == ("token-shim serve: TLS: config file key tls_cert and --tls-key must be "
                    "given together")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        (tmp_path / "port.yaml").write_text(f"port: {taken.getsockname()[1]}\n")
        line = _one_line_error(_run(tmp_path, "serve", "--config", "port.yaml",
                                    "--bootstrap-password", "a-long-password-1"))
    assert line.endswith("address already in use (config file keys host and port)"), line


def test_migrate_twice_says_already_up_to_date(tmp_path):
    db = f"sqlite:///{tmp_path}/shim.db"
    first, second = (_run(tmp_path, "migrate", "--db", db) for _ in range(2))
    assert first.returncode == second.returncode == 0
    assert "migration(s) applied" in first.stderr and "up to date" not in first.stderr
    assert second.stderr.strip().endswith(": already up to date"), second.stderr


def test_a_malformed_database_url_is_one_line(tmp_path):
    line = _one_line_error(_run(tmp_path, "serve", "--db", "sqlite:"))
    assert line.startswith("token-shim serve: --db: 'sqlite:' names no file")
    line = _one_line_error(_run(tmp_path, "migrate", "--db", "mysql://h/db"))
    assert line.startswith("token-shim migrate: --db: 'mysql://h/db' is not a database URL")


def test_a_missing_config_file_is_one_line(tmp_path):
    line = _one_line_error(_run(tmp_path, "serve", "--config", "nope.yaml"))
    assert line == "token-shim serve: --config nope.yaml: No such file or directory"


def test_a_short_bootstrap_password_is_refused_at_start_up_of_an_empty_store(tmp_path):
    result = _serve(tmp_path, "--bootstrap-password", "tiny-pw")
    line = _one_line_error(result)
    assert line == ("token-shim serve: the bootstrap password is too short: 7 characters,"
                    " the minimum is 12 (as Rancher's default password-min-length) (option "
                    "bootstrap_password: --bootstrap-password, TOKEN_SHIM_BOOTSTRAP_PASSWORD)")
    assert "tiny-pw" not in line
    assert result.returncode == 1


def test_a_short_bootstrap_password_that_will_be_ignored_does_not_block_a_restart(tmp_path):
    first = LiveServer(tmp_path).start()
    first.stop()
    again = LiveServer(tmp_path, "--bootstrap-password", "short", db=first.db)
    again.start()
    try:
        assert again.login()  # the first password
    finally:
        again.stop()
    assert "the bootstrap password (option bootstrap_password: --bootstrap-password, " \
        "TOKEN_SHIM_BOOTSTRAP_PASSWORD) is ignored" in again.log()


def test_an_ignored_bootstrap_password_is_said_on_stderr(tmp_path):
    first = LiveServer(tmp_path).start()
    first.stop()
    again = LiveServer(tmp_path, "--bootstrap-password", "another-password-1", db=first.db)
    again.start()
    try:
        assert again.login()  # still the first password
    finally:
        again.stop()
    lines = [line for line in again.log().splitlines() if "ignored:" in line]
    assert lines == ["token-shim: the bootstrap password (option bootstrap_password: "
                     "--bootstrap-password, TOKEN_SHIM_BOOTSTRAP_PASSWORD) is ignored: the "
                     "database already has users, so 'admin' keeps the password it has (lost it? "
                     "token-shim reset-password)"]


def test_the_start_up_line_names_the_sqlite_url_and_its_file(tmp_path):
    db = f"sqlite:{tmp_path}/x.db"  # sqlite:/tmp/...: one slash
    command = [sys.executable, "-m", "shim", "serve", "--db", db, "--port", "0",
               "--bootstrap-password", "a-long-password-1"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    line, deadline = "", time.monotonic() + 20
    try:
        while "serving on" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert line.strip() == f"token-shim: serving on http://127.0.0.1:0 ({db}, file {tmp_path}/x.db)"


def test_docs_with_a_trailing_slash_leads_to_the_page(tmp_path):
    server = LiveServer(tmp_path).start()
    try:
        status, body = server.call("GET", "/docs/")
    finally:
        server.stop()
    assert status == 200 and "swagger-ui" in str(body)


def test_a_bad_pinned_setting_is_one_line_naming_the_setting(tmp_path):
    env = {"CATTLE_AUTH_TOKEN_MAX_TTL_MINUTES": "abc"}
    line = _one_line_error(_serve(tmp_path, "--bootstrap-password", "a-long-password-1", env=env))
    assert line.startswith("token-shim serve: pinned setting auth-token-max-ttl-minutes: value")
