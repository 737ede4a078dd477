"""The Users screen's row menu in a real browser: keyboard and mouse."""

import pytest
from playwright.sync_api import expect

from autocharge.services import users

from .conftest import both_widths


@pytest.fixture
def alice(sqlite_app) -> int:
    """Add user Alice; return her id."""
    with sqlite_app.app_context():
        return users.add_user("Alice Driver", "alice@example.com").id


def test_row_menu_works_with_the_keyboard(admin_page, alice):
    page = admin_page
    page.goto("/users/")
    button = page.get_by_role("button", name="Actions for Alice Driver")
    menu = page.get_by_role("menu", name="Actions for Alice Driver")
    expect(button).to_have_attribute("aria-haspopup", "menu")
    expect(menu).to_be_hidden()

    button.focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "true")
    items = menu.get_by_role("menuitem")
    expect(items.first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(items.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # wraps around to the last item
    expect(items.last).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(button).to_be_focused()
    expect(button).to_have_attribute("aria-expanded", "false")

    page.keyboard.press(" ")
    expect(menu).to_be_visible()
    page.mouse.click(5, 300)  # a click elsewhere closes it
    expect(menu).to_be_hidden()


@both_widths
def test_block_and_edit_from_the_menu(admin_page, alice):
    page = admin_page
    page.goto("/users/")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Actions for Alice Driver").click()
    page.get_by_role("menuitem", name="Block").click()  # asks first (data-confirm): dismissed, nothing happens
    assert asked == ["Block Alice Driver? Their RFID tags and vehicles stop starting charging sessions."]
    expect(page.locator(f"#user-{alice}")).to_contain_text("Active")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("menuitem", name="Block").click()  # the menu is still open
    expect(page.get_by_role("status")).to_contain_text("Alice Driver is blocked")
    expect(page.locator(f"#user-{alice}")).to_contain_text("Blocked")

    page.get_by_role("button", name="Actions for Alice Driver").click()
    page.get_by_role("menuitem", name="Edit").click()
    page.get_by_label("Add an RFID tag").fill("04a1b2c3")
    page.get_by_role("button", name="Add tag").click()
    expect(page.get_by_role("status")).to_have_text("Added tag 04A1B2C3 to Alice Driver.")
    page.get_by_label("Add an RFID tag").fill("04A1B2C3")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("#f-tag-error")).to_have_text("Tag 04A1B2C3 already belongs to Alice Driver.")
