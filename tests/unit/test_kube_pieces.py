"""Pure pieces of the kube face: HumanDuration, patches, selectors, ext TTL rules."""

import pytest

from shim.core.ext_tokens import clamp, extends
from shim.errors import ApiError
from shim.faces.kube import patches
from shim.faces.kube.humanize import human_duration
from shim.faces.kube.selectors import parse_field_selector, parse_label_selector

MIN = 60_000


@pytest.mark.parametrize("ms, shown", [
    (-1, "0s"), (0, "0s"), (24_000, "24s"), (119_000, "119s"), (150_000, "2m30s"),
    (7_200_000, "120m"), (5 * 3600_000, "5h"), (30 * 3600_000, "30h"),
    (90 * 24 * 3600_000, "90d"), (3 * 365 * 24 * 3600_000, "3y"),
])
def test_human_duration_matches_kubernetes(ms, shown):
    assert human_duration(ms) == shown


@pytest.mark.parametrize("requested, max_minutes, stored", [
    (0, 0, -1), (-5, 0, -5), (500, 0, 500), (0, 10, 10 * MIN), (-1, 10, 10 * MIN),
    (11 * MIN, 10, 10 * MIN), (MIN, 10, MIN), (None, 10, 10 * MIN),
])
def test_ext_ttl_clamping_is_rancher_table(requested, max_minutes, stored):
    assert clamp(requested, max_minutes) == stored


def test_extending_means_living_longer_negative_is_forever():
    assert extends(MIN, 2 * MIN) and extends(MIN, -1)
    assert not extends(2 * MIN, MIN) and not extends(-1, MIN) and not extends(MIN, MIN)


def test_merge_patch_follows_rfc_7386():
    target = {"a": "b", "c": {"d": "e", "f": "g"}}
    assert patches.merge_patch(target, {"a": "z", "c": {"f": None}}) == {"a": "z", "c": {"d": "e"}}
    assert target == {"a": "b", "c": {"d": "e", "f": "g"}}


def test_json_patch_operations():
    doc = {"spec": {"a": 1}, "list": [1, 2]}
    ops = [{"op": "test", "path": "/spec/a", "value": 1},
           {"op": "replace", "path": "/spec/a", "value": 2},
           {"op": "add", "path": "/list/-", "value": 3},
           {"op": "copy", "from": "/spec/a", "path": "/spec/b"},
           {"op": "move", "from": "/spec/b", "path": "/c"},
           {"op": "remove", "path": "/list/0"}]
    assert patches.json_patch(doc, ops) == {"spec": {"a": 2}, "list": [2, 3], "c": 2}
    with pytest.raises(ApiError):
        patches.json_patch(doc, [{"op": "test", "path": "/spec/a", "value": 9}])


def test_strategic_merge_patch_drops_directives():
    patched = patches.apply(patches.STRATEGIC, {"m": {"x": 1}},
                            {"m": {"$retainKeys": ["x"], "y": 2}})
    assert patched == {"m": {"x": 1, "y": 2}}


def test_label_selectors():
    labels = {"team": "ci", "tier": "web"}
    for selector, matches in [("team=ci", True), ("team==ci,tier!=db", True), ("team", True),
                              ("!team", False), ("tier in (web, db)", True),
                              ("tier notin (web)", False), ("missing", False)]:
        assert all(t(labels) for t in parse_label_selector(selector)) is matches, selector
    with pytest.raises(ApiError):
        parse_label_selector("a=b=c")


def test_field_selector_knows_only_metadata_name():
    assert [t("x") for t in parse_field_selector("metadata.name=x")] == [True]
    with pytest.raises(ApiError):
        parse_field_selector("spec.kind=session")
