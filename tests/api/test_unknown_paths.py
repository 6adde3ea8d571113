"""Issue 25.3-4: a path no face serves is 404 whoever asks, and a path glued from two
faces' paths (a face's URL given as the base URL) names the path the client meant."""

import pytest

from tests.api.test_auth import MUST_AUTHENTICATE


@pytest.mark.parametrize("who", ["anonymous", "admin"])
async def test_a_mistyped_public_path_is_404_not_must_authenticate(api, who):
    caller = api.as_(None) if who == "anonymous" else api
    reply = await caller.post("/v3-publc/localProviders/local?action=login",
                              {"username": "admin", "password": "x"})
    assert reply.status == 404
    assert reply.body["message"] == "/v3-publc/localProviders/local not found"


@pytest.mark.parametrize("path", ["/v3/nothing", "/nothing", "/terraform/v1/nothing",
                                  "/k8s/clusters/local/nothing"])
async def test_paths_no_face_serves_are_404_without_credentials(api, path):
    assert (await api.as_(None).get(path)).status == 404


async def test_a_known_path_with_a_wrong_method_still_asks_for_credentials(api):
    reply = await api.as_(None).request("PATCH", "/v3/tokens")
    assert (reply.status, reply.body) == (401, MUST_AUTHENTICATE)


async def test_terraform_paths_under_v3_name_the_path_meant(api):
    reply = await api.get("/v3/terraform/v1/settings/token-policy")
    assert reply.status == 404
    message = reply.body["message"]
    assert "did you mean /terraform/v1/settings/token-policy?" in message
    assert "without /v3" in message


async def test_a_v3_path_under_the_terraform_face_names_the_path_meant(api):
    reply = await api.as_(None).post("/terraform/v1/v3/tokens", {})
    assert reply.status == 404 and "did you mean /v3/tokens?" in reply.body["message"]


async def test_a_plain_unknown_path_suggests_nothing(api):
    reply = await api.get("/v3/nothing")
    assert reply.body["message"] == "/v3/nothing not found"
