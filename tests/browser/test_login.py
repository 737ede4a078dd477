"""Logging in through a real browser."""

import re

from playwright.sync_api import expect

from .conftest import EMAIL, HOME, log_in


def test_wrong_password_then_success(page):
    log_in(page, password="not the password")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(EMAIL)

    log_in(page)
    page.wait_for_url(HOME)
    expect(page.get_by_role("heading", name="Home")).to_be_visible()
    expect(page.locator(".account-email")).to_have_text(EMAIL)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.get_by_role("status")).to_have_text("You are logged out.")


def test_anonymous_visitor_is_sent_to_login_and_back(page):
    page.goto("/transactions/")
    page.wait_for_url(re.compile(r"/login\?next=/transactions/$"))
    expect(page.get_by_role("status")).to_have_text("Please log in to see that page.")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/transactions/")
