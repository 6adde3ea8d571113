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


def test_a_scrape_sums_what_the_other_workers_wrote_a_dead_ones_included(tmp_path):
    """Under --workers each worker's file stays after it dies: the totals never go down."""
    import json

    from prometheus_client import generate_latest

    from shim.metrics import Metrics, write_restarts

    answering, other, dead = (Metrics(i, 3, str(tmp_path)) for i in range(3))
    for metrics, requests in ((answering, 1), (other, 2), (dead, 4)):
        for _ in range(requests):
            metrics.requests.observe("/v3", "GET", 200, 0.001)
        metrics.auth_failures.labels("expired").inc(requests)
    dead.purge_ran(5)
    other.purge_ran(7)  # written later: its report of the last purge wins
    for pid, metrics in ((1000, dead), (1001, other)):
        (tmp_path / f"worker-{pid}.json").write_text(json.dumps(metrics.shared.snapshot()))
    write_restarts(str(tmp_path), {0: 0, 1: 2, 2: 0})
    text = generate_latest(answering.registry).decode()
    assert 'token_shim_http_requests_total{method="GET",route="/v3",status="200"} 7.0' in text
    assert 'token_shim_http_request_duration_seconds_count{method="GET",route="/v3"} 7.0' in text
    assert 'token_shim_auth_failures_total{reason="expired"} 7.0' in text
    assert "token_shim_purge_runs_total 2.0" in text
    assert "token_shim_purge_last_purged_tokens 7.0" in text
    assert 'token_shim_worker_restarts_total{worker="1"} 2.0' in text
    assert 'token_shim_worker_info{worker="0",workers="3"} 1.0' in text


async def test_above_a_small_store_a_scrape_serves_the_last_count_and_its_age():
    from shim.metrics import SMALL_STORE, TokenCounts

    counted = []

    async def count():
        counted.append(1)
        return {("api", False): SMALL_STORE + len(counted)}

    tokens = TokenCounts()
    await tokens.refresh(count)
    await tokens.refresh(count)  # large: the first count is served, not redone
    assert len(counted) == 1
    families = {m.name: m for m in tokens.collect()}
    assert families["token_shim_tokens"].samples[0].value == SMALL_STORE + 1
    assert 0 <= families["token_shim_tokens_age_seconds"].samples[0].value < 5
    tokens.counted_at -= 3600  # older than COUNT_MAX_AGE: counted again
    await tokens.refresh(count)
    assert len(counted) == 2
