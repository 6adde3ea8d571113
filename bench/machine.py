"""What the figures were measured on: CPU, memory, load, versions, the commit."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sqlite3
import subprocess
import sys
from pathlib import Path

from bench import tools


def cpu() -> str:
    models = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text()
              .splitlines() if line.startswith("model name")]
    model = models[0] if models else platform.processor() or "unknown CPU"
    return (f"{model}; {len(models)} logical CPUs in /proc/cpuinfo, "
            f"nproc {tools.first_line(['nproc'])}, usable here {len(os.sched_getaffinity(0))}")


def memory() -> str:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    return "unknown"


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def versions() -> dict[str, str]:
    pg = _postgres_bindir()
    return {
        "Linux": platform.release(),
        "Python": sys.version.split()[0],
        "aiohttp": _dist("aiohttp"),
        "asyncpg": _dist("asyncpg"),
        "SQLite (library)": sqlite3.sqlite_version,
        "PostgreSQL": tools.first_line([str(pg / "postgres"), "--version"]) if pg else "absent",
        "Node.js": tools.first_line(["node", "--version"]),
        "json-server": _json_server(),
        "Go": tools.first_line(["go", "version"]),
        "restapi provider / fakeserver": "1.20.0 / v1.20.0",
        "Terraform": tools.first_line(["terraform", "version"]),
        "wrk": tools.first_line(["wrk", "-v"]).split(" [")[0],
    }


def _dist(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def _json_server() -> str:
    package = tools.NODE_PREFIX / "node_modules" / "json-server" / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else "absent"


def _postgres_bindir() -> Path | None:
    sys.path.insert(0, str(tools.ROOT))
    try:
        from tests.pg import find_bindir
    except ImportError:
        return None
    return find_bindir()


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tools.ROOT, capture_output=True,
                              text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "shim", "schemas", "pyproject.toml")
    return f"{head} + uncommitted changes in shim/" if dirty else head
