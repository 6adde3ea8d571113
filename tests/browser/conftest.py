"""A real Chromium (Debian's `chromium`) driven by Playwright for Python, against a real
`token-shim serve` process. `playwright install` is never run: the browser is the system's.

Screenshots go to a temporary folder; with TOKEN_SHIM_SCREENSHOTS=1 they are written to
docs/ui/ (desktop 1280 px and 360 px wide) for the README.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.live import require_tool
from tests.missing_tools import skip_for_missing_tool

DOCS_UI = Path(__file__).resolve().parents[2] / "docs" / "ui"
WIDTHS = {"desktop": (1280, 800), "360": (360, 740)}
USER_PASSWORD = "user-password-1"


@pytest.fixture(scope="module")  # not session: the sync driver's loop must end before the
def chromium():                   # suite's asyncio tests (tests/contract, ...) run
    path = os.environ.get("TOKEN_SHIM_CHROMIUM") or require_tool(
        "chromium", "apt-get install chromium (scripts/install-test-tools.sh does)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_for_missing_tool("playwright not installed: pip install -e '.[test]'")
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    found = context.new_page()
    found.set_default_timeout(15_000)
    yield found
    context.close()


@pytest.fixture
def shoot(tmp_path):
    """shoot(page, name): the page at desktop width and at 360 px, as name-desktop.png etc."""
    folder = DOCS_UI if os.environ.get("TOKEN_SHIM_SCREENSHOTS") == "1" else tmp_path / "ui"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> None:
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(folder / f"{name}-{label}.png"))
        page.set_viewport_size({"width": 1280, "height": 800})

    return take


def log_in(page, username: str = "admin", password: str = "admin-password-1") -> None:
    """Fill and send the login form the browser was redirected to."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def new_user(server, username: str, role: str = "user") -> str:
    status, body = server.call("POST", "/v3/users", {"username": username,
                                                     "password": USER_PASSWORD, "role": role},
                               bearer=server.admin)
    assert status == 201, body
    return body["id"]
