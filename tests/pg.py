"""A throwaway PostgreSQL server for tests: initdb in a temp dir, a fresh database per test.

initdb and postgres refuse to run as root, so as root the server runs as a
system user (created when missing); otherwise as the current user. Run
`python -m tests.pg` to keep one up by hand and print its URL.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from tests.missing_tools import skip_for_missing_tool

SYSTEM_USER = "tokenshim-pg"
HINT = "install PostgreSQL server binaries (apt-get install postgresql) to run the PostgreSQL tests"


def find_bindir() -> Path | None:
    """$TOKENSHIM_PG_BINDIR, else the highest version under /usr/lib/postgresql."""
    if os.environ.get("TOKENSHIM_PG_BINDIR"):
        return Path(os.environ["TOKENSHIM_PG_BINDIR"])
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "postgres").exists()]
    return max(found, key=lambda p: _version(p.parent.name), default=None)


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def require_bindir() -> Path:
    """The binaries, or skip the test (fail it when CI=true: CI must run every backend)."""
    bindir = find_bindir()
    if bindir is None or not (bindir / "postgres").exists():
        skip_for_missing_tool(HINT)
    return bindir


def server_account() -> pwd.struct_passwd:
    """Who runs the server: the current user, or as root a system user made on demand."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        # Exit status 9: another process created it meanwhile.
        made = subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            capture_output=True, text=True,
        )
        if made.returncode not in (0, 9):
            raise RuntimeError(f"useradd {SYSTEM_USER} failed: {made.stderr.strip()}") from None
        return pwd.getpwnam(SYSTEM_USER)


def scratch_dir() -> str | None:
    """$TOKENSHIM_PG_TMPDIR, else /dev/shm when it has 2 GiB free, else the default temp dir.

    In RAM, fsync costs nothing: a fresh database takes ~0.1 s instead of ~0.3 s,
    and the data outlives a crash of any process, which is all the tests need.
    """
    if os.environ.get("TOKENSHIM_PG_TMPDIR"):
        return os.environ["TOKENSHIM_PG_TMPDIR"]
    try:
        shm = os.statvfs("/dev/shm")
    except OSError:
        return None
    roomy = shm.f_bavail * shm.f_frsize >= 2 << 30 and os.access("/dev/shm", os.W_OK)
    return "/dev/shm" if roomy else None


class PgServer:
    """One postgres on 127.0.0.1 with trust auth, living in a temp dir until stop().

    `settings`: extra `-c name=value` server settings. Each server runs in a process
    group of its own, so `crash()` kills it whole, as a machine dying would.
    """

    def __init__(self, bindir: Path, account: pwd.struct_passwd,
                 settings: dict[str, str] | None = None) -> None:
        self.bindir = bindir
        self.account = account
        self.settings = settings or {}
        self.root = Path(tempfile.mkdtemp(prefix="tokenshim-pg-", dir=scratch_dir()))
        self.data = self.root / "data"
        self.port = 0
        self.process: subprocess.Popen | None = None

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def start(self) -> PgServer:
        os.chown(self.root, self.account.pw_uid, self.account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C")
        for _ in range(3):  # a free port may be taken before postgres binds it
            self.port = _free_port()
            if self._launch():
                return self
        raise RuntimeError(f"postgres did not start:\n{self.log()}")

    def _launch(self) -> bool:
        extra = [arg for name, value in self.settings.items() for arg in ("-c", f"{name}={value}")]
        with open(self.root / "postgres.log", "ab") as log:
            self.process = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.root), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on",
                 *extra],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._as_owner(),
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.process.poll() is None:
            ready = subprocess.run(
                [str(self.bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)]
            )
            if ready.returncode == 0:
                return True
            time.sleep(0.05)
        self._kill()
        return False

    def stop(self) -> None:
        """Stop without a shutdown checkpoint (`-m immediate`): the data is thrown away."""
        if self.process is not None and self.process.poll() is None:
            try:
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
                self.process.wait(timeout=30)
            except (subprocess.SubprocessError, RuntimeError):
                self._kill()
        shutil.rmtree(self.root, ignore_errors=True)

    def start_standby_of(self, primary: PgServer) -> PgServer:
        """This server as a streaming standby of `primary`: its base backup (`-R`: it
        follows the primary), started on a port of its own."""
        self._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                  "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")
        for _ in range(3):
            self.port = _free_port()
            if self._launch():
                return self
        raise RuntimeError(f"standby did not start:\n{self.log()}")

    def crash(self) -> None:
        """SIGKILL to the postmaster and every backend at once: nothing is flushed or said."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait()

    def shut_down(self) -> None:
        """A clean fast shutdown (clients are disconnected); `restart()` brings it back."""
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
        self.process.wait(timeout=30)

    def restart(self) -> None:
        """Start again on the same port."""
        if not self._launch():
            raise RuntimeError(f"postgres did not restart:\n{self.log()}")

    def promote(self) -> None:
        self._run("pg_ctl", "promote", "-D", str(self.data), "-w")

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [str(self.bindir / program), *args], capture_output=True, text=True, **self._as_owner()
        )
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}")

    def _as_owner(self) -> dict:
        """Popen arguments that run a program as the server's account, from its own dir."""
        if os.geteuid() != 0:
            return {"cwd": self.root}
        a = self.account
        return {"cwd": self.root, "user": a.pw_uid, "group": a.pw_gid, "extra_groups": []}


def start_server(settings: dict[str, str] | None = None) -> PgServer:
    """Start a server, or skip (or fail, on CI) when PostgreSQL is not installed."""
    server = PgServer(require_bindir(), server_account(), settings)
    try:
        return server.start()
    except BaseException:
        server.stop()
        raise


def start_standby(primary: PgServer, settings: dict[str, str] | None = None) -> PgServer:
    """A streaming standby of `primary` (see PgServer.start_standby_of)."""
    standby = PgServer(primary.bindir, primary.account, settings)
    try:
        os.chown(standby.root, standby.account.pw_uid, standby.account.pw_gid)
        return standby.start_standby_of(primary)
    except BaseException:
        standby.stop()
        raise


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    server = start_server()
    print(server.url(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
