"""Prometheus metrics: /metrics off by default or behind its token, and what it shows (frames: csms/test_frame_metrics.py)."""

import pytest

from autocharge import metrics
from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.models import ChargerCommand
from autocharge.services import admins, chargers

TOKEN = "scrape-secret"


def sample(name: str, **labels) -> float:
    """Return a metric's current value in this process (0 when never counted)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_off_without_a_token(client):
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_metrics_need_the_token(app, client, header):
    app.config["AUTOCHARGE_METRICS_TOKEN"] = TOKEN
    response = client.get("/metrics", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_metrics_with_the_token_show_pool_outbox_and_failed_logins(app, client):
    app.config["AUTOCHARGE_METRICS_TOKEN"] = TOKEN
    admins.create_admin("admin@example.com", "correct horse battery")
    charger = chargers.add_charger("CP-1")
    db.session.add(ChargerCommand(charger_id=charger.id, action="Reset", payload={}, deadline=utcnow()))
    db.session.commit()
    failed = sample("autocharge_logins_failed_total", reason="wrong")
    token = client.get("/login").get_data(as_text=True).split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"email": "admin@example.com", "password": "nope", "csrf_token": token})

    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert "autocharge_commands_pending 1.0" in text
    assert "autocharge_chargers_connected 0.0" in text
    assert "autocharge_db_pool_size " in text and "autocharge_db_pool_checked_out " in text
    assert "process_cpu_seconds_total " in text
    assert sample("autocharge_logins_failed_total", reason="wrong") == failed + 1
