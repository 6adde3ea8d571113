"""shim/headers.py: text from input made safe for a response header."""

from aiohttp import web
from multidict import CIMultiDict

from shim import headers


def test_text_escapes_everything_outside_visible_ascii_and_bounds_the_length():
    escaped = r"a\nb\r\x00\x7f" + "\t" + r"\xe9\u2028\ud800"
    assert headers.text("a\nb\r\x00\x7f\t\xe9\u2028\ud800") == escaped
    assert headers.text("x" * 5000, 100) == "x" * 97 + "..."
    assert headers.text("plain value") == "plain value"


def test_warning_quotes_and_cuts_the_message():
    shown = headers.warning('unknown field "a\\b\nc"' + "y" * 500)
    assert shown.startswith('299 - "unknown field \\"a\\\\b\\\\nc\\"') and len(shown) < 530
    assert shown.isascii() and shown.isprintable()


async def test_guard_rewrites_only_unsafe_values_and_keeps_the_rest():
    response = web.Response()
    response.headers.clear()
    response.headers.extend([("Warning", "ok"), ("X-A", "bad\nvalue"), ("X-B", "z" * 5000),
                             ("Warning", "two")])
    await headers.guard(None, response)
    assert list(response.headers.items()) == [
        ("Warning", "ok"), ("X-A", "bad\\nvalue"), ("X-B", "z" * 4093 + "..."), ("Warning", "two")]
    safe = CIMultiDict([("Content-Type", "application/json")])
    response.headers.clear()
    response.headers.extend(safe)
    await headers.guard(None, response)
    assert dict(response.headers) == {"Content-Type": "application/json"}
