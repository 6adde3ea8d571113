"""The Dockerfile, built with buildah on a local base and run with podman (tests/e2e/container.py):
the image serves, runs as its own user on a read-only root, stops on SIGTERM and keeps its
tokens in the /data volume."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from tests.e2e.container import HOST_CA, IMAGE, RUN_FLAGS, Container, build_image, inspect_image, podman, \
    require_container_tools
from tests.live import ADMIN_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def image() -> str:
    require_container_tools()
    result = build_image()
    assert result.returncode == 0, f"buildah build failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return IMAGE


@pytest.fixture
def volume(image):
    name = f"token-shim-test-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "--force", name, check=False)


@pytest.fixture
def run(image, volume):
    """run(*serve_flags, env=...) starts a container on the test's volume; all are removed after."""
    started: list[Container] = []

    def start(*args: str, env: dict[str, str] | None = None, scheme: str = "http") -> Container:
        env = {"TOKEN_SHIM_BOOTSTRAP_PASSWORD": ADMIN_PASSWORD, **(env or {})}
        container = Container(f"token-shim-test-{uuid.uuid4().hex[:8]}", volume, *args, env=env,
                              scheme=scheme)
        started.append(container)
        return container.start()

    yield start
    for container in started:
        container.remove()


def create_token(container: Container, admin: str, description: str) -> dict:
    status, token = container.call("POST", "/v3/tokens", {"description": description}, bearer=admin)
    assert status == 201, token
    return token


def test_the_image_declares_its_user_port_volume_health_check_and_entrypoint(image):
    config = inspect_image()["Config"]
    assert config["User"] == "10001:10001"
    assert list(config["ExposedPorts"]) == ["8080/tcp"]
    assert list(config["Volumes"]) == ["/data"]
    assert config["Entrypoint"] == ["token-shim", "serve"]
    assert not config.get("Cmd")
    assert inspect_image()["Healthcheck"]["Test"] == ["CMD", "token-shim-healthcheck"]
    env = dict(line.split("=", 1) for line in config["Env"])
    assert env["TOKEN_SHIM_HOST"] == "0.0.0.0" and env["TOKEN_SHIM_DB"] == "sqlite:////data/token-shim.db"


def test_admin_logs_in_and_a_token_reads_back_with_run_arguments_as_serve_flags(run):
    # Arguments after the image name are flags of `serve`: they replace CMD, and the
    # listen address (in the environment) stays.
    container = run("--public-url", "https://shim.example")
    assert container.call("GET", "/healthz") == (200, {"status": "ok"})
    admin = container.login()
    made = create_token(container, admin, "made in a container")
    status, read = container.call("GET", f"/v3/tokens/{made['id']}", bearer=admin)
    assert status == 200 and read["description"] == "made in a container"
    assert "token" not in read
    assert read["links"]["self"].startswith("https://shim.example/v3/tokens/")
    status, _ = container.call("GET", "/v3/tokens", bearer=made["token"])
    assert status == 200


def test_the_server_runs_as_the_image_user_and_writes_only_under_data(run):
    container = run()  # read-only root filesystem, no tmpfs: any write elsewhere would fail
    admin = container.login()
    create_token(container, admin, "written to /data")
    ids = [line.split()[1:3] for line in container.exec("cat", "/proc/1/status").splitlines()
           if line.startswith(("Uid:", "Gid:"))]
    assert ids == [["10001", "10001"], ["10001", "10001"]]
    listing = container.exec("ls", "-ln", "/data").split("\n", 1)[1]
    assert "token-shim.db" in listing
    assert all(line.split()[2:4] == ["10001", "10001"] for line in listing.splitlines() if line)
    assert "Read-only file system" not in container.log()


def test_sigterm_stops_the_server_quickly_with_exit_code_0(run):
    container = run()
    container.login()
    code, seconds = container.stop("TERM")
    assert code == 0, container.log()
    assert seconds < 10, f"SIGTERM took {seconds:.1f}s (podman stop would have sent SIGKILL)"
    assert "Traceback" not in container.log()


def test_a_new_container_on_the_same_volume_keeps_tokens_and_the_admin_password(run):
    first = run()
    made = create_token(first, first.login(), "survives a restart")
    assert first.stop("TERM")[0] == 0
    first.remove()
    second = run(env={"TOKEN_SHIM_BOOTSTRAP_PASSWORD": "another-password-2"})
    status, read = second.call("GET", f"/v3/tokens/{made['id']}", bearer=made["token"])
    assert status == 200 and read["description"] == "survives a restart"
    second.login(password=ADMIN_PASSWORD)  # the bootstrap password applies to an empty store only


def test_the_health_check_passes_over_http_and_self_signed_https(run):
    plain = run()
    assert podman("healthcheck", "run", plain.name, check=False).returncode == 0, plain.log()
    plain.stop()
    tls = run(env={"TOKEN_SHIM_TLS_SELF_SIGNED": "true"}, scheme="https")
    assert podman("healthcheck", "run", tls.name, check=False).returncode == 0, tls.log()
    assert tls.call("GET", "/healthz")[0] == 200
    assert "ca.pem" in tls.exec("ls", "/data/tls")


def test_the_health_check_fails_when_nothing_answers_on_its_port(run):
    container = run()
    wrong_port = podman("exec", "--env", "TOKEN_SHIM_PORT=1", container.name, "token-shim-healthcheck",
                        check=False)
    assert wrong_port.returncode == 1 and "token-shim-healthcheck:" in wrong_port.stderr


def test_the_ca_bundle_given_to_the_build_is_in_no_layer(image):
    assert HOST_CA.is_file(), f"{HOST_CA} is missing: the build was given no CA bundle"
    digest = hashlib.sha256(HOST_CA.read_bytes()).hexdigest()
    found = podman("run", "--rm", *RUN_FLAGS, "--user", "0", "--entrypoint", "sh",
                   IMAGE, "-c", f"find / -xdev -type f -size {HOST_CA.stat().st_size}c -exec sha256sum {{}} +",
                   timeout=120).stdout
    assert digest not in found
