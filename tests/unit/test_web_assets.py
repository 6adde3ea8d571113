"""The browser face's files ship with the package and its templates compile."""

from importlib import resources

from shim.faces.web import face as web
from shim.faces.web import pages
from shim.faces.web.expiry import choices
from shim.faces.web.negotiate import wants_html


def test_every_page_asset_is_package_data_and_every_template_compiles():
    root = resources.files("shim.faces.web")
    for name in web.assets():
        assert (root / name).is_file(), name
    for name in web.TEMPLATES:
        pages.ENV.get_template(name)


def test_expiry_choices_never_exceed_the_maximum():
    assert choices(1440)[-1] == (1440 * 60_000, "1 day (the maximum)")
    assert all(ms <= 1440 * 60_000 and ms > 0 for ms, _ in choices(1440))
    assert choices(0)[-1] == (0, "Never")


def test_html_only_when_preferred_to_json():
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    assert wants_html(browser, {})
    assert not wants_html(browser, {"_format": "json"})
    assert not wants_html({"Accept": "*/*"}, {})
    assert not wants_html({"Accept": "application/json;q=1, text/html;q=0.5"}, {})
    assert wants_html({"Accept": "application/json"}, {"_format": "html"})


def test_login_returns_only_to_a_path_of_this_server():
    from shim.faces.web.session import safe_next

    assert safe_next("/v3/tokens?limit=5") == "/v3/tokens?limit=5"
    for bad in (None, "", "https://evil.example/", "//evil.example/", "/\\evil.example",
                "/x\r\nSet-Cookie: a=b", "v3/tokens"):
        assert safe_next(bad) == "/dashboard/"


def test_the_cheap_html_test_never_misses_a_browser():
    from shim.faces.web.negotiate import may_want_html

    cases = [({"Accept": "text/html"}, ""), ({"Accept": "TEXT/HTML;q=0.9"}, ""),
             ({}, "_format=html"), ({}, "%5Fformat=html"), ({"Accept": "*/*"}, "")]
    for headers, query in cases:
        parsed = dict(p.split("=") for p in query.replace("%5F", "_").split("&") if p)
        if wants_html(headers, parsed):
            assert may_want_html(headers, query), (headers, query)
    assert not may_want_html({"Accept": "application/json"}, "limit=5")
