"""/healthz and /readyz: no login, no data, no session cookie."""

import urllib.request


def _get(url: str) -> tuple[int, str, str | None]:
    """GET a URL; return the status, the body and any Set-Cookie header."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode(), response.headers.get("Set-Cookie")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers.get("Set-Cookie")


def test_a_running_server_is_alive_and_ready(live_server):
    assert _get(live_server.url + "/healthz") == (200, "ok\n", None)
    assert _get(live_server.url + "/readyz") == (200, "ready\n", None)


def test_a_process_without_a_lease_is_not_ready(client):
    response = client.get("/readyz")
    assert (response.status_code, response.text) == (503, "process lease not held\n")
    assert "Set-Cookie" not in response.headers
