"""Default settings; instance/config.py and environment variables override them."""

import os

DEFAULTS = {
    "SECRET_KEY": None,  # generated into instance/secret_key on first start when unset
    "SQLALCHEMY_DATABASE_URI": None,  # sqlite:///<instance>/autocharge.sqlite when unset
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    # SQLite serialises writers anyway; doing it in-process keeps a yielding greenlet from
    # holding the file lock while another one spins on the busy timeout (autocharge/db.py).
    "AUTOCHARGE_SERIALIZE_WRITES": None,  # None: on for SQLite, off for PostgreSQL
    # Raise when the ORM writes after a hot-path write inside one db.writing() (autocharge/hotpath/runner.py).
    "AUTOCHARGE_CHECK_ONE_WRITER": None,  # None: on when TESTING or DEBUG
    # SQLite: the charger frames of one loop turn share one commit, each answer sent once it is committed
    # (autocharge/hotpath/group.py); PostgreSQL: their writes that stand alone and whose outcome their answers do not
    # need (connector status, 1.6 meter values) share one transaction (hotpath/pggroup.py). None: on (on SQLite, with
    # serialized writes).
    "AUTOCHARGE_GROUP_COMMIT": None,
    "AUTOCHARGE_ACCEPT_UNKNOWN_CHARGERS": False,
    "AUTOCHARGE_HEARTBEAT_INTERVAL": 300,
    "AUTOCHARGE_COMMAND_TIMEOUT": 15.0,
    "AUTOCHARGE_PAIRING_TIMEOUT": 180,
    "AUTOCHARGE_PAIRING_POLL_SECONDS": 1.0,
    # Screens that refresh themselves (Home, Chargers, a charger, a running session) wait their interval times this.
    "AUTOCHARGE_REFRESH_SCALE": 1.0,
    "AUTOCHARGE_LAST_SEEN_EVERY": 5.0,  # seconds between last-seen writes per charger
    # Per charger: frames read at once after a quiet spell, then frames per second (0: no pacing). A real
    # charger waits for each answer, so even its backlog after a reconnect stays within these.
    "AUTOCHARGE_CHARGER_BURST": 500,
    "AUTOCHARGE_CHARGER_RATE": 50.0,
    "AUTOCHARGE_MAX_MESSAGE": 1024 * 1024,  # bytes per OCPP message, all fragments together (close 1009 past it)
    "AUTOCHARGE_MAX_PENDING_CHARGERS": 100,  # unknown chargers registered as pending, at most, waiting for an admin
    "AUTOCHARGE_PENDING_PER_MINUTE": 10,  # new pending chargers per minute, at most (per process)
    "AUTOCHARGE_CHARGER_AUTH_DELAY_MAX": 60,  # seconds: longest wait imposed after repeated wrong charger passwords
    # Werkzeug's method for admin password hashes (its default, scrypt: ~200 ms, 32 MiB). Existing hashes name their own
    # method, so a change applies to new passwords only. The tests set a cheap one: they hash thousands of passwords.
    "AUTOCHARGE_PASSWORD_METHOD": "scrypt",
    "AUTOCHARGE_PASSWORD_CHECKS": 2,  # admin password hashes computed at once (~32 MiB each); more wait their turn
    # A process that stops renewing its lease for this long counts as dead: another one marks its chargers offline
    # and fails their commands (csms/lease.py). Renewed every quarter of it, so a crash shows within 1.25 times it.
    "AUTOCHARGE_LEASE_SECONDS": 20.0,
    # After a charger boots, its transactions still open from before are closed as "charger rebooted" once this long
    # has passed with no word about them: the charger sends its queued StopTransaction / TransactionEvent(Ended)
    # right after booting, and those win. 0: never close them (services/session_ends.py).
    "AUTOCHARGE_REBOOT_GRACE_SECONDS": 90.0,
    # Chargers' recent events (boots, refusals, CallErrors, command results...) are kept this many days; 0: forever.
    "AUTOCHARGE_CHARGER_EVENT_DAYS": 90.0,
    # Chargers' local authorization lists: how often each process looks for lists with something to send (changes
    # also wake it at once), and the first wait after a failed update (doubling with each failure, at most an hour).
    "AUTOCHARGE_LOCAL_LIST_RETRY_SECONDS": 30.0,
    # PostgreSQL connections per process: pool + overflow, plus one for LISTEN. 4 processes x 21 stay below a default
    # server's 100 (max_connections, 3 of them reserved for superusers), with room for psql and migrations. No
    # overflow by default: an overflow connection is closed as soon as it comes back, and the hot path gives its
    # connection back after each read, so a load near the pool's size opened and closed hundreds a second.
    "AUTOCHARGE_DB_POOL_SIZE": 20,
    "AUTOCHARGE_DB_MAX_OVERFLOW": 0,
    "AUTOCHARGE_DB_POOL_TIMEOUT": 10.0,  # seconds a frame waits for a free connection before it is answered an error
    "AUTOCHARGE_LOGIN_MAX_FAILURES": 5,
    "AUTOCHARGE_LOGIN_LOCK_SECONDS": 300,
    # An admin's login ends after this long without a request, and this long after signing in, whatever happens.
    "AUTOCHARGE_SESSION_IDLE_MINUTES": 120,
    "AUTOCHARGE_SESSION_MAX_HOURS": 12,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are believed (0: none, so a client
    # cannot pick the address its failed logins count against).
    "AUTOCHARGE_TRUSTED_PROXIES": 0,
    "AUTOCHARGE_METRICS_TOKEN": None,  # /metrics answers 404 while unset, and asks for this Bearer token when set
    # One log line per HTTP request: off by default, because the screens' htmx polls would print one every second.
    "AUTOCHARGE_ACCESS_LOG": False,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the login session
    # Session cookies only over HTTPS: set it when TLS is terminated in front of the app (a proxy, deploy/).
    "AUTOCHARGE_SECURE_COOKIES": False,
    # SameSite of the session cookie: Lax (links from elsewhere arrive logged in) or Strict (they arrive logged out).
    "AUTOCHARGE_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_HTTPONLY": True,
}


def _parse(default, text: str):
    """Parse an environment value into the type of the setting's default."""
    if isinstance(default, bool):
        return text.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    return text


def from_environment() -> dict:
    """Return the settings given by the environment: DATABASE_URL, SECRET_KEY and any AUTOCHARGE_* setting."""
    settings = {}
    if os.environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ["SECRET_KEY"]
    for key, default in DEFAULTS.items():
        if key.startswith("AUTOCHARGE_") and os.environ.get(key):
            settings[key] = _parse(default, os.environ[key])
    return settings
