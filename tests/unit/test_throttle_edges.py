"""Corners of the backoff arithmetic that mutation testing found unguarded (shim/throttle.py).

Branch sec-auth rewrites the throttle; these pin today's behaviour of Backoff/LoginThrottle.
"""

from shim.config import Config
from shim.throttle import MAX_KEYS, Backoff, LoginThrottle

S = 1000  # ms


def test_a_fully_forgotten_key_starts_again_from_one_failure():
    backoff = Backoff(burst=1, base=1, cap=300, decay=60)
    backoff.fail("k", 0)
    backoff.fail("k", 10**9)  # long after: the first failure is forgotten entirely
    assert backoff.wait_ms("k", 10**9) == 0


def test_a_partly_forgotten_failure_still_counts_as_a_whole_one():
    backoff = Backoff(burst=1, base=1, cap=300, decay=60)
    backoff.fail("k", 0)
    backoff.fail("k", 30 * S)  # 1 - 0.5 + 1 = 1.5 failures: rounds up to 2, past the burst
    assert backoff.wait_ms("k", 30 * S) == 1 * S


def test_the_wait_counts_down_with_the_clock():
    backoff = Backoff(burst=0, base=10, cap=300, decay=300)
    backoff.fail("k", 0)
    assert [backoff.wait_ms("k", t) for t in (0, 4 * S, 10 * S, 11 * S)] == [10 * S, 6 * S, 0, 0]


def test_an_unknown_key_waits_nothing_and_clears_quietly():
    backoff = Backoff(burst=0, base=10, cap=300, decay=300)
    assert backoff.wait_ms("nobody", 0) == 0
    backoff.clear("nobody")


def test_the_table_forgets_exactly_the_least_recently_failed_key():
    backoff = Backoff(burst=0, base=10, cap=300, decay=300)
    for i in range(MAX_KEYS):
        backoff.fail(f"k{i}", 0)
    backoff.fail("k0", 0)  # k0 failed again: k1 is now the oldest
    backoff.fail("new", 0)
    assert backoff.wait_ms("k1", 0) == 0
    assert all(backoff.wait_ms(k, 0) > 0 for k in ("k0", "k2", f"k{MAX_KEYS - 1}", "new"))


def test_retry_after_is_in_whole_seconds_rounded_up():
    throttle = LoginThrottle(Config(login_throttle_user_burst=0, login_throttle_ip_burst=100,
                                    login_throttle_base=1.5))
    throttle.failed("ann", "10.0.0.9", 0)
    assert throttle.retry_after("ann", "10.0.0.9", 0) == 2
    assert throttle.retry_after("ann", "10.0.0.9", 1499) == 1
    assert throttle.retry_after("ann", "10.0.0.9", 1500) == 0


def test_the_address_block_applies_to_every_user_from_it():
    throttle = LoginThrottle(Config(login_throttle_user_burst=100, login_throttle_ip_burst=1))
    throttle.succeeded("ann", "10.6.6.6")
    for _ in range(3):
        throttle.failed("ann", "10.6.6.6", 0)
    assert throttle.retry_after("bob", "10.6.6.6", 0) > 0
    assert throttle.retry_after("ann", "10.6.6.6", 0) > 0  # a login does not exempt the address
    assert throttle.retry_after("ann", "10.0.0.1", 0) == 0


def test_a_success_clears_the_users_failures():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=100))
    for _ in range(3):
        throttle.failed("ann", "10.6.6.6", 0)
    throttle.succeeded("ann", "10.0.0.1")
    assert throttle.retry_after("ann", "10.6.6.6", 0) == 0


def test_without_the_exemption_a_known_address_is_held_back_too():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=100))
    throttle.succeeded("ann", "10.0.0.1")
    for _ in range(3):
        throttle.failed("ann", "10.6.6.6", 0)
    assert throttle.retry_after("ann", "10.0.0.1", 0) == 0
    assert throttle.retry_after("ann", "10.0.0.1", 0, exempt_known=False) > 0


def test_the_trusted_pairs_forget_the_oldest_beyond_the_table_size():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=10**6))
    for i in range(MAX_KEYS):
        throttle.succeeded("ann", f"a{i}")
    throttle.succeeded("ann", "a0")  # refreshed: a1 is now the oldest
    throttle.succeeded("ann", "fresh")
    for _ in range(3):
        throttle.failed("ann", "attacker", 0)
    assert throttle.retry_after("ann", "a1", 0) > 0
    assert throttle.retry_after("ann", "a0", 0) == 0 and throttle.retry_after("ann", "a2", 0) == 0


def test_the_cap_is_exact_in_milliseconds():
    backoff = Backoff(burst=0, base=1, cap=300, decay=10**6)
    for _ in range(20):
        backoff.fail("k", 0)
    assert backoff.wait_ms("k", 0) == 300 * S


def test_one_decay_period_forgets_exactly_one_failure():
    backoff = Backoff(burst=1, base=1, cap=300, decay=60)
    backoff.fail("k", 0)
    backoff.fail("k", 60 * S)  # 1 - 1 + 1 = exactly 1 failure: still inside the burst
    assert backoff.wait_ms("k", 60 * S) == 0


def test_a_wait_just_over_a_second_is_two_seconds():
    throttle = LoginThrottle(Config(login_throttle_user_burst=0, login_throttle_ip_burst=100,
                                    login_throttle_base=2))
    throttle.failed("ann", "10.0.0.9", 0)
    assert throttle.retry_after("ann", "10.0.0.9", 999) == 2  # 1001 ms left
    assert throttle.retry_after("ann", "10.0.0.9", 1000) == 1


def test_the_address_key_is_the_peer_address_or_one_shared_fallback():
    from types import SimpleNamespace

    from shim.throttle import client_address

    assert client_address(SimpleNamespace(remote="10.0.0.7")) == "10.0.0.7"
    assert client_address(SimpleNamespace(remote="::1")) == "::1"
    fallback = client_address(SimpleNamespace(remote=None))
    assert fallback and fallback == client_address(SimpleNamespace(remote=""))
