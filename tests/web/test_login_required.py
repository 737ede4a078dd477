"""Every back-office page and action sends an anonymous visitor to the login page."""

import re

from .conftest import AuthActions

# Probes answer without a login (and without data); /metrics has its own token (tests/test_metrics.py).
PUBLIC = {"static", "auth.login", "health.healthz", "health.readyz", "metrics.scrape"}


def _sample_url(rule) -> str:
    """Return a URL for `rule` with a plausible value in every variable."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "1", rule.rule)


def _protected_rules(app):
    """Yield the rules of every back-office endpoint (not static files, the login page or OCPP)."""
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith("ocpp."):
            continue
        yield rule


def test_every_back_office_endpoint_requires_login(app, client):
    anonymous = AuthActions(client)
    checked = []
    for rule in _protected_rules(app):
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url)
            else:  # with a valid token, so it is the login check and not CSRF that refuses
                response = anonymous.post(url) if method == "POST" else client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert response.headers["Location"].startswith("/login"), f"{method} {url}"
            checked.append(rule.endpoint)
    # The walk must have covered the screens, or it proves nothing.
    assert {"site.home", "chargers.index", "users.index", "transactions.index", "auth.logout"} <= set(checked)


def test_htmx_poll_of_an_anonymous_visitor_redirects_the_whole_page(client):
    response = client.get("/chargers/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/chargers/")
