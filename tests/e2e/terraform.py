"""Driving the real `terraform` binary with the real restapi provider."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.live import require_tool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "terraform"
BUILD_SCRIPT = ROOT / "scripts" / "build-restapi-providers.sh"


def provider_versions() -> list[str]:
    return os.environ.get("RESTAPI_VERSIONS", "1.20.0").split()


def build_providers() -> Path:
    """The Terraform CLI config pointing at the locally built providers (cached)."""
    require_tool("terraform", "install Terraform (or OpenTofu) to run the Terraform e2e tests")
    require_tool("go", "install Go to build the restapi provider for the Terraform e2e tests")
    result = subprocess.run(["bash", str(BUILD_SCRIPT)], capture_output=True, text=True,
                            timeout=900, env={**os.environ, "RESTAPI_VERSIONS": " ".join(provider_versions())})
    if result.returncode != 0:
        pytest.fail(f"building the restapi provider failed:\n{result.stderr[-3000:]}")
    return Path(result.stdout.strip().splitlines()[-1])


class Terraform:
    """One working directory holding a copy of an example, pinned to one provider version."""

    def __init__(self, workdir: Path, example: str, version: str, cli_config: Path,
                 url: str, token: str) -> None:
        self.dir = workdir / example
        shutil.copytree(EXAMPLES / example, self.dir)
        (self.dir / "version_override.tf").write_text(
            'terraform {\n  required_providers {\n    restapi = {\n'
            f'      source  = "Mastercard/restapi"\n      version = "= {version}"\n'
            "    }\n  }\n}\n"
        )
        self.env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
            "API_DATA_IS_SENSITIVE": "true",
            "TF_VAR_token_shim_url": url,
            "TF_VAR_token_shim_token": token,
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["terraform", *args, "-no-color"], cwd=self.dir, env=self.env,
                                capture_output=True, text=True, timeout=600)
        if check and result.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result

    def init(self) -> None:
        self.run("init", "-input=false")

    def apply(self, *extra: str) -> None:
        self.run("apply", "-auto-approve", "-input=false", *extra)

    def plan_exit_code(self, *extra: str) -> int:
        """0 = no changes, 2 = changes; anything else fails the test."""
        result = self.run("plan", "-detailed-exitcode", "-input=false", *extra, check=False)
        if result.returncode not in (0, 2):
            raise AssertionError(f"terraform plan failed:\n{result.stdout}\n{result.stderr}")
        return result.returncode

    def destroy(self) -> None:
        self.run("destroy", "-auto-approve", "-input=false")

    def output(self, name: str):
        return json.loads(self.run("output", "-json", name).stdout)

    def state(self) -> dict:
        return json.loads(self.run("show", "-json").stdout)

    def resource(self, address: str) -> dict:
        resources = self.state()["values"]["root_module"]["resources"]
        return next(r for r in resources if r["address"] == address)["values"]
