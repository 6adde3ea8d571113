"""Corners of the backoff arithmetic that mutation testing found unguarded (shim/throttle.py).

Ported to the reserve/settle throttle (branch sec-auth): `burst` is now the number of
attempts checked, so the burst-th counted attempt starts the block (the old tests'
burst N is burst N + 1 here, and burst 0 is burst 1).
"""

import asyncio

from shim.config import Config
from shim.throttle import MAX_KEYS, Backoff, LoginThrottle, MemoryScores, Reservation

S = 1000  # ms


def count(backoff: Backoff, times: int, now: int = 0, score=None):
    for _ in range(times):
        score = backoff.counted(score, now)
    return score


def reserve(throttle, username, address, now=0, exempt_known=True):
    return asyncio.run(throttle.reserve(username, address, now, exempt_known))


def settle(throttle, reservation, outcome):
    assert isinstance(reservation, Reservation), reservation
    asyncio.run(throttle.settle(reservation, outcome))


def log_in(throttle, username, address, now=0):
    settle(throttle, reserve(throttle, username, address, now), "succeeded")


def test_a_fully_forgotten_key_starts_again_from_one_failure():
    backoff = Backoff(burst=2, base=1, cap=300, decay=60)
    score = backoff.counted(count(backoff, 1), 10**9)  # long after: the first is forgotten entirely
    assert score.failures == 1 and backoff.wait_ms(score, 10**9) == 0


def test_a_partly_forgotten_failure_still_counts_as_a_whole_one():
    backoff = Backoff(burst=2, base=1, cap=300, decay=60)
    score = backoff.counted(count(backoff, 1), 30 * S)  # 1 - 0.5 + 1 = 1.5: rounds up to 2, the burst
    assert score.failures == 1.5 and backoff.wait_ms(score, 30 * S) == 1 * S


def test_the_wait_counts_down_with_the_clock():
    backoff = Backoff(burst=1, base=10, cap=300, decay=300)
    score = count(backoff, 1)
    assert [backoff.wait_ms(score, t) for t in (0, 4 * S, 10 * S, 11 * S)] == [10 * S, 6 * S, 0, 0]


def test_an_unknown_key_waits_nothing_and_a_forgotten_key_is_given_back_quietly():
    assert Backoff(burst=1, base=10, cap=300, decay=300).wait_ms(None, 0) == 0
    throttle = LoginThrottle(Config(login_throttle_user_burst=5, login_throttle_ip_burst=5))
    reservation = reserve(throttle, "ann", "10.0.0.1")
    throttle.scores._scores.clear()  # both keys forgotten (table eviction) before the settle
    settle(throttle, reservation, "void")
    assert len(throttle.scores._scores) == 0  # nothing brought back to life


def test_the_table_forgets_exactly_the_least_recently_counted_key():
    backoff, scores = Backoff(burst=1, base=10, cap=300, decay=300), MemoryScores()

    def one(key):
        return lambda current: ({key: backoff.counted(current.get(key), 0)}, None)

    async def fill():
        for i in range(MAX_KEYS):
            await scores.change([f"k{i}"], one(f"k{i}"))
        await scores.change(["k0"], one("k0"))  # k0 counted again: k1 is now the oldest
        await scores.change(["new"], one("new"))

    asyncio.run(fill())
    assert "k1" not in scores._scores and len(scores._scores) == MAX_KEYS
    assert all(backoff.wait_ms(scores._scores[k], 0) > 0
               for k in ("k0", "k2", f"k{MAX_KEYS - 1}", "new"))


def test_retry_after_is_in_whole_seconds_rounded_up():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=100,
                                    login_throttle_base=1.5))
    reserve(throttle, "ann", "10.0.0.9", 0)
    assert reserve(throttle, "ann", "10.0.0.9", 0) == 2
    assert reserve(throttle, "ann", "10.0.0.9", 1499) == 1
    assert isinstance(reserve(throttle, "ann", "10.0.0.9", 1500), Reservation)


def test_the_address_block_applies_to_every_user_from_it():
    throttle = LoginThrottle(Config(login_throttle_user_burst=100, login_throttle_ip_burst=2))
    log_in(throttle, "ann", "10.6.6.6")  # a success gives the address its attempt back
    for _ in range(2):
        reserve(throttle, "ann", "10.6.6.6")
    assert reserve(throttle, "bob", "10.6.6.6") == 1
    assert reserve(throttle, "ann", "10.6.6.6") == 1  # a login does not exempt the address
    assert isinstance(reserve(throttle, "ann", "10.0.0.1"), Reservation)


def test_a_success_clears_the_users_failures():
    throttle = LoginThrottle(Config(login_throttle_user_burst=2, login_throttle_ip_burst=100))
    pending = reserve(throttle, "ann", "10.0.0.1")  # its password is being checked meanwhile
    reserve(throttle, "ann", "10.6.6.6")
    assert reserve(throttle, "ann", "10.6.6.6") == 1
    settle(throttle, pending, "succeeded")
    again = reserve(throttle, "ann", "10.6.6.6")
    assert isinstance(again, Reservation) and again.after["user:ann"].failures == 1


