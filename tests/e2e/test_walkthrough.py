"""The walk-throughs a newcomer follows, run from a fresh clone exactly as written.

scripts/walkthrough.py clones this repository (its committed HEAD), extracts the
blocks marked `<!-- walkthrough -->` from README.md, docs/kubectl.md and
examples/terraform/token-policy/README.md, and runs them in order in one shell.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.live import require_tool

ROOT = Path(__file__).resolve().parents[2]
HINT = "scripts/install-test-tools.sh installs it"


def test_quick_start_then_kubectl_then_a_terraform_example_work_as_written():
    for tool in ("git", "curl", "jq", "kubectl", "terraform", "go"):
        require_tool(tool, HINT)
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "walkthrough.py")],
                            capture_output=True, text=True, timeout=1200)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert "walkthrough: every block ran" in result.stderr
    # kubectl auth whoami: with a kubeconfig token, then through the exec plugin
    assert result.stdout.count("Username          admin") == 2
    assert "No changes." in result.stdout  # terraform plan -detailed-exitcode after apply


def test_every_walkthrough_document_has_marked_blocks():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import walkthrough
    finally:
        sys.path.pop(0)
    found = {doc: walkthrough.blocks(ROOT / doc) for doc in walkthrough.DOCS}
    assert [server for server, _ in found["README.md"]][:1] == [True]  # the Quick start's server
    assert any(server for server, _ in found["docs/kubectl.md"])
    assert all(body.strip() for blocks in found.values() for _, body in blocks)
