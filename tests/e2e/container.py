"""The project's image, built from its Dockerfile with buildah and run with podman.

No registry is reachable on the machines the tests run on, so the image is built on a
local base (Debian minbase with python3, made by scripts/build-container-base.sh during
scripts/install-test-tools.sh). The flags below are what this kind of sandbox needs and
harm nothing elsewhere: chroot isolation to build; runc (crun cannot start containers
here) and ulimits under the hard limits to run.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import time
from pathlib import Path

from tests.live import LiveServer, free_port, require_tool
from tests.missing_tools import skip_for_missing_tool

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/token-shim:test"
HINT = "scripts/install-test-tools.sh (step container: apt-get install buildah podman runc debootstrap)"
RUN_FLAGS = ["--runtime", "runc", "--ulimit", "nofile=4096:4096", "--ulimit", "nproc=4096:4096",
             "--health-interval", "disable"]  # no systemd here to schedule checks; run them by hand
HOST_CA = Path(os.environ.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt"))


def base_image() -> str:
    release = next(line.split("=", 1)[1].strip() for line in Path("/etc/os-release").read_text().splitlines()
                   if line.startswith("VERSION_CODENAME="))
    return os.environ.get("TOKEN_SHIM_BASE_IMAGE", f"localhost/token-shim-base:{release}")


def podman(*args: str, timeout: float = 60, check: bool = True, input: str | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout, input=input,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def require_container_tools() -> None:
    require_tool("buildah", HINT)
    require_tool("podman", HINT)
    if podman("image", "exists", base_image(), check=False).returncode != 0:
        skip_for_missing_tool(f"the base image {base_image()} is not in podman's storage: {HINT}")


def build_image(tag: str = IMAGE) -> subprocess.CompletedProcess:
    """buildah build of the repository's Dockerfile; the host's CA bundle reaches pip as a secret."""
    command = ["buildah", "build", "--isolation", "chroot", "--layers", "--format", "docker",
               "--build-arg", f"BASE_IMAGE={base_image()}", "-t", tag]
    if HOST_CA.is_file():
        command += ["--secret", f"id=ca-bundle,src={HOST_CA}"]
    return subprocess.run([*command, str(ROOT)], capture_output=True, text=True, timeout=900)


def inspect_image(tag: str = IMAGE) -> dict:
    return json.loads(podman("image", "inspect", tag).stdout)[0]


class Container(LiveServer):
    """One `podman run` of the image, its port 8080 published on a free loopback port.
    `call` and `login` come from LiveServer."""

    def __init__(self, name: str, volume: str, *args: str, env: dict[str, str] | None = None,
                 image: str = IMAGE, scheme: str = "http") -> None:
        self.name, self.volume, self.image, self.args = name, volume, image, list(args)
        self.env = env or {}
        self.port = free_port()
        self.scheme, self.ca_file = scheme, None
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "Container":
        env = [f"--env={key}={value}" for key, value in self.env.items()]
        # A read-only root without the tmpfs podman would add: a write outside /data fails.
        podman("run", "-d", "--name", self.name, *RUN_FLAGS, "--read-only", "--read-only-tmpfs=false",
               "-p", f"127.0.0.1:{self.port}:8080", "-v", f"{self.volume}:/data", *env,
               self.image, *self.args)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state()["Status"] == "exited":
                raise RuntimeError(f"container exited early:\n{self.log()}")
            if self._ready():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"container not ready after {timeout}s:\n{self.log()}")

    def _verifying_context(self) -> ssl.SSLContext | None:
        # The self-signed CA is inside the volume; these tests check the server, not its chain.
        return ssl._create_unverified_context() if self.scheme == "https" else None

    def state(self) -> dict:
        return json.loads(podman("container", "inspect", self.name).stdout)[0]["State"]

    def stop(self, signal: str = "TERM", timeout: float = 20.0) -> tuple[int, float]:
        """Send `signal` to the server (PID 1); its exit code and the seconds it took."""
        start = time.monotonic()
        podman("kill", "--signal", signal, self.name)
        code = int(podman("wait", self.name, timeout=timeout).stdout.strip())
        return code, time.monotonic() - start

    def exec(self, *command: str) -> str:
        return podman("exec", self.name, *command).stdout

    def log(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def remove(self) -> None:
        podman("rm", "--force", "--time", "0", self.name, check=False)
