"""SettingsService.check_cross_rules on its own: idle <= session on the committed values.

The store passes the committed rows (`stored`); a pinned value (env or config file) wins
over a stored one; a value of None in `values` is a reset to the default (960), which is
always allowed (as Rancher's webhook allows an empty value).
"""

import pytest

from shim.core.settings import SettingsService
from shim.errors import ApiError
from shim.settings_catalog import IDLE_TTL as IDLE
from shim.settings_catalog import MAX_TTL
from shim.settings_catalog import SESSION_TTL as SESSION

RULE = (f"{IDLE} (960) can't be greater than {SESSION} (100); change {SESSION} first, "
        "or set both at once in the token policy (/terraform/v1/token-policies/default)")


def service(pins=None) -> SettingsService:
    return SettingsService(store=None, schemas=None, pins=pins or {})


def refusal(values, stored, pins=None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        service(pins).check_cross_rules(values, stored)
    return caught.value


def test_an_idle_reset_is_allowed_whatever_the_session_ttl():
    service().check_cross_rules({IDLE: None}, {IDLE: "50", SESSION: "100"})
    service().check_cross_rules({IDLE: None, SESSION: "100"}, {})
    service(pins={SESSION: "100"}).check_cross_rules({IDLE: None}, {IDLE: "50"})


def test_an_idle_value_above_the_session_names_the_value():
    err = refusal({IDLE: "101"}, {SESSION: "100"})
    assert err.message.startswith(f'setting {IDLE}: value "101" invalid: {IDLE} (101) ')
    assert err.details[0]["value"] == "101"


@pytest.mark.parametrize("values,stored", [
    ({IDLE: "100"}, {SESSION: "100"}),  # equal is fine
    ({IDLE: "99"}, {SESSION: "100"}),
    ({IDLE: None}, {SESSION: "960"}),  # the default idle equals the default session
    ({IDLE: None}, {}),
    ({IDLE: "961"}, {SESSION: "0"}),  # a session ttl of 0 has no limit
    ({IDLE: "5000"}, {SESSION: "0", IDLE: "50"}),
    ({IDLE: "960"}, {}),  # the stored session defaults to 960
    ({MAX_TTL: "5"}, {IDLE: "900", SESSION: "100"}),  # neither is written: no check
    ({IDLE: "200", SESSION: "200"}, {SESSION: "100"}),  # both together
])
def test_writes_that_keep_idle_at_most_session_pass(values, stored):
    service().check_cross_rules(values, stored)


def test_both_in_one_write_are_checked_together():
    err = refusal({IDLE: "300", SESSION: "200"}, {})
    assert err.details[0]["field"] == IDLE
    assert "(300)" in err.message and "(200)" in err.message


def test_a_session_reset_to_the_default_passes():
    service().check_cross_rules({SESSION: None}, {IDLE: "500", SESSION: "600"})


def test_the_committed_rows_win_over_the_cache():
    svc = service()  # its cache is empty: every value reads as the default
    with pytest.raises(ApiError):
        svc.check_cross_rules({IDLE: "200"}, {SESSION: "100"})


def test_without_rows_the_cache_is_used():
    svc = service()
    svc._stored = {SESSION: "100"}
    with pytest.raises(ApiError):
        svc.check_cross_rules({IDLE: "200"})
    svc.check_cross_rules({IDLE: "100"})


def test_a_pinned_session_wins_over_a_stored_one():
    err = refusal({IDLE: "960"}, {SESSION: "5000", IDLE: "50"}, pins={SESSION: "100"})
    assert err.details[0] == {"field": IDLE, "value": "960", "rule": RULE}
    service({SESSION: "100"}).check_cross_rules({IDLE: "100"}, {SESSION: "50"})
