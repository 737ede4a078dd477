"""What a charger's frame counts as in the metrics: its action, an answer, "other" or "invalid", and its CallError."""

import pytest

from autocharge import metrics
from autocharge.csms import dispatcher

from .support import BOOT, InProcessCharger


def sample(name: str, **labels) -> float:
    """Return a metric's current value in this process (0 when never counted)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def named(app, client: InProcessCharger, text: str | bytes) -> tuple[str, str | None]:
    """Return what the dispatcher says a frame counts as, and its answer (frames that write nothing)."""
    with app.app_context():
        return dispatcher.handle_named(client.conn, text)


@pytest.fixture
def booted_in(db_app, charger):
    """Return a function giving CP-1 booted in an OCPP version, its frames handled in this process."""

    def boot(version: str) -> InProcessCharger:
        client = InProcessCharger(db_app, "CP-1", version)
        assert client.result("BootNotification", BOOT[version])["status"] == "Accepted"
        return client

    return boot


@pytest.mark.parametrize(
    ("version", "text", "name", "error_code"),
    [
        ("1.6", '[2,"1","Heartbeat",{}]', "Heartbeat", None),
        ("2.0.1", b' [ 2 , "x" , "TransactionEvent" , {}]', "TransactionEvent", "OccurrenceConstraintViolation"),
        ("1.6", '[2,"1","MadeUpAction",{}]', "other", "NotImplemented"),
        ("1.6", '[2,"1","TransactionEvent",{}]', "other", "NotImplemented"),
        ("1.6", '[3,"1",{}]', "CallResult", None),
        ("2.0.1", '[4,"1","InternalError","",{}]', "CallError", None),
        ("2.0.1", "not json", "invalid", "FormatViolation"),
        ("1.6", '[2,"1","Heartbeat"]', "invalid", "FormationViolation"),  # an element missing: not a readable Call
        ("1.6", "[" * 100_000, "invalid", "FormationViolation"),  # nested past Python's recursion
    ],
)
def test_a_frame_counts_under_what_it_is_and_its_answers_error_code(db_app, booted_in, version, text, name, error_code):
    client = booted_in(version)
    frames, answers = (
        sample("autocharge_ocpp_frames_total", action=name),
        sample("autocharge_ocpp_answer_seconds_count"),
    )
    errors = sample("autocharge_ocpp_call_errors_total", code=error_code) if error_code else 0.0

    got, reply = named(db_app, client, text)
    metrics.frame(got, reply, 0.003)

    assert got == name
    assert (reply is not None and reply.startswith("[4,")) == (error_code is not None)
    assert sample("autocharge_ocpp_frames_total", action=name) == frames + 1
    assert sample("autocharge_ocpp_answer_seconds_count") == answers + 1
    if error_code:
        assert sample("autocharge_ocpp_call_errors_total", code=error_code) == errors + 1


def test_invented_actions_add_no_label_values(db_app, booted_in):
    client = booted_in("1.6")
    for n in range(50):
        metrics.frame(*named(db_app, client, f'[2,"1","Invented{n}",{{}}]'), 0.001)
    labels = {s.labels.get("action") for m in metrics.REGISTRY.collect() for s in m.samples}
    assert not any(label and label.startswith("Invented") for label in labels)
