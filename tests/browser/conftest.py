"""Browser fixtures: Debian's chromium headless shell driven by Playwright against the real server on a SQLite file.

`admin_page` is a logged-in page; `sqlite_app` is an app on the server's database for seeding data
and checking what the server stored. Pages are 1366 px wide; `@both_widths` runs a test at 1366 and at 390 px (a
phone). A page that logs an error to the console (a refused script or style under the Content-Security-Policy, a
script error) fails its test. Screenshots of failed tests go to test-artifacts/.
"""

import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import ROOT, csrf_token, make_app  # the root conftest (tests/ is on sys.path)
from playwright.sync_api import Locator, Page, sync_playwright

from autocharge.extensions import db
from autocharge.services import admins

EMAIL = "admin@example.com"
PASSWORD = "correct horse battery"
# The headless shell, not the full browser's --headless: the same chromium (Debian's chromium-headless-shell package)
# without the desktop browser's machinery, as Playwright runs headless tests; the browser tests took ~210 s of CPU at
# -n 4 in the full browser, ~120 s in the shell. TEST_CHROMIUM=/usr/bin/chromium runs them in the full browser.
CHROMIUM = os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium-headless-shell")
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
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}
both_widths = pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366px", "390px"], indirect=True)
AXE = Axe()  # axe-core as the package bundles it (axe-playwright-python): no download at test time
# What a page may say on the console: the browser's own line for a 4xx answer that the page shows (a refused form's
# 422, a 404 page). Anything else (a script error, a CSP refusal) fails the test.
EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 4\d\d")


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


# Screens refresh themselves 4 times as often as in production (the Chargers list every 0.5 s instead of 2 s): a test
# waiting for a change to show waits less, and the refresh itself is what it tests, not its interval.
REFRESH = {"AUTOCHARGE_REFRESH_SCALE": 0.25}


@pytest.fixture
def server(sqlite_app, sqlite_url, live_server_factory):
    """Return the real server (python app.py) running on the test's SQLite file."""
    return live_server_factory(sqlite_url, **REFRESH)


@pytest.fixture
def viewport(request) -> dict:
    """Return the page's size: 1366 px wide, or each width of @both_widths in turn."""
    return getattr(request, "param", LAPTOP)


@pytest.fixture
def page(browser, server, request, viewport):
    """Return a fresh browser page whose relative URLs go to the server; screenshot it if the test fails.

    The test fails if the page logged an error to the console (other than a 4xx answer it shows).
    """
    context = browser.new_context(base_url=server.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    unexpected = [text for text in errors if not EXPECTED_CONSOLE.match(text)]
    assert not unexpected or (report is not None and report.failed), f"console errors: {unexpected}"


def log_in(page: Page, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Fill in and send the login form."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def sign_in(page: Page, email: str = EMAIL, password: str = PASSWORD) -> None:
    """Log the page's browser in by posting the login form over HTTP, as the form does, without rendering pages.

    The login session and its cookie are the ones a login through the form makes (the form itself is driven by
    log_in, in test_login.py and the tests that show it); a browser test saves a page load and a render of Home.
    """
    token = csrf_token(page.request.get("/login").text())
    data = {"email": email, "password": password, "csrf_token": token}
    answer = page.request.post("/login", form=data, max_redirects=0)
    assert answer.status == 302 and answer.headers["location"] == "/", f"login refused: {answer.status}"


@pytest.fixture
def admin_page(page) -> Page:
    """Return a page logged in as the admin, on the Chargers screen."""
    sign_in(page)
    page.goto("/chargers/")
    return page


def main_nav(page: Page) -> Locator:
    """Return the main navigation, unfolded first when it hides behind the Menu button (below 1100 px)."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    return page.get_by_role("navigation", name="Main")


def overflow(page: Page) -> int:
    """Return how many pixels the page scrolls sideways (0 when it fits its viewport)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def serious_violations(page: Page) -> list[str]:
    """Run axe-core on the page; return its serious and critical violations, each with where it was found."""
    found = AXE.run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Page) -> None:
    """Fail if axe-core finds a serious or critical violation on the page as it is now, or if it scrolls sideways."""
    problems = serious_violations(page)
    if overflow(page) > 0:
        problems.append(f"scrolls sideways by {overflow(page)}px")
    assert not problems, f"{page.url}: {problems}"
