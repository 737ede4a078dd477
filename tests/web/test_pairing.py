"""Pair: the charger list, the waiting panel and its self-polling status partial (SPEC §3)."""

import re

import pytest
from pairing_support import UNIVERSAL_VID, VID, World, age, set_online

from autocharge.db import writing
from autocharge.services import chargers, pairing, users

HX = {"HX-Request": "true"}


@pytest.fixture
def world(app):
    """Return two drivers and two online chargers."""
    return World(app)


@pytest.fixture
def vehicle(world):
    """Return the id of a pending vehicle of the first driver."""
    return world.vehicle()


@pytest.fixture
def waiting(logged_in, world, vehicle):
    """Start a pairing on CP-1 through the form; return its id."""
    response = logged_in.post(f"/users/{world.user}/vehicles/{vehicle}/pair", {"charger_id": world.charger})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def partial(logged_in, session_id) -> str:
    """Fetch the status partial as htmx's poll does."""
    response = logged_in.client.get(f"/pairing/{session_id}/status", headers=HX)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return response.get_data(as_text=True)


def polls(html: str) -> bool:
    """Tell whether the partial asks htmx to poll it again."""
    return 'hx-trigger="every ' in html


def test_charger_list_puts_usable_chargers_first_and_says_why_others_are_not(logged_in, world, vehicle):
    def add(box_id, support, online):
        set_online(chargers.add_charger(box_id, autocharge=support).id, online)

    for args in (("A-MAYBE", "unknown", True), ("B-OFF", "supported", False), ("C-NO", "unsupported", True)):
        world.run(add, *args)
    html = logged_in.client.get(f"/users/{world.user}/vehicles/{vehicle}/pair").get_data(as_text=True)
    order = [html.index(box) for box in ("CP-1", "CP-2", "A-MAYBE", "B-OFF", "C-NO")]
    assert order == sorted(order)
    radios = dict(re.findall(r'<input type="radio" name="charger_id" value="(\d+)" ([^>]*)>', html))
    disabled = {cid for cid, attrs in radios.items() if "disabled" in attrs}
    assert len(radios) == 5 and len(disabled) == 2
    assert "support unknown" in html and "Offline" in html and "Does not support Auto Charge" in html


def test_start_shows_the_waiting_panel_that_polls(logged_in, world, waiting):
    html = logged_in.client.get(f"/pairing/{waiting}").get_data(as_text=True)
    assert "Plug the EV into CP-1 now" in html and "Waiting for the EV to be plugged in" in html
    assert f'hx-get="/pairing/{waiting}/status" hx-trigger="every 1000ms" hx-swap="morph"' in html
    assert re.search(r'id="remaining" data-seconds="(17\d|180)">[23]:\d\d<', html)
    assert ">Cancel</button>" in html and 'name="csrf_token"' in html


def test_poll_interval_is_configurable(app, logged_in, waiting):
    app.config["AUTOCHARGE_PAIRING_POLL_SECONDS"] = 2.5
    assert 'hx-trigger="every 2500ms"' in partial(logged_in, waiting)


def test_partial_is_a_fragment(logged_in, waiting):
    html = partial(logged_in, waiting)
    assert html.lstrip().startswith("<section") and "<html" not in html and polls(html)


def test_the_vehicle_page_links_to_the_waiting_pairing_and_pair_goes_there(logged_in, world, vehicle, waiting):
    assert f'href="/pairing/{waiting}"' in logged_in.client.get(f"/users/{world.user}/vehicles/").get_data(as_text=True)
    response = logged_in.client.get(f"/users/{world.user}/vehicles/{vehicle}/pair")
    assert response.headers["Location"] == f"/pairing/{waiting}"


def test_progress_then_identifier_stops_the_polling(logged_in, world, waiting):
    world.run(pairing.on_connector_status, world.charger, 1, "Preparing")
    assert "Connector went Preparing at" in partial(logged_in, waiting)
    world.run(users.add_tag, world.user, "CARD1")
    world.authorize("CARD1")
    html = partial(logged_in, waiting)
    assert "An RFID card was presented" in html and "Still waiting" in html and polls(html)
    world.authorize("VID:0A1B2C")
    assert "not a vehicle identifier" in partial(logged_in, waiting)
    assert world.authorize(f"VID:{VID}") == "Accepted"
    html = partial(logged_in, waiting)
    assert not polls(html) and "hx-get" not in html.split(">")[0]
    assert '<code class="identifier" id="paired-identifier">0A:1B:2C:3D:4E:5F</code>' in html
    assert "randomised (locally administered)" in html


def test_identifier_before_any_plugged_status_marks_the_plugged_step_done(logged_in, world, waiting):
    # Some chargers send Authorize before StatusNotification Preparing (issue 11).
    assert world.authorize(f"VID:{VID}") == "Accepted"
    html = partial(logged_in, waiting)
    step = re.search(r'<li class="(\w+)" id="step-plugged">([^<]*)</li>', html)
    assert step.group(1) == "done"
    assert step.group(2).startswith("EV plugged in: CP-1 reported its identifier at ")
    assert "Waiting for the EV to be plugged in" not in html


def test_a_pairing_ended_before_the_ev_came_says_so(logged_in, waiting):
    html = logged_in.post(f"/pairing/{waiting}/cancel", headers=HX).get_data(as_text=True)
    assert '<li class="skipped" id="step-plugged">The EV was not reported plugged in</li>' in html


