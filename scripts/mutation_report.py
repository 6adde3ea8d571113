"""Per-module summary of the last `make mutation` run (mutmut 3 results), as Markdown.

Reads `mutmut results --all true` in the repository root, keeps the mutants matching the
patterns given (the same globs `mutmut run` was given), and prints killed/total per module
and every mutant that was not killed. Exit status 1 when a module is below 90% killed.
"""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THRESHOLD = 0.90
DETECTED = {"killed", "timeout"}  # a mutant that hangs the tests is caught too


def module_of(mutant: str) -> str:
    """shim.core.settings.xǁSettingsServiceǁcheck_cross_rules__mutmut_3 -> shim.core.settings"""
    return re.split(r"\.x[_ǁ]", mutant, maxsplit=1)[0]


def main(patterns: list[str]) -> int:
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    results = dict(line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line)
    chosen = {k: v for k, v in results.items()
              if not patterns or any(fnmatch.fnmatch(k, p) for p in patterns)}
    by_module: dict[str, dict[str, str]] = defaultdict(dict)
    for name, status in chosen.items():
        by_module[module_of(name)][name] = status
    print("| module | killed / total | % | not killed |")
    print("|---|---|---|---|")
    low = False
    for module, found in sorted(by_module.items()):
        killed = sum(status in DETECTED for status in found.values())
        share = killed / len(found)
        low |= share < THRESHOLD
        print(f"| `{module}` | {killed} / {len(found)} | {share:.0%} | {len(found) - killed} |")
    missed = sorted((n, s) for n, s in chosen.items() if s not in DETECTED)
    if missed:
        print("\nNot killed (see each with `mutmut show NAME`):")
        for name, status in missed:
            print(f"- `{name}`: {status}")
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
