"""The console's login form and cookie writes: no cross-site login or write, a wrong
password said on the page, and markup in user-controlled fields escaped on console pages."""

from __future__ import annotations

import pytest

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120",
           "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
CROSS_SITE = [{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
              {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.127.0.0.1"},
              {"Origin": "https://evil.example"}, {"Origin": "null"}]
PLANTED = "a" * 32  # a CSRF cookie the attacker set (sibling subdomain, plain-HTTP traffic)
MARKUP = '<img src=x onerror="alert(1)">'


async def _post_login(client, data: dict, headers: dict):
    async with client.post("/dashboard/login", headers={**BROWSER, **headers}, data=data,
                           allow_redirects=False, cookies={"CSRF": PLANTED}) as resp:
        return resp.status, resp.headers.get("Set-Cookie", ""), await resp.text()


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_a_cross_site_login_form_with_a_planted_csrf_cookie_logs_nobody_in(api, headers):
    await api.new_user("mallory", "mallory-password-1")
    form = {"username": "mallory", "password": "mallory-password-1", "csrf": PLANTED,
            "next": "/dashboard/"}
    status, cookie, _ = await _post_login(api.as_(None).client, form, headers)
    assert status == 403 and "R_SESS" not in cookie


async def test_a_same_origin_login_form_still_logs_in(api):
    port = api.client.server.port
    form = {"username": "admin", "password": "admin-password-1", "csrf": PLANTED,
            "next": "/dashboard/keys"}
    for headers in ({"Sec-Fetch-Site": "same-origin", "Origin": f"http://127.0.0.1:{port}"},
                    {"Origin": f"http://127.0.0.1:{port}"}, {}):
        status, cookie, _ = await _post_login(api.as_(None).client, form, headers)
        assert status == 303 and "R_SESS=" in cookie


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_a_cross_site_cookie_write_is_refused_even_with_the_csrf_value(api, headers):
    bearer = (await api.new_token())["token"]
    reply = await api.as_(None).post("/v3/tokens", {}, cookies={"R_SESS": bearer, "CSRF": PLANTED},
                                     headers={"X-API-CSRF": PLANTED, **headers})
    assert reply.status == 403 and reply.body["code"] == "InvalidCSRFToken"


async def test_same_origin_cookie_writes_and_bearer_clients_are_not_refused(api):
    bearer = (await api.new_token())["token"]
    same = {"X-API-CSRF": PLANTED, "Sec-Fetch-Site": "same-origin", **BROWSER}
    reply = await api.as_(None).post("/v3/tokens", {}, cookies={"R_SESS": bearer, "CSRF": PLANTED},
                                     headers=same)
    assert reply.status == 201
    reply = await api.post("/v3/tokens", {}, headers={"Origin": "https://evil.example"})
    assert reply.status == 201  # Authorization: the browser's ambient cookie is not in play


async def test_a_wrong_password_is_said_on_the_page_with_the_username_kept(api):
    anonymous = api.as_(None)
    await anonymous.get("/dashboard/login", headers=BROWSER)
    form = {"username": "admin", "password": "wrong-password-9", "csrf": PLANTED,
            "next": "/dashboard/keys"}
    status, cookie, page = await _post_login(anonymous.client, form, {})
    assert status == 401 and "R_SESS" not in cookie
    assert "Incorrect username or password" in page
    assert 'value="admin"' in page and 'name="next" value="/dashboard/keys"' in page


@pytest.mark.parametrize("next_url", ["/dashboard/login", "/dashboard/login?next=/x",
                                      "/dashboard/login/"])
async def test_login_never_returns_to_the_login_page(api, next_url):
    form = {"username": "admin", "password": "admin-password-1", "csrf": PLANTED,
            "next": next_url}
    async with api.as_(None).client.post(
            "/dashboard/login", headers=BROWSER, data=form, allow_redirects=False,
            cookies={"CSRF": PLANTED}) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/dashboard/"
    page = await api.as_(None).get(f"/dashboard/login?next={next_url}", headers=BROWSER)
    assert 'name="next" value="/dashboard/"' in page.body


async def test_markup_in_user_fields_is_escaped_on_console_pages(api):
    await api.post("/v3/tokens", {"description": MARKUP})
    made = await api.post("/v3/users", {"username": "mark<b>up", "name": MARKUP,
                                        "password": "markup-password-1"})
    assert made.status in (201, 422), made.body
    if made.status == 422:  # usernames may not hold markup: the name still does
        made = await api.post("/v3/users", {"username": "markup", "name": MARKUP,
                                            "password": "markup-password-1"})
        assert made.status == 201, made.body
    for path in ("/dashboard/keys", "/dashboard/users"):
        page = (await api.get(path, headers=BROWSER)).body
        assert MARKUP not in page and "<b>up" not in page, path
        assert "&lt;img src=x onerror=" in page, path
