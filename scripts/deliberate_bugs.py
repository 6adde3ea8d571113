"""Re-run the audit's table of deliberate one-line bugs (issue 18): which test catches each?

Each bug is applied to the working tree; the test files written for it run first, and only
when none of their tests fails, the whole unit and API kill set (stopping at the first
failure); the files are restored whatever happens.
Usage: .venv/bin/python scripts/deliberate_bugs.py [NAME ...]   (prints a Markdown table)
Exit status 1 when a bug is caught by no unit or API test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name, [(file, the exact text to replace (once), the bug)], test files to try first
CRYPTO_TESTS = ["tests/unit/test_hash_vectors.py", "tests/unit/test_crypto.py", "tests/api/test_hashing.py"]
VERIFY = "return hmac.compare_digest(expected, algorithm(salt + given.encode()).digest())"
BUGS = [
    ("hash verify compares only the first 4 digest bytes", [("shim/crypto.py", VERIFY,
      "return hmac.compare_digest(expected[:4], algorithm(salt + given.encode()).digest()[:4])")],
     CRYPTO_TESTS),
    ("malformed / unknown-version hash falls back to plain comparison", [("shim/crypto.py",
      "    if parsed is None:\n        return False",
      "    if parsed is None:\n        return hmac.compare_digest(stored.encode(), given.encode())")],
     CRYPTO_TESTS),
    ("$2 is sha256(secret + salt) on both sides (hash and verify)", [
        ("shim/crypto.py", "hashlib.sha256(salt + secret.encode())",
         "hashlib.sha256(secret.encode() + salt)"),
        ("shim/crypto.py", "algorithm(salt + given.encode()).digest())",
         "(algorithm(given.encode() + salt) if algorithm is hashlib.sha256 "
         "else algorithm(salt + given.encode())).digest())")],
     CRYPTO_TESTS),
    ("idle resets (DELETE, empty value, Terraform delete) exempt from idle <= session", [(
      "shim/core/settings.py", "        idle = int(self._merged(values, IDLE_TTL, stored))",
      "        idle = int(self._merged(values, IDLE_TTL, stored)) if values.get(IDLE_TTL, 1) else 0")],
     ["tests/api/test_cross_rules.py", "tests/api/test_settings.py"]),
    ("disabled user: only session tokens refused", [("shim/core/auth.py",
      'return None if user.enabled else "disabled user"',
      'return None if user.enabled or token.kind != "session" else "disabled user"')],
     ["tests/api/test_disabled_users.py", "tests/api/test_auth.py", "tests/api/test_kube_face.py"]),
    ("kubeconfig login branch removed", [("shim/core/tokens.py",
      'if response_type.startswith("kubeconfig_"):', "if False:")],
     ["tests/api/test_disabled_users.py", "tests/api/test_kubeconfig.py"]),
    ("TTL not clamped to the max", [("shim/core/tokens.py",
      "effective = policy.clamp_ttl(ttl, self.settings.minutes(MAX_TTL))", "effective = ttl")],
     ["tests/api/test_tokens.py"]),
    ("Terraform echo keeps the written value after a change", [("shim/faces/terraform/echo.py",
      "        if key not in current or same(written, current[key]):", "        if True:")],
     ["tests/api/test_terraform_face.py"]),
]

KILL_SET = ["tests/unit", "tests/api"]


def run_with(name: str, edits: list[tuple[str, str, str]], first: list[str]) -> list[str]:
    originals = {path: (ROOT / path).read_text() for path, _, _ in edits}
    try:
        for path, old, new in edits:
            text = (ROOT / path).read_text()
            if text.count(old) != 1:
                raise SystemExit(f"{name}: the text to replace is not in {path} exactly once")
            (ROOT / path).write_text(text.replace(old, new))
        caught = _failures(first) or _failures(KILL_SET, "-x")
    finally:
        for path, text in originals.items():
            (ROOT / path).write_text(text)
    return caught


def _failures(paths: list[str], *options: str) -> list[str]:
    """The tests that fail (or error) in `paths`."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", *options, *paths],
        cwd=ROOT, capture_output=True, text=True)
    return re.findall(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", done.stdout, re.M)


def main(names: list[str]) -> int:
    print("| deliberate bug | file(s) | caught by (failing unit/API tests) |")
    print("|---|---|---|")
    missed = 0
    for name, edits, first in BUGS:
        if names and not any(n in name for n in names):
            continue
        caught = run_with(name, edits, first)
        missed += not caught
        files = ", ".join(sorted({f"`{path}`" for path, _, _ in edits}))
        shown = f"{len(caught)}: " + ", ".join(f"`{t}`" for t in caught[:3]) if caught else "**not caught**"
        more = f" and {len(caught) - 3} more" if len(caught) > 3 else ""
        print(f"| {name} | {files} | {shown}{more} |", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
