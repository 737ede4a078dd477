"""Every parameter of every screen route, sent odd values one at a time: never a 500 (both databases).

The parameter names are read from the blueprint modules' source (`args.get("q")`, `form.get("plate")`...) and from
the fields of the form classes (WTForms) each module uses, so a parameter added later is covered without editing this
file.

A route is sent the other odd values of a parameter only if it read the parameter when sent the first: a route that
never looks at a parameter (the harvest is per module, a route reads a few of its module's parameters) answers the
same whatever its value, and those requests were three quarters of the suite's longest test. The app's requests
record what the views and templates read: a name asked for, or everything at once (iterating over the parameters, or
the raw query string as in request.full_path).
"""

import inspect
import re
import sys
from urllib.parse import quote

import pytest
from flask import Request, request
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import Form

from autocharge.web import SCREENS, tables

from .conftest import AuthActions
from .test_roles import LEAST_ROLE, ids, screen_routes, url_of  # noqa: F401  (ids is a fixture)

ODD_VALUES = [
    "\x00",
    "a\x00b",
    "\r\nX-Injected: 1",
    "9" * 20,
    "-1",
    "9999-12-31",
    "0000-00-00",
    "²",
    "x" * 5000,
]
ENCODED = [quote(value, safe="") for value in ODD_VALUES] + ["%FF%FE"]  # the last is not UTF-8 at all
NAMES = re.compile(r"""(?:\.get(?:list)?|_arg)\((?:\w+, )?["'](\w+)["']""")


class Reads:
    """What the current request's views and templates read of its parameters."""

    names: set[str] = set()
    everything = False

    @classmethod
    def clear(cls) -> None:
        """Forget the previous request's reads."""
        cls.names, cls.everything = set(), False

    @classmethod
    def saw(cls, name: str) -> bool:
        """Tell whether the request read the parameter `name` (or all of them)."""
        return cls.everything or name in cls.names


class RecordingDict(ImmutableMultiDict):
    """Request parameters that note each name read, and reading them all (iteration, copies)."""

    def __getitem__(self, key):
        Reads.names.add(key)
        return super().__getitem__(key)

    def getlist(self, key, type=None):  # noqa: A002  (werkzeug's signature)
        Reads.names.add(key)
        return super().getlist(key, type)

    def __contains__(self, key):
        Reads.names.add(key)
        return super().__contains__(key)


def _reading_everything(method):
    """Wrap a MultiDict method that reads every parameter (iteration, items, copies) so that it notes it."""

    def read_all(self, *args, **kwargs):
        Reads.everything = True
        return method(self, *args, **kwargs)

    return read_all


for _name in ("__iter__", "items", "values", "lists", "listvalues", "to_dict", "copy", "__reduce_ex__"):
    setattr(RecordingDict, _name, _reading_everything(getattr(ImmutableMultiDict, _name)))


class RecordingRequest(Request):
    """A request whose parameters record what is read of them."""

    parameter_storage_class = RecordingDict

    @property
    def full_path(self) -> str:
        Reads.everything = True
        return super().full_path

    @property
    def url(self) -> str:
        Reads.everything = True
        return super().url


def test_the_recording_request_sees_reads_by_name_and_reads_of_everything(app, client, admin):
    app.request_class = RecordingRequest
    for read, seen in [
        (lambda r: r.args.get("a"), "a"),
        (lambda r: r.values.getlist("b"), "b"),
        (lambda r: "c" in r.args, "c"),
        (lambda r: dict(r.args), "abc"),
        (lambda r: r.args.to_dict(), "abcz"),
        (lambda r: list(r.args.items()), "abcz"),
        (lambda r: r.full_path, "abcz"),
    ]:
        with app.test_request_context("/?a=1&b=2&c=3"):
            Reads.clear()
            read(request)
            assert {name for name in "abcz" if Reads.saw(name)} == set(seen)
    AuthActions(client).login()
    Reads.clear()
    assert client.get("/chargers/?q=x").status_code == 200
    assert Reads.saw("q") and not Reads.saw("plate")  # a real screen: the Chargers list reads its search, not a plate


def form_fields(module) -> set[str]:
    """Return the field names of the form classes a module uses."""
    forms = [value for value in vars(module).values() if inspect.isclass(value) and issubclass(value, Form)]
    unbound = [(name, getattr(form, name)) for form in forms for name in dir(form)]
    return {field.name or name for name, field in unbound if hasattr(field, "field_class")}  # the name sent


def parameters_of(module_name: str) -> list[str]:
    """Return the query and form field names a blueprint module (and the shared table helpers) reads."""
    module = sys.modules[module_name]
    source = inspect.getsource(module) + inspect.getsource(tables)
    return sorted((set(NAMES.findall(source)) | form_fields(module) | form_fields(tables)) - {"csrf_token"})


def cases(app) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, parameter) for every screen route and every parameter its module reads."""
    return [
        (endpoint, method, name)
        for endpoint, method, _ in screen_routes(app)
        if endpoint not in ("auth.logout", "account.end_all")  # both sign the loop out
        for name in parameters_of(app.view_functions[endpoint].__module__)
    ]


def test_the_parameter_harvest_finds_the_parameters(app):
    found = {name for _, _, name in cases(app)}
    assert {"q", "page", "from", "to", "charger", "user", "plate", "email", "next", "password"} <= found


def test_every_route_belongs_to_a_screen_sent_odd_values(app):
    modules = {app.view_functions[endpoint].__module__ for endpoint, _, _ in cases(app)}
    assert modules <= {screen.__name__ for screen in SCREENS}


# One test per screen (a few hundred requests each), so the workers share the ~2,000 requests; the screens with the
# most routes and parameters in several parts (every part-th case), so none of them ends the suite's run alone.
PARTS = {"charger_commands": 3, "chargers": 2}
SHARES = [
    (screen, part, parts)
    for screen in SCREENS
    for parts in [PARTS.get(screen.__name__.rsplit(".", 1)[1], 1)]
    for part in range(parts)
]


def share_id(share) -> str:
    """Return a test id: the screen's module name, and its part when it has several."""
    screen, part, parts = share
    name = screen.__name__.rsplit(".", 1)[1]
    return name if parts == 1 else f"{name}-{part + 1}of{parts}"


@pytest.mark.parametrize("share", SHARES, ids=share_id)
def test_no_odd_value_in_any_parameter_of_any_route_gives_a_500(app, client, admin, ids, share):  # noqa: F811
    screen, part, parts = share
    app.request_class = RecordingRequest
    auth = AuthActions(client)
    auth.login()
    token = auth.token()  # read before the loop: its page's reads are not the odd requests'
    crashed = []
    all_mine = [case for case in cases(app) if app.view_functions[case[0]].__module__ == screen.__name__]
    assert len(all_mine) >= parts, f"{screen.__name__} reads too few parameters for {parts} parts"
    mine = all_mine[part::parts]
    for endpoint, method, name in mine:
        url = url_of(app, endpoint, ids)
        for n, value in enumerate(ENCODED):
            pair = f"{name}={value}"
            Reads.clear()
            if method == "GET":
                response = client.get(f"{url}?{pair}")
            else:
                body = f"{pair}&csrf_token={token}"
                response = client.post(f"{url}?{pair}", data=body, content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                crashed.append(f"{method} {endpoint} {pair[:40]}: {response.status_code}")
            response.close()  # an export streams: end it here, inside its request (and its reads with it)
            if n == 0 and not Reads.saw(name):  # the route never looked at it: no other value can change its answer
                break
    assert not crashed
    assert auth.logged_in()  # the run stayed a logged-in admin's, so the routes were really exercised
