"""The v3 API view and the browser's CSRF rule, over HTTP: API clients keep their JSON."""

from __future__ import annotations

import pytest

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
           "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize("headers", [
    {}, {"Accept": "*/*"}, {"Accept": "application/json"},
    {"Accept": "application/json, text/html;q=0.5"},
    {"User-Agent": "curl/8.5.0", "Accept": "*/*"},
])
async def test_api_clients_get_the_json_they_always_got(api, headers):
    reply = await api.get("/v3/tokens", headers=headers)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["type"] == "collection"


async def test_format_json_wins_over_a_browser_accept(api):
    reply = await api.get("/v3/tokens?_format=json", headers=BROWSER)
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.body["resourceType"] == "token"


async def test_browser_gets_the_resource_as_a_page_with_its_buttons(api):
    token = await api.new_token(description="shown in html")
    reply = await api.get(f"/v3/tokens/{token['id']}", headers=BROWSER)
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
    page = reply.body
    assert "shown in html" in page and f'data-delete="{token["links"]["self"]}"' in page
    assert 'id="form-edit"' in page and 'data-method="PUT"' in page
    assert f'<a href="{token["links"]["self"]}">' in page


async def test_pages_send_a_strict_policy_and_no_store(api):
    reply = await api.get("/v3", headers=BROWSER)
    csp = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["Referrer-Policy"] == "same-origin"
    assert "<script>" not in reply.body  # no inline script: only the package's app.js


async def test_errors_keep_their_status_as_pages(api):
    reply = await api.get("/v3/tokens/token-nope", headers=BROWSER)
    assert reply.status == 404 and "text/html" in reply.headers["Content-Type"]
    assert "token-nope not found" in reply.body


async def test_browser_without_session_is_sent_to_login_and_back(api):
    reply = await api.as_(None).get("/v3/tokens?limit=5", headers=BROWSER,
                                    allow_redirects=False)
    assert reply.status == 303
    assert reply.headers["Location"] == "/dashboard/login?next=/v3/tokens%3Flimit%3D5"


async def test_curl_without_session_still_gets_rancher_401(api):
    reply = await api.as_(None).get("/v3/tokens", headers={"Accept": "*/*"})
    assert reply.status == 401 and reply.body["type"] == "error"


async def form_login(anonymous, next_url: str):
    """The login page's round trip as a browser makes it: GET (the CSRF cookie), then the
    form POST with that value. Returns (status, Location, Set-Cookie) of the answer."""
    jar = anonymous.client.session.cookie_jar
    await anonymous.get("/dashboard/login", headers=BROWSER)
    csrf = next(c.value for c in jar if c.key == "CSRF")
    async with anonymous.client.post("/dashboard/login", headers=BROWSER, allow_redirects=False,
                                     data={"username": "admin", "password": "admin-password-1",
                                           "csrf": csrf, "next": next_url}) as resp:
        return resp.status, resp.headers.get("Location"), resp.headers.get("Set-Cookie", "")


async def test_login_form_sets_an_httponly_session_and_returns_to_next(api):
    anonymous = api.as_(None)
    status, location, cookie = await form_login(anonymous, "/v3/tokens")
    assert status == 303 and location == "/v3/tokens"
    assert "R_SESS=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    anonymous.client.session.cookie_jar.clear()


async def test_login_form_refuses_a_foreign_next(api):
    anonymous = api.as_(None)
    assert (await form_login(anonymous, "//evil.example/"))[1] == "/dashboard/"
    anonymous.client.session.cookie_jar.clear()


async def test_login_form_without_its_csrf_field_logs_nobody_in(api):
    async with api.as_(None).client.post(
            "/dashboard/login", headers=BROWSER, allow_redirects=False,
            data={"username": "admin", "password": "admin-password-1"}) as resp:
        assert resp.status == 403 and "R_SESS" not in resp.headers.get("Set-Cookie", "")


async def test_cookie_session_write_without_csrf_header_is_403(api):
    bearer = (await api.new_token())["token"]
    cookies = {"R_SESS": bearer, "CSRF": "a" * 32}
    reply = await api.as_(None).post("/v3/tokens", {}, cookies=cookies)
    assert reply.status == 403 and reply.body["code"] == "InvalidCSRFToken"
    reply = await api.as_(None).post("/v3/tokens", {}, cookies=cookies,
                                     headers={"X-API-CSRF": "a" * 32})
    assert reply.status == 201


async def test_browser_write_without_csrf_is_403_but_bearer_clients_are_not_checked(api):
    refused = await api.as_(None).post("/v3/tokens", {}, headers=BROWSER)
    assert refused.status == 403
    allowed = await api.post("/v3/tokens", {}, headers=BROWSER)  # Authorization: Bearer
    assert allowed.status == 201


async def test_browser_session_ends_with_the_session_ttl_and_goes_back_to_login(api, clock):
    from shim.policy import MINUTE_MS

    anonymous = api.as_(None)
    assert (await form_login(anonymous, "/v3/tokens"))[0] == 303
    assert (await anonymous.get("/v3/tokens", headers=BROWSER)).status == 200
    clock.advance(961 * MINUTE_MS)  # auth-user-session-ttl-minutes defaults to 960
    reply = await anonymous.get("/v3/tokens", headers=BROWSER, allow_redirects=False)
    assert reply.status == 303 and reply.headers["Location"].startswith("/dashboard/login")
    anonymous.client.session.cookie_jar.clear()
