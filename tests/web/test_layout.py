"""The shared layout: nav, CSRF header for htmx, and the vendored, pinned htmx."""

import re

from conftest import ROOT

from .conftest import csrf_token


def test_layout_has_nav_csrf_header_and_local_scripts(logged_in):
    html = logged_in.client.get("/users/").get_data(as_text=True)
    nav = html.split('<nav class="nav" aria-label="Main">')[1].split("</nav>")[0]
    labels = re.findall(r">([^<>]+)</a>", nav)
    assert labels[:4] == ["Home", "Users", "Transactions", "Chargers"]
    assert re.search(r'href="/users/"\s+aria-current="page">Users', nav)
    assert f"""hx-headers='{{"X-CSRFToken": "{csrf_token(html)}"}}'""" in html
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(src.startswith("/static/") for src in scripts)  # no CDN


def test_vendored_htmx_is_the_version_its_name_says(client):
    (path,) = (ROOT / "static").glob("htmx-*.min.js")
    version = re.fullmatch(r"htmx-(\d+\.\d+\.\d+)\.min\.js", path.name).group(1)
    assert f'version:"{version}"' in path.read_text()
    base = (ROOT / "templates" / "base.html").read_text()
    assert f"filename='{path.name}'" in base
    with client.get(f"/static/{path.name}") as response:  # closed: a file response holds the file open
        assert response.status_code == 200
