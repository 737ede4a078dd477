"""The Unknown identifiers screen in a real browser: an identifier is revealed in place, by a POST with its token."""

import pytest
from playwright.sync_api import expect

from autocharge.services import authorization, chargers


@pytest.fixture
def refused(sqlite_app) -> None:
    """Have CP-1 refuse a vehicle identifier nobody paired."""
    with sqlite_app.app_context():
        charger_id = chargers.add_charger("CP-1").id
        assert authorization.authorize(charger_id, "VID:0A1B2C3D4E5F").status == "Invalid"


def test_reveal_shows_the_identifier_in_place(admin_page, refused):
    page = admin_page
    page.goto("/unknown-identifiers/")
    cell = page.locator(".identifier-cell").first  # the masked value and its Reveal button, which the answer replaces
    expect(cell.locator("code")).to_have_text("0A:1B:••:••:••:5F")
    page.get_by_role("button", name="Reveal identifier 0A:1B:••:••:••:5F").click()
    expect(cell).to_have_text("0A:1B:2C:3D:4E:5F")
    expect(page.get_by_role("button", name="Reveal identifier 0A:1B:••:••:••:5F")).to_have_count(0)
