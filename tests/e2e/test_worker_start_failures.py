"""The `serve --workers` supervisor gives up only on a worker that keeps failing to start.

The failure is injected into the real supervisor: the function a forked worker runs is
replaced in this process before the fork, so every worker ends at once with code 3.
"""

from __future__ import annotations

import dataclasses
import re
import sys

from shim import workers
from shim.config import Config
from shim.workers import START_FAILURES, supervise


def _failing_worker(*args) -> None:
    sys.exit(3)


def test_a_worker_that_keeps_failing_to_start_stops_the_whole_with_exit_1(
        tmp_path, monkeypatch, capfd):
    config = dataclasses.replace(Config(), db=f"sqlite:///{tmp_path}/shim.db", port=0,
                                 workers=2, bootstrap_password="admin-password-1")
    monkeypatch.setattr(workers, "_worker", _failing_worker)
    assert supervise(config, None) == 1
    err = capfd.readouterr().err
    restarts = re.findall(r"worker \d \(pid \d+\) exited with code 3 unexpectedly; "
                          r"restarting it in ([\d.]+) s", err)
    assert restarts[:2] == ["0.5", "0.5"]  # each of the two workers, backoff doubling after
    assert re.search(rf"exited with code 3 before listening, {START_FAILURES} times in a row;"
                     " stopping the others", err), err
    assert "serving on" not in err  # no banner: they never all listened
