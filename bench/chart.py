"""docs/benchmarks.png: four panels of bars (medians), drawn with matplotlib's Agg backend."""

from __future__ import annotations

from pathlib import Path

from bench.context import Context

PANELS = [
    ("Authenticated token GET (req/s, higher is better)", [
        ("get_v3.sqlite", "shim SQLite v3"), ("get_tf.sqlite", "shim SQLite tf"),
        ("get_v3.sqlite_quiet", "SQLite v3, no access log"),
        ("get_v3.sqlite_uvloop", "SQLite v3, uvloop"),
        ("get_v3.pg", "shim PG v3"), ("get_tf.pg", "shim PG tf"), ("get.bare", "bare aiohttp"),
        ("get.bare_uvloop", "bare, uvloop"), ("get.bare_server", "bare, web.Server"),
        ("get.json_server", "json-server"), ("get.fakeserver", "fakeserver"),
    ], None),
    ("Writes and replicas (req/s, higher is better)", [
        ("post.sqlite", "POST SQLite"), ("post.pg", "POST PG"), ("put.sqlite", "PUT SQLite"),
        ("put.pg", "PUT PG"), ("login.sqlite", "login SQLite"),
        ("replicas.one", "PG 1 replica"), ("replicas.two", "PG 2 replicas"),
        ("workers.one", "SQLite 1 worker"), ("workers.two", "SQLite 2 workers"),
        ("workers_pg.one", "PG 1 worker"), ("workers_pg.two", "PG 2 workers"),
    ], (2500, "POST target")),
    ("Scale: p99 latency (ms, lower is better)", [
        ("scale.sqlite.get_p99_small", "SQLite GET {small}"),
        ("scale.sqlite.get_p99_large", "SQLite GET {large}"),
        ("scale.sqlite.list_p99_large", "SQLite list {large}"),
        ("scale.sqlite.purge_p99", "SQLite purge"),
        ("scale.pg.get_p99_small", "PG GET {small}"), ("scale.pg.get_p99_large", "PG GET {large}"),
        ("scale.pg.list_p99_large", "PG list {large}"), ("scale.pg.purge_p99", "PG purge"),
    ], (20, "list target")),
    ("terraform apply, 100 tokens + 5 settings (s, lower is better)", [
        ("tf.shim", "token-shim"), ("tf.fakeserver", "fakeserver"),
        ("tf.shapes", "shapes, canned"),
    ], None),
]


def draw(ctx: Context, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(14, 9))
    for ax, (title, bars, line) in zip(axes.flat, PANELS):
        _panel(ctx, ax, title, bars, line)
    fig.suptitle(f"token-shim benchmarks ({ctx.plan.name} run), medians", fontsize=13)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _panel(ctx: Context, ax, title: str, bars: list[tuple[str, str]], line) -> None:
    found = {key: ctx.results[key].median for key, _ in bars if key in ctx.results}
    sizes = {"small": _short(ctx.plan.small), "large": _short(ctx.plan.large)}
    shown = [(label.format(**sizes), found[key]) for key, label in bars
             if found.get(key) is not None]
    ax.set_title(title.replace("100", str(ctx.plan.tf_tokens)), fontsize=10)
    if not shown:
        ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
        return
    labels, values = zip(*shown)
    drawn = ax.bar(range(len(values)), values, color="#4c72b0")
    ax.bar_label(drawn, labels=[_fmt(v) for v in values], fontsize=8)
    ax.set_xticks(range(len(values)), labels, rotation=30, ha="right", fontsize=8)
    if line:
        ax.axhline(line[0], color="#c44e52", linestyle="--", linewidth=1, label=line[1])
        ax.legend(fontsize=8)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _short(count: int) -> str:
    """1000 -> 1k, 10000000 -> 10M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if count >= size and count % size == 0:
            return f"{count // size}{suffix}"
    return f"{count:,}"
