"""Issue 22, finding 3: lists page as Kubernetes does; metadata and token counts are capped.

Before: `?limit=1` was ignored (2,000 tokens with 60 KB annotations made a 121 MB list),
nothing capped labels + annotations (a v3 list of 14 x 4,000-character labels was 85 MB),
and one user could hold any number of tokens.
"""

import json

import pytest

from shim.core.ext_tokens import Desired
from shim.core.limits import MAX_METADATA_BYTES
from shim.keys import CORE
from tests.api.test_kube_amplification import principal_of
from tests.api.test_kube_tokens import TABLE, TOKENS, create

SETTINGS = "/k8s/clusters/local/apis/management.cattle.io/v3/settings"
NOW = 1_800_000_000_000
OVER = {f"k{i}": "v" * 4000 for i in range(9)}  # 36 KB: over the 32 KB cap


async def names_of(api, query: str) -> tuple[list[str], dict]:
    reply = await api.get(f"{TOKENS}?{query}")
    assert reply.status == 200, reply.body
    return [t["metadata"]["name"] for t in reply.body["items"]], reply.body["metadata"]


async def test_limit_and_continue_page_through_a_list_as_kubernetes_does(api):
    for name in ("t-a", "t-b", "t-c"):
        await create(api, name)
    first, meta = await names_of(api, "limit=1")
    assert first == ["t-a"] and meta["remainingItemCount"] == 2
    second, meta = await names_of(api, f"limit=1&continue={meta['continue']}")
    assert second == ["t-b"] and meta["remainingItemCount"] == 1
    last, meta = await names_of(api, f"limit=2&continue={meta['continue']}")
    assert last == ["t-c"] and meta == {}
    everything, meta = await names_of(api, "")
    assert everything == ["t-a", "t-b", "t-c"] and meta == {}


async def test_a_selector_pages_without_counting_the_rest(api):
    for name, team in (("s-a", "x"), ("s-b", "y"), ("s-c", "x"), ("s-d", "x")):
        assert (await api.post(TOKENS, {"metadata": {"name": name, "labels": {"team": team}},
                                        "spec": {}})).status == 201
    found, meta = await names_of(api, "labelSelector=team%3Dx&limit=2")
    assert found == ["s-a", "s-c"] and "remainingItemCount" not in meta
    rest, meta = await names_of(api, f"labelSelector=team%3Dx&limit=2&continue={meta['continue']}")
    assert rest == ["s-d"]


async def test_table_output_pages_too(api):
    for name in ("r-a", "r-b"):
        await create(api, name)
    reply = await api.get(f"{TOKENS}?limit=1", headers={"Accept": TABLE})
    assert reply.body["kind"] == "Table" and len(reply.body["rows"]) == 1
    assert reply.body["metadata"]["continue"]


@pytest.mark.parametrize("token", ["nonsense", "eyJ2IjoxfQ", "%25%25"])
async def test_a_continue_token_the_server_did_not_make_is_a_400(api, token):
    reply = await api.get(f"{TOKENS}?limit=1&continue={token}")
    assert reply.status == 400 and reply.body["message"].startswith("continue key is not valid")


async def with_ext_tokens(make_api, config, prefix: str, count: int):
    """An admin Api whose user has `count` ext tokens named `<prefix>-0000` on (made
    through the core, faster than over HTTP)."""
    api = await make_api(config, max_tokens_per_user=2000)
    core = api.client.server.app[CORE]
    actor = await principal_of(api, core)
    for n in range(count):
        await core.ext_tokens.create(actor, Desired(name=f"{prefix}-{n:04d}"), NOW)
    return api


async def test_a_list_longer_than_a_store_page_is_whole_and_in_name_order(make_api, config):
    api = await with_ext_tokens(make_api, config, "bulk", 1100)
    everything, meta = await names_of(api, "")
    assert everything == [f"bulk-{n:04d}" for n in range(1100)] and meta == {}
    paged, token = [], ""
    while True:
        found, meta = await names_of(api, f"limit=400&continue={token}")
        paged += found
        token = meta.get("continue")
        if not token:
            break
    assert paged == everything


