"""The convergence contract proven with the real terraform and restapi provider.

Each test: a fresh server, an example copied to a temp dir, pinned to one
provider version, then apply / plan -detailed-exitcode / destroy.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e
MAX = "auth-token-max-ttl-minutes"
DEFAULTS = {
    "auth-user-session-ttl-minutes": "960", "auth-user-session-idle-ttl-minutes": "960",
    "kubeconfig-default-token-ttl-minutes": "43200", MAX: "129600",
    "kubeconfig-generate-token": "true",
}


def settings(server) -> dict[str, str]:
    body = server.call("GET", "/v3/settings", bearer=server.admin)[1]
    return {s["id"]: s["value"] for s in body["data"] if s["source"] != "env"}  # the five


def test_token_policy_converges_and_destroy_restores_defaults(tf, server):
    runner = tf("token-policy")
    runner.apply()
    assert runner.plan_exit_code() == 0
    assert settings(server) == {
        "auth-user-session-ttl-minutes": "480", "auth-user-session-idle-ttl-minutes": "60",
        "kubeconfig-default-token-ttl-minutes": "1440", MAX: "43200",
        "kubeconfig-generate-token": "true",
    }
    runner.destroy()
    assert settings(server) == DEFAULTS


def test_settings_one_by_one_converge_with_depends_on(tf, server):
    runner = tf("settings-one-by-one")
    runner.apply()
    assert runner.plan_exit_code() == 0
    assert settings(server)["auth-user-session-idle-ttl-minutes"] == "60"
    runner.destroy()
    assert settings(server) == DEFAULTS


def test_ci_token_authenticates_and_api_response_holds_no_secret(tf, server):
    runner = tf("ci-token")
    runner.apply()
    assert runner.plan_exit_code() == 0
    token = runner.output("token")
    whoami = server.call("GET", "/v3", bearer=token)
    assert whoami[0] == 200 and whoami[1]["userId"] == runner.output("service_account_id")
    runner.apply("-refresh-only")
    values = runner.resource("restapi_object.ci_token")
    secret = token.split(":")[1]
    assert secret not in values["api_response"] and secret not in str(values["api_data"])
    runner.destroy()
    assert server.call("GET", "/v3", bearer=token)[0] == 401


def test_ttl_above_max_plans_clean_and_create_response_has_clamped_ttl(tf, server):
    server.call("PUT", f"/v3/settings/{MAX}", {"value": "60"}, bearer=server.admin)
    runner = tf("ci-token")
    runner.apply("-var", "ttl_ms=999999999")
    assert runner.plan_exit_code("-var", "ttl_ms=999999999") == 0
    assert runner.output("effective_ttl_ms") == 60 * 60_000
    token_id = runner.output("token_id")
    assert server.call("GET", f"/v3/tokens/{token_id}", bearer=server.admin)[1]["ttl"] == 3_600_000


def test_token_deleted_out_of_band_is_recreated(tf, server):
    runner = tf("ci-token")
    runner.apply()
    old_id = runner.output("token_id")
    assert server.call("DELETE", f"/v3/tokens/{old_id}", bearer=server.admin)[0] == 204
    assert runner.plan_exit_code() == 2
    runner.apply()
    new_id = runner.output("token_id")
    assert new_id != old_id
    assert server.call("GET", "/v3", bearer=runner.output("token"))[0] == 200
    assert runner.plan_exit_code() == 0


def test_setting_changed_out_of_band_is_drift_and_rewriting_the_policy_reverts_it(tf, server, version):
    """Provider v1 (the default RESTAPI_VERSIONS) rewrites it with `apply -replace`; v2+ with
    a plain `apply` (set RESTAPI_VERSIONS to run that branch)."""
    runner = tf("token-policy")
    runner.apply()
    server.call("PUT", f"/v3/settings/{MAX}", {"value": "999"}, bearer=server.admin)
    echo = server.call("GET", "/terraform/v1/token-policies/default", bearer=server.admin)[1]
    assert echo[MAX] == 999  # drift, in the type the document was written in
    plan = runner.run("plan", "-detailed-exitcode", check=False)
    assert plan.returncode == 2
    assert "restapi_object.token_policy has changed" in plan.stdout
    assert "43200 -> 999" in plan.stdout  # the echo, seen through the policy output
    if version.startswith("1."):
        # restapi v1 never diffs `data` against the server, so a plain apply would
        # only record the drift; replacing the object writes the document again.
        runner.apply("-replace=restapi_object.token_policy")
    else:
        runner.apply()
    assert settings(server)[MAX] == "43200"
    assert runner.plan_exit_code() == 0


def test_import_of_existing_setting_and_token_then_clean_plan(tf, server, version):
    server.call("PUT", "/v3/settings/kubeconfig-default-token-ttl-minutes", {"value": "720"},
                bearer=server.admin)
    made = server.call("POST", "/v3/tokens", {"description": "made-by-hand"}, bearer=server.admin)[1]
    runner = tf("import-and-search")
    runner.run("import", "restapi_object.kubeconfig_ttl",
               "/terraform/v1/settings/kubeconfig-default-token-ttl-minutes")
    runner.run("import", "restapi_object.existing_token", f"/terraform/v1/tokens/{made['id']}")
    if version.startswith("1."):
        # v1 imports `data` as {"id": ...}: one apply writes the configured document
        # (the same values, so the server changes nothing) and the plan is clean after.
        runner.apply()
    assert runner.plan_exit_code() == 0
    assert runner.output("found_token_id") == made["id"]
    token = server.call("GET", f"/v3/tokens/{made['id']}", bearer=server.admin)[1]
    assert token["description"] == "made-by-hand" and token["ttl"] == made["ttl"]
    assert server.call("GET", "/v3", bearer=made["token"])[0] == 200
    assert settings(server)["kubeconfig-default-token-ttl-minutes"] == "720"


def test_ten_of_each_kind_in_parallel(tf, server):
    runner = tf("parallel")
    runner.apply("-parallelism=10")
    assert runner.plan_exit_code() == 0
    tokens = server.call("GET", "/v3/tokens?kind=api&description=parallel-3", bearer=server.admin)[1]
    assert len(tokens["data"]) == 1
    assert len(runner.output("token_ids")) == 10
    runner.destroy()
    left = server.call("GET", "/v3/tokens?kind=api", bearer=server.admin)[1]["data"]
    assert [t["description"] for t in left] == ["terraform"]
    assert settings(server) == DEFAULTS
