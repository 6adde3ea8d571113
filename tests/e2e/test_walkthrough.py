"""The walk-throughs a newcomer follows, run from a fresh clone exactly as written.

scripts/walkthrough.py clones this repository (its committed HEAD), extracts the
blocks marked `<!-- walkthrough -->` from README.md, docs/kubectl.md and
examples/terraform/token-policy/README.md, and runs them in order in one shell.
"""

from __future__ import annotations

import re
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


# A fenced shell block and the HTML comment on the line before it, if any.
SHELL_BLOCK = re.compile(r"(?:^(?P<mark><!--.*?-->)\n)?^```(?:sh|bash|shell|console|zsh)\n", re.M)
NOT_RUN = re.compile(r"<!-- walkthrough: not run: (?P<reason>\S.{10,}) -->")
RUN = ("<!-- walkthrough -->", "<!-- walkthrough: server -->")


def documents() -> list[Path]:
    found = [ROOT / "README.md"]
    for folder in ("docs", "examples", "bench"):
        found += sorted((ROOT / folder).rglob("*.md"))
    return [doc for doc in found if ".node" not in doc.parts]


def test_every_command_block_in_the_docs_is_run_or_says_why_not():
    """Issue 25.8: a shell block is run by scripts/walkthrough.py (marked, in one of its
    DOCS) or marked `<!-- walkthrough: not run: <reason> -->`."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import walkthrough
    finally:
        sys.path.pop(0)
    walked = {ROOT / doc for doc in walkthrough.DOCS}
    wrong = []
    for doc in documents():
        text = doc.read_text()
        for block in SHELL_BLOCK.finditer(text):
            mark, line = block["mark"] or "", text[:block.start()].count("\n") + 1
            where = f"{doc.relative_to(ROOT)}:{line}"
            if mark in RUN and doc not in walked:
                wrong.append(f"{where}: marked to run, but walkthrough.py does not read it")
            elif mark not in RUN and not NOT_RUN.fullmatch(mark):
                wrong.append(f"{where}: neither run nor marked <!-- walkthrough: not run: why -->")
    assert not wrong, "\n".join(wrong)