def test_a_universal_mac_has_no_warning(logged_in, world, waiting):
    world.authorize(f"VID:{UNIVERSAL_VID}")
    html = partial(logged_in, waiting)
    assert "00:1B:2C:3D:4E:5F" in html and "randomised" not in html


def test_2_0_1_wording(logged_in, world, waiting):
    def speak_2_0_1():
        with writing():
            chargers.get(world.charger).ocpp_version = "2.0.1"

    world.run(speak_2_0_1)
    world.run(pairing.on_connector_status, world.charger, 1, "Occupied")
    assert "Cable plugged in (connector Occupied)" in partial(logged_in, waiting)


def test_cancel_with_htmx_returns_the_ended_partial(logged_in, waiting):
    response = logged_in.post(f"/pairing/{waiting}/cancel", headers=HX)
    html = response.get_data(as_text=True)
    assert "Pairing cancelled" in html and "Cancelled by admin@example.com." in html and not polls(html)
    assert "Try again on CP-1" in html


def test_cancel_without_htmx_redirects_to_the_panel(logged_in, waiting):
    response = logged_in.post(f"/pairing/{waiting}/cancel")
    assert response.headers["Location"] == f"/pairing/{waiting}"
    assert "already ended" in logged_in.post(f"/pairing/{waiting}/cancel", follow_redirects=True).get_data(as_text=True)


def test_deadline_passed_offers_try_again(logged_in, world, waiting):
    world.run(age, waiting)
    html = partial(logged_in, waiting)  # expired on read, even before the background job runs
    assert "Deadline passed" in html and "deadline passed (3 min)" in html and not polls(html)
    response = logged_in.post(f"/pairing/{waiting}/retry")
    again = int(response.headers["Location"].rsplit("/", 1)[1])
    assert again != waiting and polls(partial(logged_in, again))


def test_charger_offline_is_said(logged_in, world, waiting):
    world.run(pairing.on_charger_offline, world.charger)
    html = partial(logged_in, waiting)
    assert "Charger CP-1 went offline" in html and not polls(html)


def test_identifier_active_elsewhere_is_said_with_plate_and_user(logged_in, world, waiting):
    world.vehicle("XY-999", user=world.other_user, identifier=VID)
    world.authorize(f"VID:{VID}")
    html = partial(logged_in, waiting)
    assert "already active on vehicle XY-999 of Max Mustermann (max@example.com)" in html


def test_another_pairing_on_the_charger_is_said_with_who_and_when(logged_in, world, waiting):
    second = world.vehicle("CD-456")
    response = logged_in.post(f"/users/{world.user}/vehicles/{second}/pair", {"charger_id": world.charger})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Another pairing already waits on CP-1 (for AB-123): started by admin@example.com at" in html


def test_no_charger_chosen(logged_in, world, vehicle):
    response = logged_in.post(f"/users/{world.user}/vehicles/{vehicle}/pair", {})
    assert response.status_code == 422 and "Choose a charger" in response.get_data(as_text=True)


def test_unknown_session_is_not_found(logged_in):
    assert logged_in.client.get("/pairing/999/status").status_code == 404


@pytest.fixture
def crowd(world):
    """Add 30 more online chargers that support Auto Charge, OTHER-00 to OTHER-29."""

    def add():
        for i in range(30):
            set_online(chargers.add_charger(f"OTHER-{i:02d}", autocharge="supported").id, True)

    world.run(add)


def radios(html: str) -> list[str]:
    """Return the charge box ids offered, top to bottom."""
    return re.findall(r"<strong>([^<]+)</strong>", html)


def test_a_page_of_chargers_at_most_and_a_search_for_the_others(logged_in, world, vehicle, crowd):
    url = f"/users/{world.user}/vehicles/{vehicle}/pair"
    html = logged_in.client.get(url).get_data(as_text=True)
    assert radios(html) == ["CP-1", "CP-2"] + [f"OTHER-{i:02d}" for i in range(18)]
    assert "20 of 32 chargers shown, the usable ones first: search to find another." in html
    assert 'hx-trigger="search, keyup delay:200ms changed"' in html and 'method="get"' in html
    found = logged_in.client.get(f"{url}?q=other-2", headers=HX)
    partial = found.get_data(as_text=True)
    assert "<html" not in partial and radios(partial) == [f"OTHER-{i}" for i in range(20, 30)]
    assert "Start pairing" in partial and "HX-Request" in found.headers["Vary"]
    plain = logged_in.client.get(f"{url}?q=other-29").get_data(as_text=True)  # without JavaScript: the page
    assert "<html" in plain and radios(plain) == ["OTHER-29"] and 'value="other-29"' in plain


@pytest.mark.parametrize("search", ["nothing-like-this", "%", "_", "x" * 300])
def test_search_without_a_match(logged_in, world, vehicle, search):
    response = logged_in.client.get(f"/users/{world.user}/vehicles/{vehicle}/pair?q={search}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and radios(html) == [] and "No charger's id contains" in html
    assert re.search(r'<button type="submit" class="button" disabled>Start pairing', html)


def test_a_charger_found_by_search_can_be_paired_on(logged_in, world, vehicle, crowd):
    html = logged_in.client.get(f"/users/{world.user}/vehicles/{vehicle}/pair?q=OTHER-29").get_data(as_text=True)
    charger_id = re.search(r'name="charger_id" value="(\d+)"', html).group(1)
    response = logged_in.post(f"/users/{world.user}/vehicles/{vehicle}/pair", {"charger_id": charger_id})
    assert response.status_code == 302 and "/pairing/" in response.headers["Location"]
