"""autocharge: a self-hosted EV charging back office with vehicle pairing by Auto Charge identifier."""

import os
import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as defaults
from . import metrics, pgping, pgwait
from .db import is_sqlite
from .extensions import csrf, db, htmx, login_manager, migrate
from .hotpath import group
from .hotpath import runner as hotpath

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None) -> Flask:
    """Create the app: defaults, then instance/config.py, then the environment; or, given `config`, defaults and it.

    A given `config` (tests, benchmarks) is hermetic: no instance/config.py or environment variable of the machine
    running them changes it.
    """
    app = Flask(
        __name__,
        instance_path=os.path.join(ROOT, "instance"),
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.from_mapping(defaults.DEFAULTS)
    if config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(defaults.from_environment())
    else:
        app.config.update(config)
    _fill_defaults(app)

    proxies = app.config["AUTOCHARGE_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    if not is_sqlite(app.config["SQLALCHEMY_DATABASE_URI"]):
        pgwait.install()  # psycopg waits on the hub directly: cheaper than through gevent's select.poll()
        pgping.install()  # instead of pool_pre_ping: a connection back from a frame a moment ago is not pinged
    db.init_app(app)
    app.teardown_appcontext(hotpath.release)
    if app.config["AUTOCHARGE_CHECK_ONE_WRITER"]:
        hotpath.check_one_writer()
    if app.config["AUTOCHARGE_GROUP_COMMIT"]:
        group.guard_orm_writes()
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)

    from . import cli, health, models  # noqa: F401  (models register their tables)
    from .csms import transport
    from .csms.link import OcppLink
    from .services import link
    from .web import register_blueprints

    link.use(OcppLink())  # the services reach chargers only through this door

    register_blueprints(app)
    app.register_blueprint(transport.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(health.bp)
    csrf.exempt(health.bp)  # GETs only; exempt so a probe never depends on a token
    # Chargers cannot send a CSRF token; they authenticate with Basic auth instead.
    csrf.exempt(transport.bp)
    cli.register(app)
    return app


def _fill_defaults(app: Flask) -> None:
    """Derive the settings whose default depends on the instance folder or the database."""
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        path = os.path.join(app.instance_path, "autocharge.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    check = app.config["AUTOCHARGE_CHECK_ONE_WRITER"]
    if isinstance(check, str):  # from the environment, where a default of None gives no type to parse by
        check = defaults._parse(False, check)
    app.config["AUTOCHARGE_CHECK_ONE_WRITER"] = bool(app.testing or app.debug) if check is None else check
    if app.config["AUTOCHARGE_SERIALIZE_WRITES"] is None:
        app.config["AUTOCHARGE_SERIALIZE_WRITES"] = is_sqlite(uri)
    grouped = app.config["AUTOCHARGE_GROUP_COMMIT"]
    if isinstance(grouped, str):
        grouped = defaults._parse(True, grouped)
    serialized = app.config["AUTOCHARGE_SERIALIZE_WRITES"]
    app.config["AUTOCHARGE_GROUP_COMMIT"] = bool(is_sqlite(uri) and serialized and grouped is not False)
    app.config["AUTOCHARGE_GROUP_BLIND_WRITES"] = not is_sqlite(uri) and grouped is not False  # hotpath/pggroup.py
    if is_sqlite(uri):
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 5}})
    else:
        pool = {
            "pool_size": app.config["AUTOCHARGE_DB_POOL_SIZE"],
            "max_overflow": app.config["AUTOCHARGE_DB_MAX_OVERFLOW"],
            "pool_timeout": app.config["AUTOCHARGE_DB_POOL_TIMEOUT"],
        }
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", pool)
    same_site = str(app.config["AUTOCHARGE_COOKIE_SAMESITE"]).capitalize()
    if same_site not in ("Lax", "Strict"):  # None would send the cookie along with other sites' requests
        raise ValueError(f"AUTOCHARGE_COOKIE_SAMESITE is Lax or Strict, not {same_site!r}")
    app.config.update(SESSION_COOKIE_SAMESITE=same_site, REMEMBER_COOKIE_SAMESITE=same_site)
    if app.config["AUTOCHARGE_SECURE_COOKIES"]:
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)


def _instance_secret(instance_path: str) -> str:
    """Return the secret key kept in instance/secret_key, creating it on first use."""
    path = os.path.join(instance_path, "secret_key")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()
