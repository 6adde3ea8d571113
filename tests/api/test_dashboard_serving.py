"""`serve --dashboard-dir`: a built dashboard's files at /dashboard/, deep links to
index.html, cache headers, the CSP, and the console's place. A small stand-in build here;
tests/browser/test_rancher_dashboard.py runs the real one."""

import base64
import hashlib

import pytest

from shim.app import StartupError

INLINE = "document.documentElement.className = 'theme-light';"
INDEX = f"<!doctype html><html><head><script>{INLINE}</script></head><body></body></html>"


@pytest.fixture
def build(tmp_path):
    root = tmp_path / "dist"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text(INDEX)
    (root / "js" / "app.0123abcd.js").write_text("console.log(1)")
    (root / "favicon.png").write_bytes(b"\x89PNG")
    (root / "loading-indicator.html").write_text("<p>loading</p>")
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


@pytest.fixture
async def site(make_api, config, build):
    return await make_api(config, dashboard_dir=str(build))


async def test_deep_links_get_index_html_and_assets_are_served_as_built(site):
    for path in ("/dashboard/", "/dashboard/home", "/dashboard/account/create-key"):
        reply = await site.as_(None).get(path)
        assert reply.status == 200 and reply.headers["Cache-Control"] == "no-cache", path
    page = await site.client.get("/dashboard/c/local/explorer")
    assert page.status == 200 and INLINE in await page.text()
    asset = await site.client.get("/dashboard/js/app.0123abcd.js")
    assert asset.status == 200 and await asset.text() == "console.log(1)"
    assert asset.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    plain = await site.client.get("/dashboard/loading-indicator.html")
    assert plain.headers["Cache-Control"] == "no-cache"
    assert (await site.client.get("/favicon.png")).status == 200


async def test_missing_assets_are_404_and_nothing_outside_the_build_is_served(site):
    assert (await site.client.get("/dashboard/js/gone.0123abcd.js")).status == 404
    for path in ("/dashboard/../secret.txt", "/dashboard/%2e%2e/secret.txt",
                 "/dashboard/js/..%2f..%2fsecret.txt"):
        reply = await site.client.get(path)
        assert "outside the build" not in await reply.text(), path


async def test_the_csp_allows_only_the_builds_own_inline_script(site):
    page = await site.client.get("/dashboard/")
    csp = page.headers["Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(INLINE.encode()).digest()).decode()
    assert f"script-src 'self' 'sha256-{digest}';" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"


async def test_the_root_leads_to_the_dashboard_and_the_console_is_not_served(site):
    for headers in ({}, {"Authorization": f"Bearer {site.bearer}"}):  # anonymous, logged in
        root = await site.client.get("/", headers=headers, allow_redirects=False)
        assert root.status in (302, 303) and root.headers["Location"].startswith("/dashboard/")
    login = await site.client.get("/dashboard/login")  # the console's page: now a deep link
    assert INLINE in await login.text()


async def test_without_the_option_the_console_keeps_dashboard(api):
    reply = await api.client.get("/dashboard/login")
    assert reply.status == 200 and "csrf" in await reply.text()


async def test_a_directory_without_a_build_stops_the_start_naming_the_option(
        make_api, config, tmp_path):
    with pytest.raises(StartupError, match="dashboard_dir .*--dashboard-dir.*index.html"):
        await make_api(config, dashboard_dir=str(tmp_path))
