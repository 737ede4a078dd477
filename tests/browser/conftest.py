"""Browser fixtures: Debian's chromium driven by Playwright against the real server on a SQLite file.

`admin_page` is a logged-in page; `sqlite_app` is an app on the server's database for seeding data
and checking what the server stored. Screenshots of failed tests go to test-artifacts/.
"""

import re
from pathlib import Path

import pytest
from conftest import ROOT, make_app  # the root conftest (tests/ is on sys.path)
from playwright.sync_api import Page, sync_playwright

from autocharge.extensions import db
from autocharge.services import admins

EMAIL = "admin@example.com"
PASSWORD = "correct horse battery"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
HOME = re.compile(r"^https?://[^/]+/$")  # the Home screen's URL, where a login lands


def pytest_collection_modifyitems(items):
    """Mark every test here as a browser test on the live server."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.live)


@pytest.fixture(scope="session")
def browser():
    """Return a headless chromium shared by the session's browser tests."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sqlite_app(sqlite_url):
    """Return an app on the test's SQLite file, with the admin the browser logs in as."""
    app = make_app(sqlite_url)
    with app.app_context():
        admins.create_admin(EMAIL, PASSWORD)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def server(sqlite_app, sqlite_url, live_server_factory):
    """Return the real server (python app.py) running on the test's SQLite file."""
    return live_server_factory(sqlite_url)


@pytest.fixture
def page(browser, server, request):
    """Return a fresh browser page whose relative URLs go to the server; screenshot it if the test fails."""
    context = browser.new_context(base_url=server.url, viewport={"width": 1366, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


def log_in(page: Page, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Fill in and send the login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def admin_page(page) -> Page:
    """Return a page logged in as the admin, on the Chargers screen."""
    log_in(page)
    page.wait_for_url(HOME)  # a login lands on the Home screen
    page.goto("/chargers/")
    return page