async def test_a_limit_above_a_page_returns_a_page_and_a_continue(make_api, config):
    api = await with_ext_tokens(make_api, config, "p", 520)
    found, meta = await names_of(api, "limit=100000")
    assert len(found) == 500 and meta["remainingItemCount"] == 20


async def test_ext_token_metadata_is_capped_naming_the_cap(api):
    reply = await api.post(TOKENS, {"metadata": {"name": "fat", "annotations": OVER}, "spec": {}})
    assert reply.status == 422 and f"at most {MAX_METADATA_BYTES} bytes" in reply.body["message"]
    assert "metadata size cap" in reply.body["message"]
    assert len(json.dumps(reply.body)) < 2000
    await create(api, "thin")
    grown = await api.request(
        "PATCH", f"{TOKENS}/thin", data=json.dumps({"metadata": {"labels": {"a": "b"},
                                                                  "annotations": OVER}}),
        headers={"Content-Type": "application/merge-patch+json"})
    assert grown.status == 422 and "metadata size cap" in grown.body["message"]
    within = {f"k{i}": "v" * 4000 for i in range(7)}
    assert (await api.post(TOKENS, {"metadata": {"name": "ok", "annotations": within},
                                    "spec": {}})).status == 201


async def test_v3_labels_are_capped_too(api):
    """14 labels of 4,000 characters passed the schema (64 x 4,096) and made 85 MB lists
    (the Terraform face takes no labels)."""
    labels = {f"l{i}": "v" * 4000 for i in range(14)}
    reply = await api.post("/v3/tokens", {"labels": labels})
    assert reply.status == 422, reply.body
    assert "metadata size cap" in json.dumps(reply.body)
    made = await api.post("/v3/tokens", {"labels": {"a": "b"}})
    changed = await api.put(f"/v3/tokens/{made.body['id']}", {"annotations": OVER})
    assert changed.status == 422 and "metadata size cap" in changed.body["message"]


async def test_kube_setting_metadata_is_capped(api):
    reply = await api.request(
        "PATCH", f"{SETTINGS}/auth-token-max-ttl-minutes",
        data=json.dumps({"metadata": {"annotations": OVER}}),
        headers={"Content-Type": "application/merge-patch+json"})
    assert reply.status == 422 and "metadata size cap" in reply.body["message"]


async def test_a_user_holds_at_most_max_tokens_per_user_live_tokens(make_api, config, clock):
    api = await make_api(config, max_tokens_per_user=3)
    ann = await api.new_user("ann")
    made = [(await ann.post("/v3/tokens", {"ttl": 60_000})).body["id"]]
    await create(ann, "ext-1")
    made.append((await ann.post("/terraform/v1/tokens", {"description": "tf"})).body["id"])
    for path, body in (("/v3/tokens", {}), ("/terraform/v1/tokens", {}),
                       (TOKENS, {"metadata": {"name": "ext-2"}, "spec": {}})):
        refused = await ann.post(path, body)
        assert refused.status == 403, (path, refused.body)
        assert "max_tokens_per_user" in json.dumps(refused.body)
    kubeconfig = await ann.post("/v3/clusters/local?action=generateKubeconfig")
    assert kubeconfig.status == 403
    assert (await ann.login("ann", "user-password-1")).status == 201  # sessions do not count
    assert (await api.post("/v3/tokens", {})).status == 201  # another user's count is theirs
    clock.advance(61_000)  # the first token expired: it no longer counts
    assert (await ann.post("/v3/tokens", {})).status == 201
    assert (await ann.delete(f"/v3/tokens/{made[1]}")).status in (200, 204)
    assert (await ann.post(TOKENS, {"metadata": {"name": "ext-2"}, "spec": {}})).status == 201


async def test_max_tokens_per_user_zero_is_no_cap(make_api, config):
    api = await make_api(config, max_tokens_per_user=0)
    for _ in range(3):
        assert (await api.post("/v3/tokens", {})).status == 201
