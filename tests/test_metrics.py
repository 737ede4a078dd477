"""Prometheus metrics: what a frame counts as, and /metrics off by default or behind its token."""

import pytest

from autocharge import metrics
from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.models import ChargerCommand
from autocharge.services import admins, chargers
from autocharge.wire.schemas import known_actions

TOKEN = "scrape-secret"


def sample(name: str, **labels) -> float:
    """Return a metric's current value in this process (0 when never counted)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("version", "text", "reply", "action", "error_code"),
    [
        ("1.6", '[2,"1","Heartbeat",{}]', '[3,"1",{}]', "Heartbeat", None),
        ("2.0.1", b' [ 2 , "x" , "TransactionEvent" , {}]', '[3,"x",{}]', "TransactionEvent", None),
        ("1.6", '[2,"1","MadeUpAction",{}]', '[4,"1","NotImplemented","Unknown action",{}]', "other", "NotImplemented"),
        ("1.6", '[2,"1","TransactionEvent",{}]', '[4,"1","NotImplemented","",{}]', "other", "NotImplemented"),
        ("1.6", '[3,"1",{}]', None, "CallResult", None),
        ("2.0.1", '[4,"1","InternalError","",{}]', None, "CallError", None),
        ("2.0.1", "not json", '[4,"-1","FormatViolation","",{}]', "invalid", "FormatViolation"),
    ],
)
def test_a_frame_counts_under_its_action_and_its_answers_error_code(version, text, reply, action, error_code):
    frames, answers = (
        sample("autocharge_ocpp_frames_total", action=action),
        sample("autocharge_ocpp_answer_seconds_count"),
    )
    errors = sample("autocharge_ocpp_call_errors_total", code=error_code) if error_code else 0.0
    metrics.frame(known_actions(version), text, reply, 0.003)
    assert sample("autocharge_ocpp_frames_total", action=action) == frames + 1
    assert sample("autocharge_ocpp_answer_seconds_count") == answers + 1
    if error_code:
        assert sample("autocharge_ocpp_call_errors_total", code=error_code) == errors + 1


def test_invented_actions_add_no_label_values():
    for n in range(50):
        metrics.frame(known_actions("1.6"), f'[2,"1","Invented{n}",{{}}]', None, 0.001)
    labels = {s.labels.get("action") for m in metrics.REGISTRY.collect() for s in m.samples}
    assert not any(label and label.startswith("Invented") for label in labels)


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
