"""The Unknown identifiers screen in a real browser: an identifier is revealed in place, by a POST with its token."""

import pytest
from playwright.sync_api import expect

from autocharge.services import authorization, chargers, users

from .conftest import assert_accessible, both_widths


@pytest.fixture
def refused(sqlite_app) -> None:
    """Have CP-1 refuse a vehicle identifier nobody paired."""
    with sqlite_app.app_context():
        charger_id = chargers.add_charger("CP-1").id
        assert authorization.authorize(charger_id, "VID:0A1B2C3D4E5F").status == "Invalid"


@both_widths
def test_reveal_shows_the_identifier_in_place(admin_page, refused):
    page = admin_page
    page.goto("/unknown-identifiers/")
    cell = page.locator(".identifier-cell").first  # the masked value and its Reveal button, which the answer replaces
    expect(cell.locator("code")).to_have_text("0A:1B:••:••:••:5F")
    page.get_by_role("button", name="Reveal identifier 0A:1B:••:••:••:5F").click()
    expect(cell).to_have_text("0A:1B:2C:3D:4E:5F")
    expect(page.get_by_role("button", name="Reveal identifier 0A:1B:••:••:••:5F")).to_have_count(0)


@both_widths
def test_an_unknown_rfid_tag_is_assigned_to_a_user(admin_page, sqlite_app):
    with sqlite_app.app_context():
        charger_id = chargers.add_charger("CP-1").id
        users.add_user("Alice Driver", "alice@example.com")
        assert authorization.authorize(charger_id, "04A1B2C3").status == "Invalid"
    page = admin_page
    page.goto("/unknown-identifiers/")
    page.get_by_role("link", name="RFID tags").click()
    page.get_by_role("link", name="Assign tag 04••••C3 to a user").click()
    page.get_by_label("Find a user by name or email").fill("alice")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Alice Driver").click()
    assert_accessible(page)
    page.get_by_role("button", name="Assign tag to Alice Driver").click()
    expect(page.get_by_role("status")).to_have_text("Assigned tag 04••••C3 to Alice Driver.")
    expect(page.locator("#tags")).to_contain_text("04A1B2C3")
    with sqlite_app.app_context():
        assert authorization.authorize(charger_id, "04A1B2C3").status == "Accepted"
    page.goto("/unknown-identifiers/?kind=rfid")
    expect(page.locator("#unknown")).to_contain_text("Nothing refused recently.")
