"""Admins racing to add the same thing: exactly one wins, the others get the service's words, never a 500.

On PostgreSQL both checks can pass before either insert commits; the unique index decides and the loser's
IntegrityError becomes the same ServiceError a later attempt gets. Threads here are real threads, each with its own
app context, session and connection.
"""

import threading

import pytest
from conftest import make_app

from autocharge.extensions import db
from autocharge.services import ServiceError, admins, chargers, users

RACERS = 8


def _race(url: str, attempt) -> list[str]:
    """Run `attempt(n)` in RACERS threads released at once; return each one's outcome."""
    app = make_app(url)
    start, outcomes = threading.Barrier(RACERS), [""] * RACERS

    def run(n: int) -> None:
        with app.app_context():
            start.wait()
            try:
                attempt(n)
                outcomes[n] = "won"
            except ServiceError:
                outcomes[n] = "refused"
            except Exception as exc:  # what the test is about: anything else would be a 500
                outcomes[n] = f"{type(exc).__name__}: {exc}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return outcomes


@pytest.fixture
def a_user(database_url) -> int:
    """Create a user to give tags to; return the id."""
    app = make_app(database_url)
    with app.app_context():
        user_id = users.add_user("Tag Owner", "owner@example.com").id
        db.session.remove()  # before the engine goes: a connection returned to a disposed pool is never closed
        db.engine.dispose()
    return user_id


@pytest.mark.parametrize(
    "attempt",
    [
        lambda n: users.add_user(f"Racer {n}", "same@example.com"),
        lambda n: chargers.add_charger("CP-RACE"),
        lambda n: admins.create_admin("race@example.com", "long enough password"),
    ],
    ids=["user email", "charge box id", "admin email"],
)
def test_one_wins_the_others_are_refused(database_url, attempt):
    outcomes = _race(database_url, attempt)
    assert sorted(outcomes) == ["refused"] * (RACERS - 1) + ["won"], outcomes
    assert _race(database_url, attempt) == ["refused"] * RACERS  # and once it exists, everyone is refused


def test_one_tag_for_one_user_when_admins_race(database_url, a_user):
    outcomes = _race(database_url, lambda n: users.add_tag(a_user, "RACETAG"))
    assert sorted(outcomes) == ["refused"] * (RACERS - 1) + ["won"], outcomes
