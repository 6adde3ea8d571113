"""Two servers on one SQLite file, as `serve --workers N` runs them: each has its own
connection, and neither lags behind what the other commits by more than milliseconds."""

from __future__ import annotations

import asyncio

from shim.store.sqlite import OTHERS_CHECK

MAX_TTL = "/v3/settings/auth-token-max-ttl-minutes"
FEATURE = "/v3/features/token-hashing"
SEEN = OTHERS_CHECK + 0.045  # the poll, then one re-read, on a busy machine


async def test_a_setting_written_through_one_server_clamps_tokens_on_the_other_in_milliseconds(
        make_api, config):
    a, b = await make_api(config, workers=2), await make_api(config, workers=2)
    assert (await a.put(MAX_TTL, {"value": "60"})).status == 200
    await asyncio.sleep(SEEN)
    made = await b.post("/v3/tokens", {"ttl": 0})
    assert made.status == 201 and made.body["ttl"] == 60 * 60_000


async def test_a_feature_switched_on_through_one_server_shows_on_the_other_in_milliseconds(
        make_api, config):
    a, b = await make_api(config, workers=2), await make_api(config, workers=2)
    assert (await a.put(FEATURE, {"value": True})).status == 200
    await asyncio.sleep(SEEN)
    assert (await b.get(FEATURE)).body["value"] is True


async def test_the_scores_live_in_the_file_and_outlive_a_restart(make_api, config):
    a = await make_api(config)
    await a.post("/v3/users", {"username": "kim", "password": "kim-password-12"})
    for _ in range(5):
        assert (await a.login("kim", "wrong")).status == 401
    later = await make_api(config)
    assert (await later.login("kim", "kim-password-12")).status == 429
