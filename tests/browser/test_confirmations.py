"""Destructive actions ask first, at both widths: in a dialog with JavaScript (dismissed, nothing happens), and on a
page of their own without it (or when the form is sent as a browser without JavaScript sends it)."""

from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect

from autocharge.db import writing
from autocharge.models import Charger
from autocharge.services import admins, chargers, users

from .conftest import EMAIL, PASSWORD, assert_accessible, both_widths, log_in

pytestmark = both_widths


@dataclass(frozen=True)
class Action:
    """A destructive button: where it is, the dialog's question, the confirmation page and what it says when done."""

    page: str
    button: str
    question: str
    heading: str
    confirm: str
    done: str


@pytest.fixture
def actions(sqlite_app) -> list[Action]:
    """Seed a pending charger with a password, a user with a tag and a second admin; return their actions."""
    with sqlite_app.app_context():
        charger = chargers.add_charger("CP-9", password="sixteen-chars-pw!").id
        with writing() as session:
            session.get(Charger, charger).registration = "pending"
        alice = users.add_user("Alice Driver", "alice@example.com").id
        users.add_tag(alice, "04A1B2C3")
        admins.create_admin("ops@example.com", "correct horse battery", role="operator")
    return [
        Action(
            f"/chargers/{charger}", "Reject", "Reject CP-9?", "Reject CP-9?", "Reject CP-9", "CP-9 is now rejected."
        ),
        Action(
            f"/chargers/{charger}",
            "Remove",
            "Remove the OCPP password of CP-9?",
            "Remove the OCPP password of CP-9?",
            "Remove the password",
            "CP-9 connects without a password now.",
        ),
        Action(
            f"/users/{alice}/edit",
            "Block",
            "Block Alice Driver?",
            "Block Alice Driver?",
            "Block Alice Driver",
            "Alice Driver is blocked",
        ),
        Action(
            f"/users/{alice}/edit",
            "Remove tag 04A1B2C3",
            "Remove tag 04A1B2C3 from Alice Driver?",
            "Remove a tag from Alice Driver?",
            "Remove tag 04A1B2C3",
            "Removed the tag from Alice Driver.",
        ),
        Action(
            "/admins/",
            "Disable ops@example.com",
            "Disable ops@example.com?",
            "Disable ops@example.com?",
            "Disable ops@example.com",
            "ops@example.com is disabled",
        ),
    ]


def confirmed_on_its_page(page: Page, action: Action) -> None:
    """On the confirmation page: check what it asks, then confirm and see it done."""
    expect(page.get_by_role("heading", level=1)).to_have_text(action.heading)
    page.get_by_role("button", name=action.confirm, exact=True).click()
    expect(page.locator(".flashes")).to_contain_text(action.done)


def test_without_javascript_each_asks_on_a_page_of_its_own(browser, server, viewport, actions):
    context = browser.new_context(base_url=server.url, viewport=viewport, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, EMAIL, PASSWORD)
        for action in actions:
            page.goto(action.page)
            page.get_by_role("button", name=action.button, exact=True).click()
            expect(page.get_by_role("link", name="Cancel")).to_be_visible()
            confirmed_on_its_page(page, action)
    finally:
        context.close()


def test_with_javascript_each_asks_in_a_dialog_and_its_page_passes_axe(admin_page, actions):
    page = admin_page
    asked: list[str] = []
    for action in actions:
        page.goto(action.page)
        button = page.get_by_role("button", name=action.button, exact=True)
        asked.clear()
        page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
        button.click()
        assert len(asked) == 1 and asked[0].startswith(action.question), asked
        # What a browser without JavaScript sends (the form as it is, no confirmation): the server asks on a page.
        with page.expect_navigation():
            button.evaluate("button => button.form.submit()")
        expect(page.get_by_role("heading", level=1)).to_have_text(action.heading)
        assert_accessible(page)
        page.get_by_role("link", name="Cancel").click()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name=action.button, exact=True).click()
        expect(page.locator(".flashes")).to_contain_text(action.done)
