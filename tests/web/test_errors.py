"""Error pages: missing pages, wrong methods and server errors."""

import pytest
from conftest import make_app

from autocharge.extensions import db
from autocharge.models import User


def test_missing_page_is_a_404_page(logged_in):
    response = logged_in.client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Not found" in html and "Back to the back office" in html


def test_wrong_method_is_a_405_page(logged_in):
    assert logged_in.client.get("/chargers/1/reset").status_code == 405


@pytest.fixture
def failing_app(database_url):
    """Return an app with a page that stores a user and then fails, errors handled as in production."""
    app = make_app(database_url, PROPAGATE_EXCEPTIONS=False)

    def fail():
        db.session.add(User(name="Half", email="half@example.com"))
        db.session.flush()
        raise RuntimeError("boom")

    app.add_url_rule("/fail", "fail", fail)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_server_error_page_rolls_the_session_back(failing_app):
    with failing_app.app_context():  # one session for the request and the check after it
        response = failing_app.test_client().get("/fail")
        assert response.status_code == 500
        assert "Something went wrong on our side." in response.get_data(as_text=True)
        assert db.session.scalar(db.select(User).where(User.email == "half@example.com")) is None
