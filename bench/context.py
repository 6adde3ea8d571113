"""The plan of a run (durations, sizes), where it works, and what it has measured."""

from __future__ import annotations

import contextlib
import statistics
import sys
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from bench.figures import Figure, catalogue
from bench.procs import Layout, set_tree_affinity
from bench.tools import ROOT, log


@dataclass(frozen=True)
class Plan:
    name: str = "full"
    rounds: int = 3
    seconds: float = 10.0  # wrk, per round
    warmup: float = 2.0
    connections: int = 32
    latency_seconds: float = 10.0  # open-loop recorder, per round
    get_rate: float = 100.0  # requests/s of the open-loop GET: well below capacity
    list_rate: float = 20.0  # a page of 100 costs ~10x a GET
    small: int = 1_000
    large: int = 10_000_000  # issue 17; seeding takes about 2 minutes a backend
    expired: int = 1_000_000
    purge_interval: float = 5.0  # seconds after start-up until the purge runs
    purge_window: float = 300.0  # longest wait for the purge to finish
    purge_rounds: int = 3
    tf_tokens: int = 100
    tf_rounds: int = 3


FULL = Plan()
QUICK = replace(FULL, name="quick", seconds=2.0, warmup=0.5, latency_seconds=2.0,
                large=1_000_000, expired=100_000, purge_window=60.0, purge_rounds=1,
                tf_rounds=1)  # a smoke run: 10M tokens would add 5 minutes of seeding


def sized(plan: Plan, large: int) -> Plan:
    """`plan` with `large` tokens in the large store: a tenth of that expire for the purge
    (issue 17: 1M of 10M), and the longest wait for the purge grows with their number."""
    expired = large // 10
    return replace(plan, large=large, expired=expired,
                   purge_window=plan.purge_window * max(1.0, expired / plan.expired))


@dataclass
class Result:
    """One figure: a value per round; the median is what the report shows."""

    figure: Figure
    rounds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.rounds) if self.rounds else None


class Context:
    """Shared by every group of measurements; everything started here is stopped in close()."""

    def __init__(self, plan: Plan, workdir: Path, layout: Layout) -> None:
        self.plan, self.workdir, self.layout = plan, workdir, layout
        self.logdir = workdir / "logs"
        self.logdir.mkdir(parents=True, exist_ok=True)
        figures = catalogue(plan.small, plan.large, plan.expired, plan.tf_tokens)
        self.results = {f.key: Result(f) for f in figures}
        self.notes: list[str] = []
        self.server_cpu: dict[str, float] = {}  # figure key -> share of a core while loaded
        self.stack = contextlib.ExitStack()
        self._pg = None

    def add(self, key: str, value: float) -> None:
        self.results[key].rounds.append(value)
        log(f"  {key}: {value:,.2f} {self.results[key].figure.unit}")

    def note(self, key: str, text: str) -> None:
        if text not in self.results[key].notes:
            self.results[key].notes.append(text)

    @contextlib.contextmanager
    def group(self, name: str, *keys: str) -> Iterator[None]:
        """Run one group; a failure marks its figures as not measured and the run goes on."""
        log(f"{name} ...")
        try:
            yield
        except Exception as exc:  # the report says what failed; other groups still run
            traceback.print_exc(file=sys.stderr)
            first = (str(exc).splitlines() or [""])[0][:300]
            for key in keys:
                if not self.results[key].rounds:
                    self.results[key].error = f"{type(exc).__name__}: {first[:160]}"
            self.notes.append(f"{name}: stopped by {type(exc).__name__}: {first}")

    def postgres(self):
        """One throwaway PostgreSQL for the whole run, pinned to the PostgreSQL cores."""
        if self._pg is None:
            sys.path.insert(0, str(ROOT))
            from tests.pg import start_server

            try:
                self._pg = start_server()
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # pytest's skip/fail when PostgreSQL is missing
                raise RuntimeError(f"PostgreSQL did not start: {exc}") from None
            self.stack.callback(self._pg.stop)
            self.pin_postgres(self.layout.postgres)
        return self._pg

    def pin_postgres(self, cpus: tuple[int, ...]) -> None:
        if self._pg is not None and self._pg.process is not None:
            set_tree_affinity(self._pg.process.pid, cpus)

    def database(self, backend: str, name: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{self.workdir / name}.db"
        return self.postgres().create_database()

    def close(self) -> None:
        self.stack.close()
