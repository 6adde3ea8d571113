"""Why a credential was refused: one 401 for all, the reason only on the metrics."""

import pytest

from tests.api.test_auth import MUST_AUTHENTICATE
from tests.api.test_metrics import sample, scrape


@pytest.mark.parametrize("bearer", [":secret", "token-zzzzz", "token-zzzzz:", "tøken:sécret"])
async def test_a_malformed_credential_is_its_own_reason(api, bearer):
    reply = await api.as_(bearer).get("/v3")
    assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE)
    samples = await scrape(api)
    assert sample(samples, "token_shim_auth_failures_total", reason="malformed credential") == 1
    assert sample(samples, "token_shim_auth_failures_total", reason="unknown token") == 0


async def test_an_api_token_keeps_no_idle_activity_and_a_session_does(api, core, clock):
    token = await api.new_token()
    session = api.bearer.split(":")[0]
    clock.advance(5000)
    assert (await api.as_(token["token"]).get("/v3")).status == 200
    stored = await core.store.get_token(token["id"])
    assert stored.last_used == clock() and stored.last_activity is None
    assert (await api.get("/v3")).status == 200
    assert (await core.store.get_token(session)).last_activity == clock()
