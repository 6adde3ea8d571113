"""Issue 25.9: JSON answers end in a newline (as Rancher's and Kubernetes' Go encoders write
them), so curl's output does not run into the prompt; the Terraform face's bodies stay as
the provider keeps them, byte for byte."""

import json

import pytest

TF = "/terraform/v1"


async def raw(api, method: str, path: str, body=None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {api.bearer}"} if api.bearer else {}
    async with api.client.request(method, path, headers=headers, json=body) as resp:
        return resp.status, await resp.read()


@pytest.mark.parametrize("path", ["/v3", "/v3/tokens", "/v3/settings/auth-token-max-ttl-minutes",
                                  "/v3/nothing", "/k8s/clusters/local/apis",
                                  "/k8s/clusters/local/apis/ext.cattle.io/v1/tokens/nothing"])
async def test_v3_and_kube_answers_and_errors_end_in_a_newline(api, path):
    status, body = await raw(api, "GET", path)
    assert body.endswith(b"}\n") and not body.endswith(b"\n\n"), (status, body[-40:])
    json.loads(body)


async def test_a_token_read_ends_in_one_newline_however_often_it_is_read(api):
    token = await api.new_token(description="twice")
    first = await raw(api, "GET", f"/v3/tokens/{token['id']}")
    second = await raw(api, "GET", f"/v3/tokens/{token['id']}")  # the kept rendering
    assert first == second and first[1].endswith(b"}\n") and not first[1].endswith(b"\n\n")


async def test_must_authenticate_ends_in_a_newline(api):
    status, body = await raw(api.as_(None), "GET", "/v3/tokens")
    assert (status, json.loads(body)) == (401, {"type": "error", "status": "401",
                                                "message": "Unauthorized 401: must authenticate"})
    assert body.endswith(b"}\n")


async def test_terraform_bodies_and_errors_have_no_newline(api):
    doc = {"description": "tf"}
    status, created = await raw(api, "POST", f"{TF}/tokens", doc)
    assert status in (200, 201) and created.endswith(b"}"), created
    token_id = json.loads(created)["id"]
    status, read = await raw(api, "GET", f"{TF}/tokens/{token_id}")
    assert (status, read) == (200, b'{"description":"tf"}')
    status, error = await raw(api, "GET", f"{TF}/tokens/token-nothere")
    assert status == 404 and error.endswith(b"}")
