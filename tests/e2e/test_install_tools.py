"""scripts/install-test-tools.sh and scripts/test.sh: a failed install is never swallowed.

The failing tool is made real enough to fail: an old kubectl (1.20, as stock
Debian's kubernetes-client) and a `go` that cannot build, first on PATH.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def old_kubectl_and_broken_go(tmp_path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(
        '#!/bin/sh\necho \'{"clientVersion": {"major": "1", "minor": "20"}}\'\n')
    (bin_dir / "go").write_text('#!/bin/sh\necho "go: cannot reach the module proxy" >&2\nexit 1\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TOKEN_SHIM_PARTIAL")}
    return env | {"PATH": f"{bin_dir}:{os.environ['PATH']}", "TOKEN_SHIM_CACHE": str(tmp_path / "cache"),
                  "TOKEN_SHIM_TOOLS": "kubectl"}


def _install(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(ROOT / "scripts" / "install-test-tools.sh"), str(tmp_path / "env")],
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_failed_install_fails_with_the_tool_named_and_how_to_get_it(old_kubectl_and_broken_go, tmp_path):
    result = _install(old_kubectl_and_broken_go, tmp_path)
    assert result.returncode == 1
    assert "error: kubectl: install failed" in result.stderr
    assert "install kubectl >= 1.28 on PATH" in result.stderr
    assert "failed: kubectl" in result.stderr


def test_partial_turns_a_failed_install_into_a_warning(old_kubectl_and_broken_go, tmp_path):
    result = _install(old_kubectl_and_broken_go | {"TOKEN_SHIM_PARTIAL": "1"}, tmp_path)
    assert result.returncode == 0
    assert "warning: TOKEN_SHIM_PARTIAL=1: continuing without kubectl" in result.stderr
    assert "export PATH=" in (tmp_path / "env").read_text()


def test_ci_ignores_partial(old_kubectl_and_broken_go, tmp_path):
    result = _install(old_kubectl_and_broken_go | {"TOKEN_SHIM_PARTIAL": "1", "CI": "true"}, tmp_path)
    assert result.returncode == 1 and "TOKEN_SHIM_PARTIAL is ignored" in result.stderr


def test_the_test_command_stops_before_pytest_when_an_install_failed(old_kubectl_and_broken_go):
    result = subprocess.run([str(ROOT / "scripts" / "test.sh"), "tests/unit/test_resources.py"],
                            env=old_kubectl_and_broken_go, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "no test was run" in result.stderr and "passed" not in result.stdout


def test_the_test_command_runs_pytest_under_partial(old_kubectl_and_broken_go):
    env = old_kubectl_and_broken_go | {"TOKEN_SHIM_PARTIAL": "1"}
    result = subprocess.run([str(ROOT / "scripts" / "test.sh"), "tests/unit/test_resources.py"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and " passed" in result.stdout


def test_a_failed_container_base_stops_the_install_with_one_line_naming_the_step(tmp_path):
    """The container step on a machine whose debootstrap cannot reach the mirror."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fakes = {"debootstrap": 'echo "E: Failed getting release file $4/dists/$2/Release" >&2; exit 1',
             "podman": "exit 1", "buildah": "exit 0", "runc": "exit 0"}
    for name, body in fakes.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TOKEN_SHIM_PARTIAL")}
    env |= {"PATH": f"{bin_dir}:{os.environ['PATH']}", "TOKEN_SHIM_CACHE": str(tmp_path / "cache"),
            "TOKEN_SHIM_TOOLS": "container"}
    result = _install(env, tmp_path)
    assert result.returncode == 1
    assert "E: Failed getting release file" in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error: container: install failed" in line]
    assert len(errors) == 1 and "apt-get install buildah podman runc debootstrap" in errors[0]
    assert not list((tmp_path / "cache").glob("container/*.tar.gz"))
