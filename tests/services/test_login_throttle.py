"""The login throttle in the database: counted per (email, address), shared, bounded, and race-safe."""

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import make_app

from autocharge.db import utcnow
from autocharge.extensions import db
from autocharge.models import LoginFailure
from autocharge.services import login_throttle
from autocharge.services.login_throttle import LoginThrottled

EMAIL, ADDRESS = "admin@example.com", "203.0.113.7"


@pytest.fixture
def app(database_url):
    """Return an app that locks after three failures within 60 s, inside an app context."""
    app = make_app(database_url, AUTOCHARGE_LOGIN_MAX_FAILURES=3, AUTOCHARGE_LOGIN_LOCK_SECONDS=60)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def failures_at(*seconds_ago: int, email: str = EMAIL, address: str = ADDRESS) -> None:
    """Store failures that happened `seconds_ago`."""
    db.session.add_all(
        LoginFailure(email=email, address=address, at=utcnow() - timedelta(seconds=s)) for s in seconds_ago
    )
    db.session.commit()


def test_locked_at_the_limit_until_the_limiting_failure_leaves_the_window(app):
    failures_at(50, 40)
    assert login_throttle.check(EMAIL, ADDRESS) == 2
    failures_at(30)
    with pytest.raises(LoginThrottled, match=r"Try again in (10|11) seconds\."):  # the failure 50 s ago expires
        login_throttle.check(EMAIL, ADDRESS)


def test_failures_older_than_the_window_do_not_count(app):
    failures_at(500, 400, 61)
    assert login_throttle.check(EMAIL, ADDRESS) == 0


@pytest.mark.parametrize(("email", "address"), [("ADMIN@example.com ", ADDRESS), (EMAIL, ADDRESS)])
def test_counted_per_normalised_email_and_address(app, email, address):
    failures_at(3, 2, 1)
    failures_at(3, 2, 1, email="other@example.com")
    failures_at(3, 2, 1, address="198.51.100.2")
    with pytest.raises(LoginThrottled):
        login_throttle.check(email, address)
    assert login_throttle.check("third@example.com", ADDRESS) == 0
    assert login_throttle.check(EMAIL, "192.0.2.1") == 0


def test_a_failure_prunes_rows_older_than_the_window(app):
    failures_at(3600, 120, 61, address="198.51.100.2")
    failures_at(59, address="198.51.100.2")
    login_throttle.fail(EMAIL, ADDRESS)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 2


def test_clear_forgets_only_that_email_and_address(app):
    failures_at(3, 2, 1)
    failures_at(3, 2, 1, address="198.51.100.2")
    login_throttle.clear(EMAIL, ADDRESS)
    assert login_throttle.check(EMAIL, ADDRESS) == 0
    with pytest.raises(LoginThrottled):
        login_throttle.check(EMAIL, "198.51.100.2")


def test_simultaneous_failures_from_several_processes_all_count(database_url, app):
    """Apps of their own (as in separate processes) writing failures at the same moment: none lost, no error."""
    apps = [make_app(database_url, AUTOCHARGE_LOGIN_LOCK_SECONDS=60) for _ in range(4)]
    start, errors = threading.Barrier(len(apps) * 2), []

    def fail(other) -> None:
        with other.app_context():
            start.wait()
            try:
                login_throttle.fail(EMAIL, ADDRESS)
            except Exception as exc:  # collected, so the test names it
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=fail, args=(other,)) for other in apps * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for other in apps:
        with other.app_context():
            db.engine.dispose()
    assert errors == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 8
