"""Prometheus metrics at /metrics: per-app registry, route templates, failure reasons."""

import asyncio
import re

from tests.support import basic

EXPOSITION = re.compile(r'^(\w+)(?:\{(.*)\})? (\S+)$')


async def scrape(api) -> dict[tuple[str, frozenset], float]:
    reply = await api.get("/metrics")
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for line in reply.body.splitlines():
        match = EXPOSITION.match(line)
        if match and not line.startswith("#"):
            labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
            samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def sample(samples, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_metrics_need_an_admin_by_default(api):
    user = await api.new_user("olga")
    assert (await api.as_(None).get("/metrics")).status == 401
    assert (await user.get("/metrics")).status == 403
    assert (await api.get("/metrics", headers={"Authorization": basic(api.bearer)})).status == 200


async def test_metrics_can_be_public_or_off(make_api, config):
    public = await make_api(config, metrics="public")
    assert (await public.as_(None).get("/metrics")).status == 200
    off = await make_api(config, metrics="off")
    assert (await off.get("/metrics")).status == 404


async def test_requests_are_counted_by_route_template_method_and_status(api):
    token = await api.new_token()
    await api.get(f"/v3/tokens/{token['id']}")
    await api.get("/v3/tokens/token-zzzzz")
    await api.get("/no/such/path")
    samples = await scrape(api)
    count = "token_shim_http_requests_total"
    assert sample(samples, count, route="/v3/tokens/{id}", method="GET", status="200") == 1
    assert sample(samples, count, route="/v3/tokens/{id}", method="GET", status="404") == 1
    assert sample(samples, count, route="unmatched", method="GET", status="404") == 1
    assert not [k for k in samples if ("route", f"/v3/tokens/{token['id']}") in k[1]]
    latency = "token_shim_http_request_duration_seconds_count"
    assert sample(samples, latency, route="/v3/tokens/{id}", method="GET") == 2


async def test_an_idle_session_is_its_own_reason(api, clock):
    await api.put("/v3/settings/auth-user-session-idle-ttl-minutes", {"value": "1"})
    session = (await api.login("admin", "admin-password-1")).body["token"]
    clock.advance(61_000)
    assert (await api.as_(session).get("/v3")).status == 401
    await api.login("admin", "admin-password-1")  # a fresh session to scrape with
    fresh = (await api.login("admin", "admin-password-1")).body["token"]
    samples = await scrape(api.as_(fresh))
    assert sample(samples, "token_shim_auth_failures_total", reason="idle") == 1


async def test_tokens_are_gauged_by_kind_and_expiry_at_scrape_time(api, clock):
    await api.new_token(ttl=1000)
    await api.new_token()
    await api.new_token(kind="agent")
    clock.advance(2000)
    samples = await scrape(api)
    gauge = "token_shim_tokens"
    assert sample(samples, gauge, kind="api", expired="true") == 1
    assert sample(samples, gauge, kind="api", expired="false") == 1
    assert sample(samples, gauge, kind="agent", expired="false") == 1
    assert sample(samples, gauge, kind="session", expired="false") == 1


async def test_purge_runs_and_the_last_purged_count_are_exposed(make_api, config, clock):
    api = await make_api(config, purge_interval=0.05)
    await api.new_token(ttl=1000)
    await api.new_token(ttl=1000)
    clock.advance(2000)
    for _ in range(100):
        await asyncio.sleep(0.02)
        samples = await scrape(api)
        if sample(samples, "token_shim_tokens", kind="api", expired="true") == 0:
            break
    assert sample(samples, "token_shim_tokens", kind="api", expired="true") == 0
    assert sample(samples, "token_shim_purge_runs_total") >= 1


def test_a_purge_run_sets_the_last_purged_count():
    from prometheus_client import generate_latest

    from shim.metrics import Metrics

    metrics = Metrics()
    metrics.purge_ran(7)
    metrics.purge_ran(2)
    text = generate_latest(metrics.registry).decode()
    assert "token_shim_purge_runs_total 2.0" in text
    assert "token_shim_purge_last_purged_tokens 2.0" in text


async def test_each_app_has_its_own_registry(make_api, config, tmp_path):
    import dataclasses

    first = await make_api(config)
    second = await make_api(dataclasses.replace(config, db=f"sqlite:///{tmp_path}/other.db"))
    await first.get("/v3/settings")
    count = "token_shim_http_requests_total"
    labels = {"route": "/v3/settings", "method": "GET", "status": "200"}
    assert sample(await scrape(first), count, **labels) == 1
    assert sample(await scrape(second), count, **labels) == 0


async def test_a_session_past_the_idle_timeout_is_gauged_expired(api, clock):
    admin = api.as_((await api.new_token())["token"])
    assert (await admin.put("/v3/settings/auth-user-session-idle-ttl-minutes",
                            {"value": "1"})).status == 200
    clock.advance(2 * 60_000)
    samples = await scrape(admin)
    assert sample(samples, "token_shim_tokens", kind="session", expired="true") == 1
    assert sample(samples, "token_shim_tokens", kind="session", expired="false") == 0


async def test_metrics_name_the_worker_that_answers(make_api, config):
    """Under `serve --workers N` a scrape reaches one worker, which counts for itself only."""
    single = await scrape(await make_api(config))
    assert sample(single, "token_shim_worker_info", worker="0", workers="1") == 1
    two = await scrape(await make_api(config, workers=2))
    assert sample(two, "token_shim_worker_info", worker="0", workers="2") == 1
