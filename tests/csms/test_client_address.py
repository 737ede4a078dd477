"""The OCPP handshake's wrong-password back-off counts the client address ProxyFix gives (AUTOCHARGE_TRUSTED_PROXIES)."""

import base64
import time

import pytest
import websocket

from autocharge.services import chargers

PASSWORD = "sixteen+chars-secret"
BOX_ADDRESS, GUESSER = "198.51.100.1", "203.0.113.9"


@pytest.fixture
def database_url(sqlite_url) -> str:
    """Run on SQLite: the address handling does not depend on the database."""
    return sqlite_url


def handshake(server, password: str, forwarded_for: str) -> tuple[int, int]:
    """Try CP-1's handshake claiming to come from `forwarded_for`; return (status, Retry-After)."""
    header = [
        "Authorization: Basic " + base64.b64encode(f"CP-1:{password}".encode()).decode(),
        f"X-Forwarded-For: {forwarded_for}",
    ]
    try:
        websocket.create_connection(f"{server.ws_url}/CP-1", subprotocols=["ocpp1.6"], header=header, timeout=5).close()
    except websocket.WebSocketBadStatusException as refused:
        return refused.status_code, int((refused.resp_headers or {}).get("retry-after", 0))
    return 101, 0


@pytest.mark.parametrize(("proxies", "box_status"), [(0, 429), (1, 101)])
def test_a_guessers_back_off_holds_back_the_box_only_when_both_are_one_address(
    live_server_factory, database_url, in_db, proxies, box_status
):
    """Behind a trusted proxy the guesser and the box are two addresses; with none, X-Forwarded-For is not believed."""
    in_db(lambda: chargers.add_charger("CP-1", password=PASSWORD))
    server = live_server_factory(database_url, AUTOCHARGE_TRUSTED_PROXIES=proxies)
    assert handshake(server, PASSWORD, BOX_ADDRESS) == (101, 0)
    for _ in range(12):  # wrong guesses until the back-off is 2 s or more (the first three are free)
        status, retry_after = handshake(server, "not the password", GUESSER)
        if status == 429 and retry_after >= 2:
            break
        time.sleep(retry_after)
    else:
        pytest.fail("wrong passwords never slowed the guesser down")
    assert handshake(server, PASSWORD, BOX_ADDRESS)[0] == box_status
