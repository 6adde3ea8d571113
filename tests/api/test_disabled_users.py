"""A disabled user's tokens of every kind get 401 on every face, and work again once enabled."""

import pytest

from shim.core.tokens import KINDS, SYSTEM_KINDS
from tests.api.test_auth import MUST_AUTHENTICATE
from tests.api.test_kube_face import UNAUTHORIZED as KUBE_UNAUTHORIZED
from tests.api.test_kube_face import WHOAMI

TF = "/terraform/v1"


async def tokens_of_every_kind(api, user) -> dict[str, str]:
    """kind -> bearer, all owned by `user`."""
    bearers = {"session": user.bearer, "api": (await user.new_token())["token"]}
    kube = await api.login("dora", "user-password-1", responseType="kubeconfig_local")
    assert kube.status == 201 and kube.body["token"].startswith("kubeconfig-"), kube.body
    bearers["kubeconfig"] = kube.body["token"]
    for kind in SYSTEM_KINDS:
        made = await api.post("/v3/tokens", {"kind": kind, "userId": user.user_id})
        assert made.status == 201 and made.body["kind"] == kind, made.body
        bearers[kind] = made.body["token"]
    assert set(bearers) == set(KINDS)
    return bearers


FACES = {
    "v3": lambda client: client.get("/v3"),
    "terraform": lambda client: client.get(f"{TF}/settings"),
    "kube": lambda client: client.post(WHOAMI, {"kind": "SelfSubjectReview"}),
}
OK = {"v3": 200, "terraform": 200, "kube": 201}
REFUSED = {
    "v3": MUST_AUTHENTICATE,
    "terraform": {"code": "Unauthorized", "status": 401, "message": "must authenticate"},
    "kube": KUBE_UNAUTHORIZED,
}


@pytest.mark.parametrize("face", FACES)
async def test_disabled_users_tokens_of_every_kind_get_401_and_work_again_when_enabled(api, face):
    dora = await api.new_user("dora")
    bearers = await tokens_of_every_kind(api, dora)
    call = FACES[face]
    for kind, bearer in bearers.items():
        assert (await call(api.as_(bearer))).status == OK[face], kind
    assert (await api.put(f"/v3/users/{dora.user_id}", {"enabled": False})).status == 200
    for kind, bearer in bearers.items():
        reply = await call(api.as_(bearer))
        assert (reply.status, reply.body) == (401, REFUSED[face]), kind
    assert (await api.put(f"/v3/users/{dora.user_id}", {"enabled": True})).status == 200
    for kind, bearer in bearers.items():
        assert (await call(api.as_(bearer))).status == OK[face], kind


async def test_login_with_a_kubeconfig_response_type_makes_a_kubeconfig_token(api, core):
    dora = await api.new_user("dora")
    reply = await api.login("dora", "user-password-1", responseType="kubeconfig_local")
    assert reply.status == 201
    token = await core.store.get_token(reply.body["token"].split(":")[0])
    assert token.kind == "kubeconfig" and token.user_id == dora.user_id
    assert reply.body["token"].startswith(f"kubeconfig-{dora.user_id}")