def test_without_the_exemption_a_known_address_is_held_back_too():
    throttle = LoginThrottle(Config(login_throttle_user_burst=2, login_throttle_ip_burst=100))
    log_in(throttle, "ann", "10.0.0.1")
    for _ in range(2):
        reserve(throttle, "ann", "10.6.6.6")
    assert reserve(throttle, "ann", "10.0.0.1", exempt_known=False) == 1
    assert isinstance(reserve(throttle, "ann", "10.0.0.1"), Reservation)


def test_the_trusted_pairs_forget_the_oldest_beyond_the_table_size():
    throttle = LoginThrottle(Config(login_throttle_user_burst=2, login_throttle_ip_burst=10**6))

    async def logins(addresses):
        for address in addresses:
            await throttle.settle(await throttle.reserve("ann", address, 0), "succeeded")

    asyncio.run(logins([f"a{i}" for i in range(MAX_KEYS)] + ["a0", "fresh"]))  # a1 is the oldest
    for _ in range(2):
        reserve(throttle, "ann", "attacker")
    assert reserve(throttle, "ann", "a1") == 1
    assert isinstance(reserve(throttle, "ann", "a0"), Reservation)
    assert isinstance(reserve(throttle, "ann", "a2"), Reservation)


def test_the_cap_is_exact_in_milliseconds():
    backoff = Backoff(burst=1, base=1, cap=300, decay=10**6)
    assert backoff.wait_ms(count(backoff, 20), 0) == 300 * S


def test_one_decay_period_forgets_exactly_one_failure():
    backoff = Backoff(burst=2, base=1, cap=300, decay=60)
    score = backoff.counted(count(backoff, 1), 60 * S)  # 1 - 1 + 1 = exactly 1: inside the burst
    assert score.failures == 1 and backoff.wait_ms(score, 60 * S) == 0


def test_a_wait_just_over_a_second_is_two_seconds():
    throttle = LoginThrottle(Config(login_throttle_user_burst=1, login_throttle_ip_burst=100,
                                    login_throttle_base=2))
    reserve(throttle, "ann", "10.0.0.9", 0)
    assert reserve(throttle, "ann", "10.0.0.9", 999) == 2  # 1001 ms left
    assert reserve(throttle, "ann", "10.0.0.9", 1000) == 1


def test_the_address_key_is_the_peer_address_or_one_shared_fallback():
    from types import SimpleNamespace

    from shim.throttle import client_address

    assert client_address(SimpleNamespace(remote="10.0.0.7")) == "10.0.0.7"
    assert client_address(SimpleNamespace(remote="::1")) == "loopback"  # one for all of it
    assert client_address(SimpleNamespace(remote="2001:db8::7")) == "2001:db8::/64"
    fallback = client_address(SimpleNamespace(remote=None))
    assert fallback and fallback == client_address(SimpleNamespace(remote=""))


def test_a_refund_of_a_keys_first_attempt_leaves_no_block_at_all():
    for base in (10, 0.001):  # 0.001: a 1 ms block counted at time 0 ends at 1
        backoff = Backoff(burst=1, base=base, cap=300, decay=300)
        reserved = backoff.counted(None, 0)
        assert reserved.until == base * S
        refunded = backoff.refunded(reserved, reserved, None)
        assert (refunded.until, refunded.failures) == (0, 0) and backoff.wait_ms(refunded, 0) == 0
        assert refunded.forget == 0  # nothing left to remember: the row may go at once


def test_a_void_attempt_from_a_known_address_gives_back_only_the_block_it_made():
    throttle = LoginThrottle(Config(login_throttle_user_burst=2, login_throttle_ip_burst=100))
    log_in(throttle, "ann", "10.0.0.1")
    for _ in range(2):
        reserve(throttle, "ann", "10.6.6.6")
    own = reserve(throttle, "ann", "10.0.0.1")  # exempt: counted, the block grows to 2 s
    assert reserve(throttle, "ann", "10.6.6.6") == 2
    settle(throttle, own, "void")
    assert reserve(throttle, "ann", "10.6.6.6") == 1  # the block the attacker earned stays


def test_a_void_attempt_keeps_the_users_failures_and_a_success_keeps_the_addresss():
    throttle = LoginThrottle(Config(login_throttle_user_burst=10, login_throttle_ip_burst=10))
    for _ in range(2):
        settle(throttle, reserve(throttle, "ann", "10.6.6.6"), "failed")
    settle(throttle, reserve(throttle, "ann", "10.6.6.6"), "void")
    after = reserve(throttle, "ann", "10.6.6.6").after
    assert (after["user:ann"].failures, after["addr:10.6.6.6"].failures) == (3, 3)
    throttle = LoginThrottle(Config(login_throttle_user_burst=10, login_throttle_ip_burst=10))
    for _ in range(2):
        settle(throttle, reserve(throttle, "ann", "10.6.6.6"), "failed")
    log_in(throttle, "ann", "10.6.6.6")  # clears ann's score, gives back only its own on the address
    after = reserve(throttle, "bob", "10.6.6.6").after
    assert after["addr:10.6.6.6"].failures == 3
