"""The benchmark's bare baselines (bench/bare_aiohttp.py) answer token-shim's GET alike on an
Application and on the low-level web.Server, and each of the Quick start's token GET rows is
reported against both and against json-server (issue 27)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.bare_aiohttp import create_app, low_level_handler
from bench.context import QUICK, Context
from bench.procs import Layout
from bench.report import rows

BODY = b'{"type":"token","id":"token-abc12"}'
AUTH = "Bearer token-abc12:secret"


@pytest.fixture(params=["application", "low-level"])
async def baseline(request, aiohttp_client, aiohttp_raw_server):
    if request.param == "application":
        return await aiohttp_client(create_app(BODY, AUTH))
    return await aiohttp_client(await aiohttp_raw_server(low_level_handler(BODY, AUTH)))


async def test_both_bare_baselines_return_the_fixed_body_to_the_right_bearer(baseline):
    resp = await baseline.get("/v3/tokens/token-abc12", headers={"Authorization": AUTH})
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "application/json; charset=utf-8"
    assert await resp.read() == BODY


async def test_both_bare_baselines_refuse_another_bearer(baseline):
    resp = await baseline.get("/v3/tokens/token-abc12", headers={"Authorization": "Bearer x:y"})
    assert resp.status == 401


@pytest.mark.parametrize("path", ["/v3/tokens/", "/v3/tokens/a/b", "/v3/tokensX/a", "/v3/settings"])
async def test_both_bare_baselines_answer_404_off_the_token_route(baseline, path):
    resp = await baseline.get(path, headers={"Authorization": AUTH})
    assert resp.status == 404


async def test_the_low_level_baseline_answers_only_get(aiohttp_client, aiohttp_raw_server):
    client = await aiohttp_client(await aiohttp_raw_server(low_level_handler(BODY, AUTH)))
    resp = await client.post("/v3/tokens/token-abc12", headers={"Authorization": AUTH})
    assert resp.status == 404


def _measured(tmp_path: Path, figures: dict[str, float]) -> Context:
    layout = Layout((0,), (0,), (0,), (0,))
    ctx = Context(QUICK, tmp_path, layout)
    for key, value in figures.items():
        ctx.add(key, value)
    return ctx


def test_a_default_token_get_row_is_reported_against_both_bare_baselines_and_json_server(
        tmp_path):
    ctx = _measured(tmp_path, {"get_v3.sqlite": 8000, "get.bare": 10000,
                               "get.bare_server": 16000, "get.json_server": 1000})
    lines = {(r.baseline.figure.key, r.target.text if r.target else "", r.verdict): r.ratio
             for r in rows(ctx) if r.result.figure.key == "get_v3.sqlite"}
    assert lines == {("get.bare", ">= 0.8 x bare aiohttp", "met"): 0.8,
                     ("get.json_server", ">= 4 x json-server", "met"): 8.0,
                     ("get.bare_server", "", ""): 0.5}


def test_the_json_server_target_is_four_times(tmp_path):
    ctx = _measured(tmp_path, {"get_tf.pg": 3900, "get.json_server": 1000, "get.bare": 4000})
    verdicts = {r.target.text: r.verdict for r in rows(ctx)
                if r.result.figure.key == "get_tf.pg" and r.target}
    assert verdicts == {">= 0.8 x bare aiohttp": "met", ">= 4 x json-server": "missed"}


def test_a_missing_low_level_baseline_leaves_its_ratio_blank(tmp_path):
    ctx = _measured(tmp_path, {"get_v3.pg": 8000, "get.bare": 10000})
    blank = [r for r in rows(ctx) if r.result.figure.key == "get_v3.pg"
             and r.baseline is not None and r.baseline.figure.key == "get.bare_server"]
    assert [(r.ratio, r.verdict) for r in blank] == [(None, "")]
