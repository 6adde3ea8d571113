"""token-shim installed as users install it: a wheel in a fresh venv outside the source tree.

The wheel is built from a copy of the tree (so a stale build/ cannot leak into it),
installed with its dependencies resolved by pip from a local wheelhouse
(`$TOKEN_SHIM_CACHE/wheelhouse`, filled with `pip download` the first time), and
started with the working directory outside the tree, so nothing can come from
the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ADMIN_PASSWORD, LiveServer, free_port

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("TOKEN_SHIM_CACHE", Path.home() / ".cache" / "token-shim"))
WHEELHOUSE = CACHE / "wheelhouse"
SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                              ".terraform", "*.db", "*.db-*", "bench", "docs", "tls")


def _run(*command: str | Path, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout, env=_clean_env())
    assert result.returncode == 0, f"{command}: {result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env() -> dict[str, str]:
    """No variable that would make the checkout importable, nor the test venv's pip setup."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=SKIP)
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp / "dist", source, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("token_shim-*.whl")
    return wheel


def _install(wheel: Path, venv: Path, cwd: Path) -> None:
    """Dependencies resolved by pip from the wheelhouse; `pip download` fills it when short."""
    _run(sys.executable, "-m", "venv", venv, cwd=cwd)
    pip = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    offline = [*pip, "install", "-q", "--no-index", "--find-links", WHEELHOUSE, wheel]
    WHEELHOUSE.mkdir(parents=True, exist_ok=True)
    if subprocess.run([str(c) for c in offline], cwd=cwd, capture_output=True,
                      env=_clean_env()).returncode != 0:
        _run(*pip, "download", "-q", "-d", WHEELHOUSE, wheel, cwd=cwd, timeout=600)
        for own in WHEELHOUSE.glob("token_shim-*"):
            own.unlink()
        _run(*offline, cwd=cwd)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The venv's bin/ with token-shim installed from a freshly built wheel."""
    tmp = tmp_path_factory.mktemp("wheel")
    venv = tmp / "venv"
    _install(_build_wheel(tmp), venv, tmp)
    return venv / "bin"


@pytest.fixture
def workdir(tmp_path) -> Path:
    assert ROOT not in tmp_path.parents
    return tmp_path


def test_the_installed_package_is_imported_from_the_venv_not_the_checkout(installed, workdir):
    found = _run(installed / "python", "-c", "import shim; print(shim.__file__)", cwd=workdir)
    assert Path(found.stdout.strip()).is_relative_to(installed.parent)


def test_a_wheel_installed_in_a_fresh_venv_serves_both_faces(installed, workdir):
    server = LiveServer(workdir, command=[str(installed / "token-shim")], env=_clean_env()).start()
    try:
        admin = server.login()
        status, created = server.call("POST", "/v3/tokens", {"description": "from a wheel"},
                                      bearer=admin)
        assert status == 201, created
        assert server.call("GET", "/v3", bearer=created["token"])[0] == 200

        doc = {"description": "wheel round trip", "ttl": 3600000}
        status, made = server.call("POST", "/terraform/v1/tokens", doc, bearer=created["token"])
        assert status == 201, made
        assert server.call("GET", f"/terraform/v1/tokens/{made['id']}", bearer=admin) == (200, doc)

        assert server.call("GET", "/openapi.json")[0] == 200
        assert server.call("GET", "/docs/static/swagger-ui-bundle.js")[0] == 200
    finally:
        server.stop()


@pytest.mark.parametrize("remove, named", [
    ("shim/_schemas", "the JSON Schemas (package shim._schemas)"),
    ("shim/_schemas/public/login.json", "JSON Schema(s) public/login.json"),
    ("shim/store/migrations", "the SQL migrations"),
    ("swagger_ui/static/swagger-ui-bundle.js", "Swagger UI asset(s) swagger-ui-bundle.js"),
])
def test_an_incomplete_install_refuses_to_start_with_one_line_naming_what_is_missing(
        installed, workdir, remove, named):
    (site,) = (installed.parent / "lib").glob("python3*/site-packages")
    target, aside = site / remove, workdir / "aside"
    shutil.move(target, aside)
    try:
        result = subprocess.run(
            [str(installed / "token-shim"), "serve", "--port", str(free_port()),
             "--db", f"sqlite:///{workdir}/shim.db", "--bootstrap-password", ADMIN_PASSWORD],
            cwd=workdir, capture_output=True, text=True, timeout=30, env=_clean_env())
    finally:
        shutil.move(aside, target)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("token-shim: cannot start:"), result.stderr
    assert named in lines[0]
    assert not (workdir / "shim.db").exists()
