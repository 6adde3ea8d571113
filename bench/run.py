"""Run the benchmarks (issue 7) and write docs/benchmarks.md and docs/benchmarks.png.

    .venv/bin/python -m bench.run            # make bench: 3 x 10 s rounds, 10M tokens
    .venv/bin/python -m bench.run --quick    # make bench-quick: 3 x 2 s rounds, 1M, a smoke run

Builds or installs what the contenders need, pins the servers under test to
one core and the load generators to another, and stops every process it
started, whatever happens. `--only scale,terraform` runs some groups only
(and writes to bench/.out/partial/ unless --docs says otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from bench import chart, ha, machine, markdown, replicas, report, scale, tf_apply, throughput, tools
from bench.context import FULL, QUICK, Context, sized
from bench.procs import Layout

GROUPS = {"throughput": throughput.measure, "replicas": replicas.measure,
          "terraform": tf_apply.measure, "scale": scale.measure, "ha": ha.measure}
FIGURE_GROUPS = {"throughput": ("get", "write"), "replicas": ("replicas",),
                 "terraform": ("terraform",), "scale": ("scale",),
                 "ha": ("ha",)}  # Figure.group of each
OUT = tools.BENCH / ".out"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short rounds: a smoke run")
    parser.add_argument("--only", help=f"comma list of groups: {', '.join(GROUPS)}")
    parser.add_argument("--large", type=int, help="tokens in the large scale store, a tenth "
                        "as many expired for the purge (default 10,000,000, issue 17's size; "
                        "1,000,000 with --quick)")
    parser.add_argument("--docs", type=Path, help="where benchmarks.md and benchmarks.png go "
                        "(default docs/; bench/.out/partial/ with --only)")
    return parser


OWN_TOOLS = {"ha"}  # groups that need only Python and PostgreSQL


def prepare(only: list[str]) -> None:
    own = bool(only) and set(only) <= OWN_TOOLS
    if not own:
        tools.require("wrk", "taskset", "node", "npm", "go", "terraform")
    tools.ensure_packages()
    if own:
        return
    tools.json_server_bin()
    tools.fakeserver_bin()
    tools.terraform_cli_config()


def _stop_on_sigterm() -> None:
    def handler(signum, frame):
        raise SystemExit(f"bench: stopped by signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def measure(ctx: Context, only: list[str]) -> None:
    for name, run in GROUPS.items():
        if not only or name in only:
            run(ctx)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    only = [g.strip() for g in (args.only or "").split(",") if g.strip()]
    unknown = set(only) - set(GROUPS)
    if unknown:
        raise SystemExit(f"bench: unknown group(s): {', '.join(sorted(unknown))}")
    _stop_on_sigterm()
    prepare(only)
    layout, cpu = Layout.detect(), machine.cpu()
    os.sched_setaffinity(0, layout.load)  # the orchestrator never competes with a server
    began, started = time.monotonic(), time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = machine.load()
    plan = QUICK if args.quick else FULL
    if args.large:
        plan = sized(plan, args.large)
    ctx = Context(plan,
                  Path(tempfile.mkdtemp(prefix="token-shim-bench-")), layout)
    tools.log(f"{ctx.plan.name} run in {ctx.workdir}; {layout.describe()}")
    tag = ctx.plan.name + ("-partial" if only else "")
    if only:  # the report shows what this run measured, not the other groups' blanks
        kept = {g for name in only for g in FIGURE_GROUPS[name]}
        ctx.results = {k: r for k, r in ctx.results.items() if r.figure.group in kept}
        ctx.notes.append(f"This run measured only: {', '.join(only)} (`--only`); the other "
                         "groups' figures are those of the last run that measured them "
                         "(git history of this file).")
    try:
        measure(ctx, only)
    finally:
        ctx.close()
        _keep_logs(ctx, tag)
        shutil.rmtree(ctx.workdir, ignore_errors=True)
    given = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python -m bench.run", *given])
    meta = markdown.Meta(command, started, (time.monotonic() - began) / 60, load_before,
                         machine.load(), machine.commit(), cpu, machine.memory(),
                         machine.versions())
    write(ctx, meta, args.docs or (OUT / "partial" if only else tools.ROOT / "docs"), tag)
    return 0


def write(ctx: Context, meta: markdown.Meta, docs: Path, tag: str) -> None:
    table = report.rows(ctx)
    report.print_table(ctx, table)
    docs.mkdir(parents=True, exist_ok=True)
    png = docs / "benchmarks.png"
    try:
        chart.draw(ctx, png)
    except Exception as exc:  # the table matters more than the picture
        ctx.notes.append(f"chart not drawn: {type(exc).__name__}: {exc}")
        png = None
    (docs / "benchmarks.md").write_text(markdown.render(ctx, table, meta, png and png.name))
    raw = {k: {"rounds": r.rounds, "median": r.median, "error": r.error, "notes": r.notes}
           for k, r in ctx.results.items()}
    OUT.mkdir(exist_ok=True)
    (OUT / f"results-{tag}.json").write_text(json.dumps(raw, indent=1))
    print(f"\nwrote {docs / 'benchmarks.md'}, {png or 'no chart'}; "
          f"raw figures and server logs in {OUT}", file=sys.stderr)


def _keep_logs(ctx: Context, tag: str) -> None:
    target = OUT / f"logs-{tag}"
    shutil.rmtree(target, ignore_errors=True)
    OUT.mkdir(exist_ok=True)
    shutil.copytree(ctx.logdir, target, dirs_exist_ok=True)


if __name__ == "__main__":
    sys.exit(main())
