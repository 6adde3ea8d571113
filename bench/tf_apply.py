"""`terraform apply` with the real restapi provider: token-shim vs the provider's fakeserver.

Each round applies bench/terraform/<contender> from an empty state against a
freshly started server (a new SQLite file for token-shim), with Terraform's
default parallelism (10); the figure is the wall time of `terraform apply`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from bench import contenders as c
from bench import tools
from bench.context import Context

KEYS = ("tf.shim", "tf.fakeserver", "tf.shapes")
# (figure, server, configuration in bench/terraform/): the shape server takes token-shim's
CONTENDERS = (("tf.shim", "token-shim", "token-shim"), ("tf.fakeserver", "fakeserver", "fakeserver"),
              ("tf.shapes", "shapes", "token-shim"))


def measure(ctx: Context) -> None:
    with ctx.group("terraform apply (restapi 1.20.0)", *KEYS):
        env = {**os.environ, "TF_CLI_CONFIG_FILE": str(tools.terraform_cli_config()),
               "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", "TF_INPUT": "0"}
        dirs = {name: _init(ctx, name, config, env) for _, name, config in CONTENDERS}
        for r in range(ctx.plan.tf_rounds):
            for key, name, _ in CONTENDERS:
                ctx.add(key, _round(ctx, name, dirs[name], env, r))
        ctx.note("tf.shim", "token-shim on a new SQLite file each round, token hashing off "
                 "(the default); Terraform and the provider on the load core")
        ctx.note("tf.shapes", "bench/shape_server.py: token-shim's response shapes (the one-time "
                 "token, ttl, userId, expiresAt) from a canned aiohttp server, no store or auth")


def _init(ctx: Context, name: str, config: str, env: dict[str, str]) -> Path:
    work = ctx.workdir / f"tf-{name}"
    shutil.copytree(tools.BENCH / "terraform" / config, work)
    _terraform(work, env, ["init", "-input=false", "-no-color"], ctx.layout.load)
    return work


def _round(ctx: Context, name: str, work: Path, env: dict[str, str], r: int) -> float:
    for state in work.glob("terraform.tfstate*"):
        state.unlink()
    if name == "token-shim":
        db = ctx.database("sqlite", f"terraform-{r}")
        with c.Shim(f"tf-shim-{r}", db, ctx.logdir, ctx.layout.server) as server:
            return _apply(ctx, work, env, server.url, server.admin_token())
    if name == "shapes":
        with c.shape_server(ctx.logdir, ctx.layout.server, name=f"tf-shapes-{r}") as server:
            return _apply(ctx, work, env, server.url, "unused:unused")
    with c.fakeserver(ctx.workdir, ctx.logdir, ctx.layout.server, name=f"tf-fakeserver-{r}") as fs:
        return _apply(ctx, work, env, fs.url, "unused:unused")


def _apply(ctx: Context, work: Path, env: dict[str, str], url: str, token: str) -> float:
    env = {**env, "TF_VAR_token": token}
    args = ["apply", "-auto-approve", "-input=false", "-no-color", f"-var=url={url}",
            f"-var=token_count={ctx.plan.tf_tokens}"]
    began = time.monotonic()
    _terraform(work, env, args, ctx.layout.load)
    seconds = time.monotonic() - began
    listed = _terraform(work, env, ["state", "list"], ctx.layout.load).split()
    if len(listed) != ctx.plan.tf_tokens + 5:
        raise RuntimeError(f"terraform state holds {len(listed)} objects after apply")
    return seconds


def _terraform(work: Path, env: dict[str, str], args: list[str], cpus: tuple[int, ...]) -> str:
    pin = ["taskset", "-c", ",".join(map(str, cpus))] if cpus else []
    done = subprocess.run(pin + ["terraform", *args], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-1500:]
        raise RuntimeError(f"terraform {args[0]} failed ({done.returncode}): {tail}")
    return done.stdout
