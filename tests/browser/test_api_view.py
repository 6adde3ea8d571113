"""The seed's procedures, done by a person with a real browser on the v3 API view."""

from __future__ import annotations

import re

from tests.browser.conftest import USER_PASSWORD, log_in, new_user


def test_seed_deletion_procedure_click_delete_revokes_the_token(server, page, shoot):
    made = server.call("POST", "/v3/tokens", {"description": "to delete"}, bearer=server.admin)[1]
    token_id, bearer = made["id"], made["token"]
    assert server.call("GET", "/v3", bearer=bearer)[0] == 200

    page.goto(f"{server.url}/v3/tokens")  # "Go to the list of all tokens ... /v3/tokens"
    assert "/dashboard/login" in page.url
    shoot(page, "login")
    log_in(page)
    page.wait_for_url(f"{server.url}/v3/tokens")
    shoot(page, "api-view-tokens")
    page.locator(f'a[href$="/v3/tokens/{token_id}"]').first.click()  # "by its ID"
    page.wait_for_url(f"{server.url}/v3/tokens/{token_id}")
    shoot(page, "api-view-token")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete").click()  # "Click Delete", then confirm
    page.wait_for_url(f"{server.url}/v3/tokens")
    assert questions and token_id in questions[0]

    assert server.call("GET", "/v3", bearer=bearer)[0] == 401
    ids = [t["id"] for t in server.call("GET", "/v3/tokens", bearer=server.admin)[1]["data"]]
    assert token_id not in ids
    assert token_id not in page.locator("pre.json").inner_text()


def test_edit_form_from_the_schema_changes_the_description(server, page):
    made = server.call("POST", "/v3/tokens", {"description": "before"}, bearer=server.admin)[1]
    page.goto(f"{server.url}/v3/tokens/{made['id']}")
    log_in(page)
    page.wait_for_url(f"{server.url}/v3/tokens/{made['id']}")
    page.locator("summary", has_text="Edit").click()
    page.locator("#form-edit").get_by_label("description").fill("after")
    page.locator("#form-edit").get_by_role("button", name="Save").click()
    page.wait_for_load_state("load")
    page.locator("pre.json", has_text='"after"').wait_for()
    body = server.call("GET", f"/v3/tokens/{made['id']}", bearer=server.admin)[1]
    assert body["description"] == "after"


def test_cross_site_form_post_without_csrf_header_is_403(server, page, chromium):
    page.goto(f"{server.url}/v3/tokens")
    log_in(page)
    page.wait_for_url(f"{server.url}/v3/tokens")
    before = len(server.call("GET", "/v3/tokens", bearer=server.admin)[1]["data"])
    # Another site (localhost is not 127.0.0.1) posts a form at the API.
    other = server.url.replace("127.0.0.1", "localhost")
    evil = chromium.new_context()
    attacker = evil.new_page()
    attacker.route(f"{other}/evil", lambda route: route.fulfill(
        content_type="text/html",
        body=f'<form id=f method=post action="{server.url}/v3/tokens" '
             'enctype="text/plain"><input name=\'{"description":"x","a\' value=\'"}\'>'
             '</form><script>document.getElementById("f").submit()</script>'))
    with page.expect_response(re.compile(r"/v3/tokens$")) as answer:
        page.evaluate("url => { const f = document.createElement('form');"
                      " f.method = 'post'; f.action = url; document.body.appendChild(f);"
                      " f.submit(); }", f"{server.url}/v3/tokens")
    assert answer.value.status == 403  # same browser, logged in, but no X-API-CSRF header
    with attacker.expect_response(re.compile(r"/v3/tokens$")) as answer:
        attacker.goto(f"{other}/evil")
    assert answer.value.status == 403
    evil.close()
    assert len(server.call("GET", "/v3/tokens", bearer=server.admin)[1]["data"]) == before


def test_non_admin_is_not_offered_admin_actions(server, page):
    user_id = new_user(server, "plain")
    page.goto(f"{server.url}/v3/users/{user_id}")
    log_in(page, "plain", USER_PASSWORD)
    page.wait_for_url(f"{server.url}/v3/users/{user_id}")
    assert page.get_by_text("setpassword").count() == 0
    assert page.get_by_role("button", name="Delete").count() == 0
    page.goto(f"{server.url}/v3/settings/auth-token-max-ttl-minutes")
    assert page.locator("#form-edit").count() == 0

    admin_page = page.context.browser.new_context().new_page()
    admin_page.goto(f"{server.url}/v3/users/{user_id}")
    log_in(admin_page)
    admin_page.wait_for_url(f"{server.url}/v3/users/{user_id}")
    assert admin_page.get_by_text("setpassword").count() >= 1
    assert admin_page.get_by_role("button", name="Delete").count() == 1
    admin_page.context.close()


def test_collection_filter_form_sends_only_what_was_filled(server, page):
    for text in ("alpha", "beta"):
        server.call("POST", "/v3/tokens", {"description": text}, bearer=server.admin)
    page.goto(f"{server.url}/v3/tokens")
    log_in(page)
    page.wait_for_url(f"{server.url}/v3/tokens")
    page.locator("summary", has_text="Filter").click()
    page.get_by_label("description equals").fill("beta")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{server.url}/v3/tokens?description=beta")
    shown = page.locator("pre.json").inner_text()
    assert '"beta"' in shown and '"alpha"' not in shown
    assert page.get_by_label("description equals").input_value() == "beta"
