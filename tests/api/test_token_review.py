"""POST /v1/authenticate: TokenReviews for a kube-apiserver's token webhook."""

import json

import pytest

from tests.api.test_metrics import sample, scrape

REVIEW = "/v1/authenticate"
MINUTE_MS = 60_000


def review(token: str, version: str = "v1", **spec) -> dict:
    return {"apiVersion": f"authentication.k8s.io/{version}", "kind": "TokenReview",
            "spec": {"token": token, **spec}}


async def ask(api, token: str, query: str = "", **kw) -> dict:
    """The review's status, posted without any credential of the caller's own."""
    reply = await api.as_(None).post(REVIEW + query, review(token, **kw))
    assert reply.status == 200, reply.body
    assert reply.body["kind"] == "TokenReview"
    return reply.body["status"]


async def ext_bearer(api, **spec) -> str:
    body = {"apiVersion": "ext.cattle.io/v1", "kind": "Token", "metadata": {}, "spec": spec}
    reply = await api.post("/k8s/clusters/local/apis/ext.cattle.io/v1/tokens", body)
    assert reply.status == 201, reply.body
    return reply.body["status"]["bearerToken"]


@pytest.mark.parametrize("version", ["v1", "v1beta1"])
async def test_a_valid_token_is_authenticated_as_its_user_id(api, version):
    ruth = await api.new_user("ruth")
    reply = await api.as_(None).post(REVIEW, review(ruth.bearer, version))
    assert reply.status == 200
    assert reply.body["apiVersion"] == f"authentication.k8s.io/{version}"
    status = reply.body["status"]
    assert status["authenticated"] is True
    assert status["user"] == {
        "username": ruth.user_id, "uid": ruth.user_id, "groups": ["token-shim:users"],
        "extra": {"requesttokenid": [ruth.bearer.split(":")[0]], "username": ["ruth"]},
    }


async def test_an_admin_is_in_the_admins_group(api):
    status = await ask(api, api.bearer)
    assert status["user"]["groups"] == ["token-shim:users", "token-shim:admins"]


async def test_audiences_asked_for_are_answered(api):
    status = await ask(api, api.bearer, audiences=["https://kubernetes.default.svc"])
    assert status["audiences"] == ["https://kubernetes.default.svc"]


async def test_an_ext_token_is_authenticated(api):
    bearer = await ext_bearer(api, description="kube")
    status = await ask(api, bearer)
    assert status["authenticated"] is True
    assert status["user"]["extra"]["requesttokenid"] == [bearer.removeprefix("ext/").rsplit(":", 1)[0]]


async def refusals(api, clock):
    """(why, token) for every way a token stops being valid."""
    ruth = await api.new_user("ruth")
    deleted = (await api.new_token(description="revoked"))["token"]
    assert (await api.delete(f"/v3/tokens/{deleted.split(':')[0]}")).status in (200, 204)
    expiring = (await api.new_token(ttl=MINUTE_MS))["token"]
    disabled = (await api.new_token(description="off"))["token"]
    assert (await api.put(f"/v3/tokens/{disabled.split(':')[0]}", {"enabled": False})).status == 200
    clock.advance(2 * MINUTE_MS)
    assert (await api.put(f"/v3/users/{ruth.user_id}", {"enabled": False})).status == 200
    return [("revoked", deleted), ("expired", expiring), ("disabled token", disabled),
            ("disabled user", ruth.bearer), ("wrong secret", api.bearer.split(":")[0] + ":x" * 27),
            ("v3 token as ext", "ext/" + api.bearer), ("garbage", "not-a-token")]


async def test_every_dead_token_is_refused_without_saying_why(api, clock):
    for why, token in await refusals(api, clock):
        assert await ask(api, token) == {"authenticated": False}, why


async def test_a_token_scoped_to_another_cluster_is_refused(make_api, config):
    api = await make_api(config, clusters=("local", "other"))
    scoped = (await api.new_token(clusterId="other"))["token"]
    assert (await ask(api, scoped))["authenticated"] is False  # the first cluster: local
    assert (await ask(api, scoped, "?cluster=other"))["authenticated"] is True
    assert (await ask(api, api.bearer, "?cluster=other"))["authenticated"] is True  # unscoped


async def test_an_unknown_cluster_is_a_bad_request(api):
    reply = await api.as_(None).post(REVIEW + "?cluster=nowhere", review(api.bearer))
    assert reply.status == 400 and reply.body["kind"] == "Status"
    assert "nowhere" in reply.body["message"]


async def test_a_user_who_must_change_their_password_is_refused(api):
    ruth = await api.new_user("ruth", mustChangePassword=True)
    assert (await ask(api, ruth.bearer))["authenticated"] is False


@pytest.mark.parametrize("body, field", [
    ({"apiVersion": "authentication.k8s.io/v2", "kind": "TokenReview", "spec": {"token": "a"}},
     "apiVersion"),
    ({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {}}, "token"),
    ({"apiVersion": "authentication.k8s.io/v1", "kind": "Pod", "spec": {"token": "a"}}, "kind"),
])
async def test_a_malformed_review_is_a_400_status_naming_the_field(api, body, field):
    reply = await api.as_(None).post(REVIEW, body)
    assert reply.status == 400 and reply.body["kind"] == "Status"
    assert field in reply.body["message"]


async def test_reviews_are_audited_and_failures_counted_by_reason(make_api, config, tmp_path):
    path = tmp_path / "audit.log"
    api = await make_api(config, audit_log=str(path))
    await ask(api, api.bearer)
    await ask(api, api.bearer.split(":")[0] + ":wrong")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    reviews = [line for line in lines if line["event"] == "token.review"]
    token_id = api.bearer.split(":")[0]
    assert [(r["outcome"], r["target"], r.get("reason")) for r in reviews] == [
        ("success", token_id, None), ("failure", token_id, "bad secret")]
    assert all(r["cluster"] == "local" for r in reviews)
    assert api.bearer.split(":")[1] not in path.read_text()
    assert sample(await scrape(api), "token_shim_auth_failures_total", reason="bad secret") == 1


async def test_failed_reviews_of_one_token_are_throttled(make_api, config):
    api = await make_api(config, login_throttle_user_burst=3, login_throttle_ip_burst=100)
    token_id = api.bearer.split(":")[0]
    for _ in range(3):
        assert await ask(api, f"{token_id}:wrong") == {"authenticated": False}
    throttled = await ask(api, api.bearer)  # even the right secret, while the block lasts
    assert throttled["authenticated"] is False and "too many failed reviews" in throttled["error"]
    ruth = await api.new_user("ruth")
    assert (await ask(api, ruth.bearer))["authenticated"] is True  # other tokens are not held


async def test_admin_review_access_needs_an_admins_bearer(make_api, config):
    api = await make_api(config, review_access="admin")
    ruth = await api.new_user("ruth")
    assert (await api.as_(None).post(REVIEW, review(ruth.bearer))).status == 401
    assert (await ruth.post(REVIEW, review(ruth.bearer))).status == 403
    reply = await api.post(REVIEW, review(ruth.bearer))
    assert reply.status == 200 and reply.body["status"]["authenticated"] is True


async def test_client_cert_review_access_refuses_a_caller_without_one(make_api, config, tmp_path):
    from shim.tls import ensure_self_signed

    ca = ensure_self_signed(tmp_path / "reviewers").ca
    api = await make_api(config, review_access="client-cert", review_client_ca=str(ca))
    reply = await api.post(REVIEW, review(api.bearer))  # plain HTTP: no certificate at all
    assert reply.status == 401 and reply.body["kind"] == "Status"
