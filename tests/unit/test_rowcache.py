from shim.store.base import Token, User
from shim.store.rowcache import RowCache

USER = User(id="u", username="u", name="", role="user", enabled=True, password_hash="", created=0)


def row(token_id: str) -> tuple[Token, User]:
    token = Token(id=token_id, user_id="u", kind="api", secret="s", description="", ttl=0,
                  ttl_requested=0, created=0)
    return token, USER


def test_cache_never_holds_more_than_its_bound():
    cache = RowCache(max_rows=3)
    for n in range(10):
        cache.put(f"t{n}", row(f"t{n}"))
    assert len(cache) == 3
    assert cache.get("t9") is not None and cache.get("t0") is None


def test_touch_refreshes_use_times_of_a_cached_row_only():
    cache = RowCache()
    cache.put("t", row("t"))
    cache.touched("t", 42, activity=False)
    cache.touched("absent", 42, activity=True)
    token, _ = cache.get("t")
    assert (token.last_used, token.last_activity) == (42, None)
    assert cache.get("absent") is None
