"""Medians, ratios and targets: printed, written to docs/benchmarks.md, and charted."""

from __future__ import annotations

from dataclasses import dataclass

from bench.context import Context, Result
from bench.figures import EXTRA_BASELINES, INFO_BASELINES, Target, targets


@dataclass(frozen=True)
class Row:
    result: Result
    target: Target | None
    ratio: float | None
    baseline: Result | None
    verdict: str  # met, missed, not measured, or "" without a target


def rows(ctx: Context) -> list[Row]:
    by_key: dict[str, list[Target]] = {}
    for t in targets(ctx.plan.large):
        by_key.setdefault(t.key, []).append(t)
    found = []
    for key, result in ctx.results.items():
        for target in by_key.get(key) or [None]:
            base_key = target.baseline if target else INFO_BASELINES.get(key, "")
            found.append(_row(result, target, ctx.results.get(base_key)))
        for base_key in EXTRA_BASELINES.get(key, []):
            found.append(_row(result, None, ctx.results.get(base_key)))
    return found


def _row(result: Result, target: Target | None, base: Result | None) -> Row:
    value, base_value = result.median, base.median if base else None
    ratio = value / base_value if value is not None and base_value else None
    if target is None:
        verdict = ""
    elif value is None or (target.baseline and base_value is None):
        verdict = "not measured"
    else:
        verdict = "met" if target.met(value, base_value) else "missed"
    return Row(result, target, ratio, base, verdict)


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit in ("req/s",):
        return f"{value:,.0f} {unit}"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.1f} {unit}" if value >= 10 else f"{value:.2f} {unit}"


def ratio_text(row: Row) -> str:
    if row.ratio is None or row.baseline is None:
        return "-"
    return f"{row.ratio:.2f} x {short(row.baseline)}"


def short(result: Result) -> str:
    f = result.figure
    if f.key.startswith("scale."):
        return f.measurement
    if f.key == "get.bare_server":
        return "bare aiohttp low-level server"
    if f.key == "replicas.one":
        return "1 replica"
    if f.key in ("workers.one", "workers_pg.one"):
        return "1 worker"
    if f.key.startswith(("post.", "put.")):
        return f.contender.removeprefix("token-shim ").strip("()")
    return f.contender


def rounds_text(result: Result, expected: int) -> str:
    n = len(result.rounds)
    return str(n) if n >= expected else f"{n} of {expected}"


def expected_rounds(ctx: Context, result: Result) -> int:
    key, plan = result.figure.key, ctx.plan
    if key.startswith("tf."):
        return plan.tf_rounds
    if key.endswith(("purge_p99", "purge_seconds")):
        return plan.purge_rounds
    return 1 if ".rss_" in key else plan.rounds


def print_table(ctx: Context, table: list[Row]) -> None:
    print(f"\n{'contender':<36} {'measurement':<52} {'median':>14}  {'ratio':<37} target")
    for row in table:
        f = row.result.figure
        target = f"{row.target.text}: {row.verdict}" if row.target else ""
        value = number(row.result.median, f.unit) if not row.result.error else "error"
        print(f"{f.contender:<36} {f.measurement[:52]:<52} {value:>14}  "
              f"{ratio_text(row):<37} {target}")
    met = sum(r.verdict == "met" for r in table)
    missed = sum(r.verdict == "missed" for r in table)
    absent = sum(r.verdict == "not measured" for r in table)
    print(f"\ntargets: {met} met, {missed} missed, {absent} not measured")
