#!/usr/bin/env python3
"""Run the walk-throughs a newcomer follows, from a fresh clone, exactly as written.

README's Quick start -> docs/kubectl.md -> examples/terraform/token-policy/README.md.
The commands are the fenced ```sh blocks preceded by `<!-- walkthrough -->` (run
in one shell, in order, so variables and `cd` carry over as in a terminal) or by
`<!-- walkthrough: server -->` (a server a newcomer runs in its own terminal: it
is started in the background and the next server block stops it first, as
Ctrl-C would). Nothing is changed in them but two port numbers: 8080 and 8443
become free ports (and TOKEN_SHIM_PORT is set for servers started without
--port), so that a server already listening there cannot interfere.
`terraform apply` gets `yes` on its standard input, as the docs say to answer,
and the kubectl exec plugin the Quick start's password in TOKEN_SHIM_PASSWORD
(there is no terminal to type it on); the plugin's token cache goes to the
temporary folder (XDG_CONFIG_HOME), not the caller's home.

Usage: scripts/walkthrough.py [--source DIR] [--keep]
  --source  the repository to clone (default: the one holding this script);
            the clone has its committed HEAD, as a newcomer would get it
  --keep    keep the temporary clone (its path is printed)
Needs git, curl, jq, kubectl >= 1.28, terraform and Go on PATH (what
scripts/install-test-tools.sh provides). Exit status: the walk-through's.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

DOCS = ("README.md", "docs/kubectl.md", "examples/terraform/token-policy/README.md")
BLOCK = re.compile(r"<!-- walkthrough(?P<server>: server)? -->\n```sh\n(?P<body>.*?)```", re.S)
PORTS = ("8080", "8443")
QUICK_START_PASSWORD = "change-me-now-1"  # typed at the exec plugin's prompt
SERVER_READY_SECONDS = 600  # the Quick start's server block installs the package first


def blocks(doc: Path) -> list[tuple[bool, str]]:
    """(is_server, commands) for every marked block of a document, in order."""
    found = [(bool(m["server"]), m["body"]) for m in BLOCK.finditer(doc.read_text())]
    if not found:
        raise SystemExit(f"walkthrough: {doc} has no <!-- walkthrough --> block")
    return found


def free_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return str(sock.getsockname()[1])


def with_ports(text: str, ports: dict[str, str]) -> str:
    return re.sub(r"\b(8080|8443)\b", lambda m: ports[m.group(1)], text)


def server_address(body: str, default_port: str) -> str:
    port = re.search(r"--port[ =](\d+)", body)
    scheme = "https" if "--tls" in body else "http"
    return f"{scheme}://127.0.0.1:{port.group(1) if port else default_port}"


PRELUDE = r"""set -euo pipefail
walkthrough_server_pid=
walkthrough_stop_server() {
  # as Ctrl-C in its terminal would: the server's whole process group stops gracefully
  # (SIGTERM: background jobs of a script ignore SIGINT)
  if [[ -n $walkthrough_server_pid ]]; then
    kill -TERM -- "-$walkthrough_server_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
      kill -0 -- "-$walkthrough_server_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$walkthrough_server_pid" 2>/dev/null || true
    wait "$walkthrough_server_pid" 2>/dev/null || true
    walkthrough_server_pid=
  fi
}
walkthrough_start_server() { # LOG URL COMMANDS
  walkthrough_stop_server
  setsid bash -c "$3" </dev/null >>"$1" 2>&1 &
  walkthrough_server_pid=$!
  for _ in $(seq 1 $((WALKTHROUGH_READY_SECONDS * 10))); do
    if curl -sk -o /dev/null "$2/healthz"; then return 0; fi
    if ! kill -0 "$walkthrough_server_pid" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "walkthrough: the server did not come up at $2; its output:" >&2
  tail -n 40 "$1" >&2
  return 1
}
trap walkthrough_stop_server EXIT
"""


def script(source: Path, ports: dict[str, str], logs: Path) -> str:
    """One bash script: every block of every document, in order."""
    parts = [PRELUDE]
    for doc in DOCS:
        for number, (is_server, body) in enumerate(blocks(source / doc), 1):
            body = with_ports(body, ports)
            parts.append(f"echo {shlex.quote(f'walkthrough: --- {doc}, block {number}')} >&2")
            if is_server:
                log = logs / f"server-{doc.replace('/', '_')}-{number}.log"
                url = server_address(body, ports["8080"])
                parts.append(f"walkthrough_start_server {shlex.quote(str(log))} {url} "
                             f"{shlex.quote(body)}")
            else:
                parts.append(body)
    parts.append("echo 'walkthrough: every block ran' >&2")
    return "\n".join(parts) + "\n"


def environment(ports: dict[str, str], config_home: Path) -> dict[str, str]:
    """The caller's, without token-shim options that would change what the docs do."""
    keep = {"TOKEN_SHIM_CACHE"}
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("TOKEN_SHIM_") and k not in keep) and not k.startswith("TF_")
           and k not in ("VIRTUAL_ENV", "PYTHONPATH", "KUBECONFIG")}
    return env | {"TOKEN_SHIM_PORT": ports["8080"], "TOKEN_SHIM_PASSWORD": QUICK_START_PASSWORD,
                  "XDG_CONFIG_HOME": str(config_home),
                  "WALKTHROUGH_READY_SECONDS": str(SERVER_READY_SECONDS)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    for tool in ("git", "curl", "jq", "kubectl", "terraform", "go"):
        if not shutil.which(tool):
            print(f"walkthrough: {tool} not found on PATH (scripts/install-test-tools.sh installs it)",
                  file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="token-shim-walkthrough-"))
    try:
        clone = work / "token-shim"
        subprocess.run(["git", "clone", "--quiet", str(args.source), str(clone)], check=True)
        ports = {p: free_port() for p in PORTS}
        (work / "walkthrough.sh").write_text(script(clone, ports, work))
        print(f"walkthrough: {', '.join(DOCS)} in {clone} (ports {ports})", file=sys.stderr)
        with open(work / "answers", "w+") as answers:
            answers.write("yes\n" * 100)  # `terraform apply` asks; the docs say to answer yes
            answers.seek(0)
            return subprocess.run(["bash", str(work / "walkthrough.sh")], cwd=clone, stdin=answers,
                                  env=environment(ports, work / "config")).returncode
    finally:
        if args.keep:
            print(f"walkthrough: kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
