"""scripts/build-restapi-providers.sh when the provider is already in the mirror (issue
25.8): no Go needed, and its last line is the CLI config for TF_CLI_CONFIG_FILE."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build-restapi-providers.sh"
ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def path_without_go(tmp_path: Path) -> str:
    """A PATH with the tools the script uses but no `go`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "mkdir", "rm", "cp", "cat", "mv", "uname", "tr", "dirname", "mktemp"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def run(tmp_path: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path_without_go(tmp_path)}
    env.pop("RESTAPI_VERSIONS", None)
    return subprocess.run(["bash", str(SCRIPT), str(cache)], capture_output=True, text=True,
                          env=env, timeout=60)


def test_a_provider_already_in_the_mirror_needs_no_go(tmp_path):
    cache = tmp_path / "terraform"
    system = f"{platform.system().lower()}_{ARCH.get(platform.machine(), platform.machine())}"
    built = cache / "mirror/registry.terraform.io/mastercard/restapi/1.20.0" / system
    built.mkdir(parents=True)
    (built / "terraform-provider-restapi_v1.20.0").write_text("#!/bin/sh\n")
    (built / "terraform-provider-restapi_v1.20.0").chmod(0o755)
    result = run(tmp_path, cache)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == str(cache / "terraform.tfrc")
    assert (cache / "terraform.tfrc").read_text().count(str(cache / "mirror")) == 1


def test_a_missing_provider_without_go_says_what_to_install(tmp_path):
    result = run(tmp_path, tmp_path / "terraform")
    assert result.returncode == 1 and result.stdout.splitlines()[-1:] != [""]
    assert "go not found on PATH to build it (scripts/install-test-tools.sh installs Go)" \
        in result.stderr
