"""The backoff arithmetic of login throttling and its reservations, with time passed in."""

import asyncio

from shim.config import Config
from shim.throttle import MAX_KEYS, Backoff, LoginThrottle, MemoryScores, Reservation

S = 1000  # ms


def count(backoff: Backoff, times: int, now: int = 0, score=None):
    for _ in range(times):
        score = backoff.counted(score, now)
    return score


def test_attempts_before_the_burst_are_free_and_the_burst_th_starts_a_block():
    backoff = Backoff(burst=5, base=1, cap=300, decay=300)
    assert backoff.wait_ms(count(backoff, 4), 0) == 0
    assert backoff.wait_ms(count(backoff, 5), 0) == 1 * S


def test_each_attempt_past_the_burst_doubles_the_wait_up_to_the_cap():
    backoff = Backoff(burst=5, base=1, cap=300, decay=300)
    waits, score = [], None
    for _ in range(15):
        score = backoff.counted(score, 0)
        waits.append(backoff.wait_ms(score, 0) // S)
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_a_block_ends_by_itself_and_failures_are_forgotten_over_time():
    backoff = Backoff(burst=3, base=1, cap=300, decay=60)
    score = count(backoff, 3)
    assert backoff.wait_ms(score, 0) == 1 * S
    assert backoff.wait_ms(score, 1 * S) == 0
    score = backoff.counted(score, 120 * S)  # two of the three were forgotten: 2, inside the burst
    assert backoff.wait_ms(score, 120 * S) == 0


def test_a_refund_lifts_the_block_its_attempt_started():
    backoff = Backoff(burst=2, base=10, cap=300, decay=300)
    before = count(backoff, 1)
    reserved = backoff.counted(before, 0)
    assert backoff.wait_ms(reserved, 0) == 10 * S
    refunded = backoff.refunded(reserved, reserved, before)
    assert backoff.wait_ms(refunded, 0) == 0 and refunded.failures == 1


def test_a_refund_keeps_a_block_a_later_attempt_started():
    backoff = Backoff(burst=2, base=10, cap=300, decay=300)
    before = count(backoff, 1)
    reserved = backoff.counted(before, 0)
    later = backoff.counted(reserved, 1)
    assert backoff.wait_ms(backoff.refunded(later, reserved, before), 1) > 0


def reserve(throttle, username, address, now=0):
    return asyncio.run(throttle.reserve(username, address, now))


def test_reservations_are_counted_before_the_outcome_is_known():
    throttle = LoginThrottle(Config(login_throttle_user_burst=3, login_throttle_ip_burst=100))
    made = [reserve(throttle, "ann", "10.0.0.1") for _ in range(5)]
    assert [isinstance(r, Reservation) for r in made] == [True, True, True, False, False]
    assert made[3] == 1  # seconds to wait


def test_an_address_that_logged_in_as_the_user_is_not_held_back_by_the_user_block():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=100))
    asyncio.run(throttle.settle(reserve(throttle, "ann", "10.0.0.1"), "succeeded"))
    for _ in range(2):
        reserve(throttle, "ann", "10.6.6.6")
    assert reserve(throttle, "ann", "10.6.6.6") == 1
    assert isinstance(reserve(throttle, "ann", "10.0.0.1"), Reservation)
    assert isinstance(reserve(throttle, "bob", "10.6.6.6"), Reservation)


def test_the_memory_table_forgets_the_oldest_keys_beyond_its_size():
    scores = MemoryScores()

    def one(key):
        return lambda current: ({key: Backoff(0, 10, 300, 300).counted(None, 0)}, None)

    for i in range(MAX_KEYS + 1):
        asyncio.run(scores.change([f"k{i}"], one(f"k{i}")))
    assert len(scores._scores) == MAX_KEYS and "k0" not in scores._scores


def test_an_attempt_counted_during_a_block_never_shortens_it():
    backoff = Backoff(burst=1, base=100, cap=300, decay=1)
    blocked = count(backoff, 3)  # 400 s, capped at 300
    later = backoff.counted(blocked, 100 * S)  # every failure forgotten: alone, a 100 s block
    assert backoff.wait_ms(later, 100 * S) == 200 * S
