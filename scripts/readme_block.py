"""What the README's generated tables share: print the table, or with `--write` put it in
README.md between its markers (scripts/options-table.py, scripts/chart-values-table.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Callable

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str], begin: str, end: str, table: Callable[[], str]) -> int:
    if argv[1:] != ["--write"]:
        sys.stdout.write(table())
        return 0
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        print(f"README.md has no {begin.strip()} ... {end} block", file=sys.stderr)
        return 1
    README.write_text(pattern.sub(lambda _: begin + table() + end, text), encoding="utf-8")
    return 0
