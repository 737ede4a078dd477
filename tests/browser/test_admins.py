"""Admins, My account and the Audit screen in a real browser, under the Content-Security-Policy."""

import re

from playwright.sync_api import expect

from autocharge.services import users

from .conftest import HOME, log_in

SCREENS = ("/chargers/", "/users/", "/transactions/", "/unknown-identifiers/", "/admins/", "/audit/", "/account")


def test_no_screen_breaks_the_content_security_policy(admin_page, sqlite_app):
    with sqlite_app.app_context():
        users.add_user("Ada Driver", "ada@example.com")
    page = admin_page
    refused = []
    page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
    for path in SCREENS:
        page.goto(path)
    # The Users filter form still works without an eval'd trigger filter: typing searches, choosing a status filters.
    page.goto("/users/")
    with page.expect_response(re.compile(r"/users/\?.*q=ada")):
        page.get_by_label("Search").press_sequentially("ada")
    expect(page.locator("#results")).to_contain_text("Ada Driver")
    assert not refused, refused


def test_an_admin_adds_an_operator_who_signs_in_and_changes_the_password(admin_page, browser, server):
    page = admin_page
    page.goto("/admins/")
    page.get_by_label("Email").fill("ops@example.com")
    page.get_by_label("Role", exact=True).select_option("operator")
    page.get_by_role("button", name="Add admin").click()
    password = page.locator("#one-time-password").inner_text()
    expect(page.locator("#admins")).to_contain_text("ops@example.com")

    context = browser.new_context(base_url=server.url)
    other = context.new_page()
    log_in(other, "ops@example.com", password)
    other.wait_for_url(HOME)
    expect(other.get_by_role("link", name="Admins")).to_have_count(0)
    other.get_by_role("link", name="My account").click()
    other.get_by_label("Current password").fill(password)
    other.get_by_label("New password", exact=True).fill("my own long secret")
    other.get_by_label("Repeat new password").fill("my own long secret")
    other.get_by_role("button", name="Change password").click()
    expect(other.locator(".flash")).to_contain_text("Your password is changed")
    context.close()

    page.goto("/audit/?actor=ops@example.com")
    expect(page.locator("#audit")).to_contain_text("Password changed")
    expect(page.locator("#audit")).to_contain_text("Signed in")
