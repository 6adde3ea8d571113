"""The README's table of the Helm chart's values is generated from charts/token-shim/values.yaml
(scripts/chart-values-table.py), and every value has its `# --` comment."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("chart_values_table", ROOT / "scripts" / "chart-values-table.py")
table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table)


def test_readme_chart_values_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert table.BEGIN + table.markdown_table() + table.END in readme, (
        "README's chart values table is stale: run python3 scripts/chart-values-table.py --write")


def test_every_value_of_the_chart_is_in_the_table():
    rows = table.markdown_table()
    for key in ("image.repository", "database.postgresql.existingSecret", "tls.existingSecret",
                "publicUrl", "clusters", "metrics", "resources", "securityContext"):
        assert f"| `{key}` |" in rows


def test_a_value_without_its_comment_is_refused_by_name():
    values = "# -- documented\nshown: 1\nnested:\n  # -- documented too\n  inner: a\n  bare: b\nalone: []\n"
    with pytest.raises(ValueError, match=r"nested\.bare, alone"):
        table.markdown_table(values)


def test_a_documented_map_stands_for_its_keys():
    rows = table.markdown_table("# -- the whole map\nresources:\n  requests:\n    cpu: 50m\n")
    assert '| `resources` | `{"requests": {"cpu": "50m"}}` | the whole map |' in rows
