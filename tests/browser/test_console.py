"""The console at /dashboard/, in a real Chromium: API keys, settings, hashing, clusters,
users, and what a non-admin is (not) offered."""

from __future__ import annotations

import re
import subprocess

from tests.browser.conftest import USER_PASSWORD, log_in, new_user
from tests.live import LiveServer, require_tool


def open_console(server, page, path: str = "/", username: str = "admin",
                 password: str = "admin-password-1") -> None:
    page.goto(server.url + path)
    log_in(page, username, password)
    page.wait_for_url(re.compile(r"/dashboard/\w+"))


def test_new_key_secret_is_shown_once_and_authenticates(server, page, shoot):
    open_console(server, page)
    assert page.url == f"{server.url}/dashboard/keys"
    page.get_by_text("Create API key").click()
    page.get_by_label("Description").fill("ci deploy key")
    page.get_by_label("Expires after").select_option(label="30 days")
    page.get_by_role("button", name="Create", exact=True).click()
    panel = page.locator("#new-key")
    panel.wait_for(state="visible")
    assert "will not be shown again" in panel.inner_text()
    access, secret = page.input_value("#key-access"), page.input_value("#key-secret")
    bearer = page.input_value("#key-bearer")
    assert bearer == f"{access}:{secret}" and len(secret) > 20
    shoot(page, "keys-new")

    assert server.call("GET", "/v3", bearer=bearer)[0] == 200  # it authenticates over HTTP
    made = server.call("GET", f"/v3/tokens/{access}", bearer=server.admin)[1]
    assert made["description"] == "ci deploy key" and made["ttl"] == 43200 * 60_000

    page.reload()
    assert page.locator("#new-key").is_hidden()
    assert secret not in page.content() and page.input_value("#key-secret") == ""
    assert "ci deploy key" in page.locator("table").inner_text()
    shoot(page, "keys")


def test_expiry_picker_is_clamped_by_the_max_ttl(server, page):
    server.call("PUT", "/v3/settings/auth-token-max-ttl-minutes", {"value": "1440"},
                bearer=server.admin)
    open_console(server, page, "/dashboard/keys")
    labels = page.locator("#key-ttl option").all_text_contents()
    assert labels == ["1 hour", "1 day (the maximum)"]
    assert "At most 1440 minutes" in page.locator("#key-ttl-help").text_content()


def test_delete_one_or_several_keys(server, page):
    ids = [server.call("POST", "/v3/tokens", {"description": f"k{i}"}, bearer=server.admin)[1]["id"]
           for i in range(3)]
    open_console(server, page, "/dashboard/keys")
    page.on("dialog", lambda dialog: dialog.accept())
    for token_id in ids[:2]:
        page.get_by_label(f"Select {token_id}").check()
    page.get_by_role("button", name="Delete selected").click()
    page.get_by_label(f"Select {ids[0]}").wait_for(state="detached")
    page.locator(f'button[data-what="API key {ids[2]}"]').click()
    page.get_by_label(f"Select {ids[2]}").wait_for(state="detached")
    left = {t["id"] for t in server.call("GET", "/v3/tokens", bearer=server.admin)[1]["data"]}
    assert not left & set(ids)


def test_bad_setting_value_shows_the_message_inline_and_changes_nothing(server, page, shoot):
    open_console(server, page, "/dashboard/settings")
    form = page.locator("#form-setting-auth-token-max-ttl-minutes")
    form.get_by_label("value").fill("ten days")
    form.get_by_role("button", name="Save").click()
    error = form.locator(".error")
    error.wait_for(state="visible")
    assert "422" in error.inner_text() and "auth-token-max-ttl-minutes" in error.inner_text()
    shoot(page, "settings")
    body = server.call("GET", "/v3/settings/auth-token-max-ttl-minutes", bearer=server.admin)[1]
    assert body["value"] == "129600" and body["source"] == "default"

    form.get_by_label("value").fill("2000")
    form.get_by_role("button", name="Save").click()
    page.get_by_text("Value 2000").wait_for()
    body = server.call("GET", "/v3/settings/auth-token-max-ttl-minutes", bearer=server.admin)[1]
    assert body["value"] == "2000"


def test_token_hashing_asks_before_the_switch_that_cannot_be_undone(server, page, shoot):
    open_console(server, page, "/dashboard/hashing")
    shoot(page, "hashing")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Switch token hashing on").click()
    assert questions and "cannot be undone" in questions[0]
    feature = server.call("GET", "/v3/features/token-hashing", bearer=server.admin)[1]
    assert feature["value"] is False
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Switch token hashing on").click()
    page.get_by_text("Token hashing is on.").wait_for()
    assert server.call("GET", "/v3/features/token-hashing", bearer=server.admin)[1]["value"] is True


