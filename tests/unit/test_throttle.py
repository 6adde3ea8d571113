"""The backoff arithmetic of login throttling, with time passed in."""

from shim.config import Config
from shim.throttle import MAX_KEYS, Backoff, LoginThrottle

S = 1000  # ms


def fail(backoff: Backoff, times: int, now: int = 0) -> None:
    for _ in range(times):
        backoff.fail("k", now)


def test_failures_within_the_burst_are_free():
    backoff = Backoff(burst=5, base=1, cap=300, decay=300)
    fail(backoff, 5)
    assert backoff.wait_ms("k", 0) == 0


def test_each_failure_past_the_burst_doubles_the_wait_up_to_the_cap():
    backoff = Backoff(burst=5, base=1, cap=300, decay=300)
    waits = []
    for _ in range(15):
        backoff.fail("k", 0)
        waits.append(backoff.wait_ms("k", 0) // S)
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300]


def test_a_block_ends_by_itself_and_failures_are_forgotten_over_time():
    backoff = Backoff(burst=2, base=1, cap=300, decay=60)
    fail(backoff, 3)
    assert backoff.wait_ms("k", 0) == 1 * S
    assert backoff.wait_ms("k", 1 * S) == 0
    backoff.fail("k", 120 * S)  # two of the three were forgotten: 2 failures, inside the burst
    assert backoff.wait_ms("k", 120 * S) == 0


def test_clearing_a_key_lifts_its_block():
    backoff = Backoff(burst=0, base=10, cap=300, decay=300)
    fail(backoff, 1)
    backoff.clear("k")
    assert backoff.wait_ms("k", 0) == 0


def test_the_table_forgets_the_oldest_keys_beyond_its_size():
    backoff = Backoff(burst=0, base=10, cap=300, decay=300)
    for i in range(MAX_KEYS + 1):
        backoff.fail(f"k{i}", 0)
    assert backoff.wait_ms("k0", 0) == 0 and backoff.wait_ms(f"k{MAX_KEYS}", 0) > 0


def test_an_address_that_logged_in_as_the_user_is_not_held_back_by_the_user_block():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=100))
    throttle.succeeded("ann", "10.0.0.1")
    for _ in range(5):
        throttle.failed("ann", "10.6.6.6", 0)
    assert throttle.retry_after("ann", "10.6.6.6", 0) > 0
    assert throttle.retry_after("ann", "10.0.0.1", 0) == 0
    assert throttle.retry_after("bob", "10.6.6.6", 0) == 0
