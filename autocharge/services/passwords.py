"""Password hashing, kept off the gevent hub and bounded, so a login flood or a reconnect storm never stalls the chargers."""

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

DEFAULT_CHECKS = 2
_pools: dict[tuple[str, int], object] = {}  # (kind, threads) -> gevent ThreadPool of that size


def _pool(kind: str, size: int):
    """Return the process's thread pool for `kind` of password work with `size` threads."""
    from gevent.threadpool import ThreadPool

    pool = _pools.get((kind, size))
    if pool is None:
        pool = _pools[kind, size] = ThreadPool(size)
    return pool


def _offload(fn, *args, kind: str = "admin"):
    """Run `fn` in a small thread pool of its own when the process runs on gevent, else inline.

    Admin logins and charger handshakes have a pool each: a thousand chargers reconnecting at once queue behind
    each other, never in front of an admin's login (and the other way round).
    """
    from gevent import monkey

    if not monkey.is_module_patched("threading"):
        return fn(*args)
    # scrypt takes ~200 ms and ~32 MiB per call, and releases the GIL: a few threads of its own run it beside
    # the OCPP greenlets, and bound the memory of a login flood (more callers queue; the hub's own pool would
    # run ten at once).
    size = current_app.config["AUTOCHARGE_PASSWORD_CHECKS"] if has_app_context() else DEFAULT_CHECKS
    return _pool(kind, max(1, size)).apply(fn, args)


def hash_password(password: str) -> str:
    """Return a slow salted hash of `password`."""
    method = current_app.config["AUTOCHARGE_PASSWORD_METHOD"] if has_app_context() else "scrypt"
    return _offload(generate_password_hash, password, method)


def check_password(stored_hash: str, password: str) -> bool:
    """Tell whether `password` matches `stored_hash`."""
    return _offload(check_password_hash, stored_hash, password)


def run_charger_check(fn, *args):
    """Run a charger password derivation `fn(*args)` in the chargers' bounded thread pool, never on the hub."""
    return _offload(fn, *args, kind="charger")
