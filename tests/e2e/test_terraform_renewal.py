"""Token renewal through Terraform, with the real terraform and restapi provider."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def _state(server, token_id: str) -> int:
    return server.call("GET", f"/v3/tokens/{token_id}", bearer=server.admin)[0]


def _renewed(runner, server, old_id: str, old_token: str) -> None:
    assert runner.plan_exit_code() == 2
    runner.apply()
    new_id, new_token = runner.output("token_id"), runner.output("token")
    assert new_id != old_id and new_token != old_token
    assert server.call("GET", "/v3", bearer=new_token)[0] == 200
    assert _state(server, old_id) == 404  # the old token is gone
    assert runner.plan_exit_code() == 0


def test_expired_token_is_replaced_on_next_apply(tf, server):
    runner = tf("rotating-token")
    runner.apply("-var", "ttl_ms=3000", "-var", "renew_before_ms=0")
    assert runner.plan_exit_code("-var", "ttl_ms=3000", "-var", "renew_before_ms=0") == 0
    old_id, old_token = runner.output("token_id"), runner.output("token")
    time.sleep(3.2)
    runner.env["TF_VAR_ttl_ms"], runner.env["TF_VAR_renew_before_ms"] = "3000", "0"
    _renewed(runner, server, old_id, old_token)


def test_disabled_token_is_replaced_on_next_apply(tf, server):
    runner = tf("rotating-token")
    runner.apply()
    old_id, old_token = runner.output("token_id"), runner.output("token")
    server.call("PUT", f"/v3/tokens/{old_id}", {"enabled": False}, bearer=server.admin)
    _renewed(runner, server, old_id, old_token)


def test_token_inside_the_window_is_replaced(tf, server):
    runner = tf("rotating-token")
    runner.env["TF_VAR_ttl_ms"], runner.env["TF_VAR_renew_before_ms"] = "60000", "57000"
    runner.apply()
    assert runner.plan_exit_code() == 0
    old_id, old_token = runner.output("token_id"), runner.output("token")
    time.sleep(3.2)
    _renewed(runner, server, old_id, old_token)


def test_deleted_token_is_recreated(tf, server):
    runner = tf("rotating-token")
    runner.apply()
    old_id = runner.output("token_id")
    server.call("DELETE", f"/v3/tokens/{old_id}", bearer=server.admin)
    assert runner.plan_exit_code() == 2
    runner.apply()
    assert server.call("GET", "/v3", bearer=runner.output("token"))[0] == 200
    assert runner.plan_exit_code() == 0


def test_token_without_renew_is_not_replaced(tf, server):
    runner = tf("rotating-token")
    runner.env.update({"TF_VAR_ttl_ms": "2000", "TF_VAR_renew_before_ms": "0", "TF_VAR_renew": "false"})
    runner.apply()
    old_id = runner.output("token_id")
    time.sleep(2.2)
    assert runner.plan_exit_code() == 0  # expired, but nobody asked for renewal
    assert runner.output("token_id") == old_id
