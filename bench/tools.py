"""What the contenders need, installed or built once and cached."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).parent
ROOT = BENCH.parent
CACHE = Path(os.environ.get("TOKEN_SHIM_CACHE", Path.home() / ".cache" / "token-shim"))
BENCH_CACHE = CACHE / "bench"
NODE_PREFIX = BENCH / ".node"
JSON_SERVER = "json-server@0.17.4"
RESTAPI_MODULE = "github.com/Mastercard/terraform-provider-restapi"
RESTAPI_VERSION = "v1.20.0"


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        raise SystemExit(f"bench: missing on PATH: {', '.join(missing)}")


# module -> what pip installs: the chart, and the event loop of token-shim[fast]
BENCH_PACKAGES = {"matplotlib": "matplotlib", "uvloop": "uvloop>=0.19"}


def ensure_packages() -> None:
    """What the harness needs beyond the test install, into the venv it runs from."""
    for module, requirement in BENCH_PACKAGES.items():
        if importlib.util.find_spec(module) is None:
            log(f"pip install {requirement} into the venv")
            subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", requirement], check=True)


def json_server_bin() -> Path:
    """json-server 0.17.4 (the last 0.x line) under bench/.node, installed once."""
    binary = NODE_PREFIX / "node_modules" / ".bin" / "json-server"
    if not binary.exists():
        log(f"npm install {JSON_SERVER}")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(NODE_PREFIX),
                        JSON_SERVER], check=True, stdout=subprocess.DEVNULL)
    return binary


def fakeserver_bin() -> Path:
    """bench/fakeserver/main.go built against restapi v1.20.0, cached by source hash."""
    source = (BENCH / "fakeserver" / "main.go").read_bytes()
    tag = hashlib.sha256(source).hexdigest()[:12]
    binary = BENCH_CACHE / f"fakeserver-{RESTAPI_VERSION}-{tag}"
    if binary.exists():
        return binary
    log(f"building the restapi fakeserver ({RESTAPI_MODULE}@{RESTAPI_VERSION})")
    BENCH_CACHE.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="fakeserver-build-"))
    try:
        (work / "main.go").write_bytes(source)
        (work / "go.mod").write_text(
            f"module fakeserverbench\n\ngo 1.21\n\nrequire {RESTAPI_MODULE} {RESTAPI_VERSION}\n")
        # A wrapper module: `go install mod@version` would ask the proxy for @v/list.
        subprocess.run(["go", "mod", "tidy"], cwd=work, check=True)
        subprocess.run(["go", "build", "-trimpath", "-o", str(work / "fakeserver"), "."],
                       cwd=work, check=True)
        shutil.move(work / "fakeserver", binary)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return binary


def terraform_cli_config() -> Path:
    """The CLI config that installs restapi 1.20.0 from the local mirror (built if missing)."""
    config = CACHE / "terraform" / "terraform.tfrc"
    mirror = CACHE / "terraform" / "mirror" / "registry.terraform.io" / "mastercard" / "restapi"
    if not config.exists() or not (mirror / "1.20.0").exists():
        log("building the restapi provider into the local Terraform mirror")
        env = {**os.environ, "RESTAPI_VERSIONS": "1.20.0"}
        subprocess.run(["bash", str(ROOT / "scripts" / "build-restapi-providers.sh")],
                       check=True, env=env, stdout=subprocess.DEVNULL)
    return config


def first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "unavailable"
