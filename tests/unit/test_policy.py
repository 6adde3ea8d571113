from shim import policy
from shim.policy import MINUTE_MS


def test_ttl_below_max_is_kept():
    assert policy.clamp_ttl(5 * MINUTE_MS, 10) == 5 * MINUTE_MS


def test_ttl_above_max_is_clamped():
    assert policy.clamp_ttl(99 * MINUTE_MS, 10) == 10 * MINUTE_MS


def test_ttl_zero_means_max_when_capped():
    assert policy.clamp_ttl(0, 10) == 10 * MINUTE_MS


def test_max_zero_means_no_cap():
    assert policy.clamp_ttl(0, 0) == 0
    assert policy.clamp_ttl(10**12, 0) == 10**12


def test_expiry_is_inclusive_at_created_plus_ttl():
    assert not policy.is_expired(1000, 500, 1499)
    assert policy.is_expired(1000, 500, 1500)


def test_ttl_zero_never_expires():
    assert not policy.is_expired(0, 0, 10**15)


def test_session_ttl_follows_a_lowered_setting():
    assert policy.session_ttl(960 * MINUTE_MS, 10) == 10 * MINUTE_MS
    assert policy.session_ttl(5 * MINUTE_MS, 10) == 5 * MINUTE_MS
    assert policy.session_ttl(5 * MINUTE_MS, 0) == 5 * MINUTE_MS
    assert policy.session_ttl(0, 10) == 10 * MINUTE_MS


def test_effective_idle_is_never_above_session():
    assert policy.effective_idle_minutes(960, 30) == 30
    assert policy.effective_idle_minutes(20, 30) == 20
    assert policy.effective_idle_minutes(20, 0) == 20


def test_idle_expiry_is_strictly_after_last_activity_plus_idle():
    assert not policy.is_idle_expired(0, 1, MINUTE_MS)
    assert policy.is_idle_expired(0, 1, MINUTE_MS + 1)


def test_idle_never_expires_without_activity_or_with_zero_idle():
    assert not policy.is_idle_expired(None, 1, 10**12)
    assert not policy.is_idle_expired(0, 0, 10**12)


def test_extending_ttl_treats_zero_as_forever():
    assert policy.extends_ttl(100, 200)
    assert not policy.extends_ttl(200, 100)
    assert policy.extends_ttl(100, 0)
    assert not policy.extends_ttl(0, 100)
    assert not policy.extends_ttl(100, 100)


def test_last_used_is_touched_at_most_once_per_second():
    assert policy.should_touch(None, 5)
    assert not policy.should_touch(1000, 1999)
    assert policy.should_touch(1000, 2000)


def test_rfc3339_is_utc_with_z():
    assert policy.rfc3339(0) == "1970-01-01T00:00:00Z"
    assert policy.rfc3339(None) == ""


def test_cluster_scoped_token_only_under_its_cluster():
    assert policy.cluster_allows("", "/v3/tokens")
    assert policy.cluster_allows("c1", "/k8s/clusters/c1/version")
    assert policy.cluster_allows("c1", "/v3/clusters/c1")
    assert not policy.cluster_allows("c1", "/v3/clusters/c10")
    assert not policy.cluster_allows("c1", "/k8s/clusters/c2/version")
    assert not policy.cluster_allows("c1", "/v3/tokens")


def test_audit_times_are_rfc3339_utc_with_milliseconds():
    from shim.audit import rfc3339_ms

    assert rfc3339_ms(1_800_000_000_123) == "2027-01-15T08:00:00.123Z"
    assert rfc3339_ms(1_800_000_000_005) == "2027-01-15T08:00:00.005Z"


def test_derived_ttl_ends_no_later_than_the_parent():
    assert policy.derived_ttl(0, 1_000, None) == 0
    assert policy.derived_ttl(500, 1_000, None) == 500
    assert policy.derived_ttl(0, 1_000, 1_600) == 600
    assert policy.derived_ttl(5_000, 1_000, 1_600) == 600
    assert policy.derived_ttl(200, 1_000, 1_600) == 200


def test_expiry_time_is_created_plus_ttl_and_none_for_never():
    assert policy.expires_ms(1000, 500) == 1500
    assert policy.expires_ms(1000, 0) is None


def test_rfc3339_drops_the_milliseconds():
    assert policy.rfc3339(1_800_000_000_999) == "2027-01-15T08:00:00Z"
    assert policy.rfc3339(1_800_000_001_000) == "2027-01-15T08:00:01Z"


def test_renewal_reason_disabled_expired_window_or_none():
    # created 0, ttl 1000, renew in the last 100 ms
    assert policy.renewal_reason(False, 0, 1000, 100, 0) == "disabled"
    assert policy.renewal_reason(True, 0, 1000, 100, 1000) == "expired"
    assert policy.renewal_reason(True, 0, 1000, 100, 900) == "window"
    assert policy.renewal_reason(True, 0, 1000, 100, 899) is None
    assert policy.renewal_reason(True, 0, 0, 100, 10**12) is None  # never expires


def test_a_ttl_below_the_renewal_window_is_always_in_it():
    assert policy.renewal_reason(True, 0, 50, 100, 0) == "window"