def test_kubeconfig_download_works_with_kubectl(chromium, shoot, tmp_path):
    """Over TLS: kubectl sends no bearer token to a plain-HTTP server."""
    kubectl = require_tool("kubectl", "apt-get install kubectl")
    server = LiveServer(tmp_path, "--tls-self-signed", scheme="https",
                        ca_file=tmp_path / "tls" / "ca.pem").start()
    context = chromium.new_context(ignore_https_errors=True)
    try:
        page = context.new_page()
        open_console(server, page, "/dashboard/clusters")
        shoot(page, "clusters")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download kubeconfig").click()
        path = tmp_path / "local.yaml"
        download.value.save_as(path)
        result = subprocess.run([kubectl, f"--kubeconfig={path}", "--request-timeout=20s",
                                 "auth", "whoami"], capture_output=True, text=True, timeout=60,
                                env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                                start_new_session=True)
        assert result.returncode == 0, result.stderr
        assert re.search(r"^Username\s+admin$", result.stdout, re.M), result.stdout
    finally:
        context.close()
        server.stop()


def test_admin_creates_disables_and_sets_the_password_of_a_user(server, page, shoot):
    open_console(server, page, "/dashboard/users")
    page.get_by_text("Create user").click()
    form = page.locator("#form-create-user")
    form.get_by_label("username").fill("dora")
    form.get_by_label("password (required)").fill("dora-password-1")
    form.get_by_role("button", name="Create").click()
    page.get_by_role("button", name="Disable dora").wait_for()
    assert server.login("dora", "dora-password-1")
    page.get_by_role("button", name="Disable dora").click()
    page.get_by_role("button", name="Enable dora").wait_for()
    status, _ = server.call("POST", "/v3-public/localProviders/local?action=login",
                            {"username": "dora", "password": "dora-password-1"})
    assert status in (401, 403)
    page.get_by_role("button", name="Enable dora").click()
    page.get_by_role("button", name="Disable dora").wait_for()
    page.get_by_text("Set password of dora").click()
    page.get_by_label("New password for dora").fill("dora-password-2")
    with page.expect_navigation():  # the page reloads once the password is set
        page.get_by_role("button", name="Set password").click()
    shoot(page, "users")
    assert server.login("dora", "dora-password-2")


def test_non_admin_sees_no_admin_pages_and_gets_403_on_their_urls(server, page, shoot):
    new_user(server, "norm")
    open_console(server, page, "/", "norm", USER_PASSWORD)
    nav = page.get_by_role("navigation").inner_text()
    assert "API Keys" in nav and "Settings" not in nav and "Users" not in nav
    assert "Token hashing" not in nav
    for path in ("/dashboard/settings", "/dashboard/users", "/dashboard/hashing"):
        response = page.goto(server.url + path)
        assert response.status == 403, path
    shoot(page, "forbidden")


def test_logout_ends_the_session(server, page):
    open_console(server, page)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/dashboard/login"))
    page.goto(f"{server.url}/dashboard/keys")
    assert "/dashboard/login" in page.url


def test_a_pinned_setting_is_shown_read_only_with_the_reason(chromium, tmp_path):
    server = LiveServer(tmp_path, env={"CATTLE_KUBECONFIG_DEFAULT_TOKEN_TTL_MINUTES": "60"})
    server.start()
    context = chromium.new_context()
    try:
        page = context.new_page()
        open_console(server, page, "/dashboard/settings")
        section = page.get_by_role("region", name="kubeconfig-default-token-ttl-minutes")
        assert "Value 60" in section.inner_text() and "Read-only" in section.inner_text()
        assert "CATTLE_KUBECONFIG_DEFAULT_TOKEN_TTL_MINUTES" in section.inner_text()
        assert section.locator("form").count() == 0
        other = page.get_by_role("region", name="auth-token-max-ttl-minutes")
        assert other.locator("form").count() == 1
    finally:
        context.close()
        server.stop()


def test_login_and_create_a_key_with_the_keyboard_only(server, page):
    page.goto(f"{server.url}/dashboard/keys")
    for _ in range(3):  # the skip link, the brand link, then the first field
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "username"
    page.keyboard.type("admin")
    page.keyboard.press("Tab")
    page.keyboard.type("admin-password-1")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/dashboard/keys")
    page.locator("summary", has_text="Create API key").focus()
    page.keyboard.press("Enter")  # opens the form
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "key-description"
    page.keyboard.type("typed key")
    page.keyboard.press("Enter")  # submits
    page.locator("#new-key").wait_for(state="visible")
    assert page.evaluate("document.activeElement.id") == "new-key-title"


def test_a_wrong_password_is_said_and_the_next_login_lands_in_the_console(server, page):
    page.goto(server.url + "/dashboard/keys")
    log_in(page, "admin", "not-the-password-1")
    alert = page.get_by_role("alert")
    alert.wait_for(state="visible")
    assert "Incorrect username or password" in alert.inner_text()
    assert page.get_by_label("Username").input_value() == "admin"
    assert "next=%2Fdashboard%2Flogin" not in page.url and "next=/dashboard/login" not in page.url
    page.get_by_label("Password").fill("admin-password-1")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{server.url}/dashboard/keys")
