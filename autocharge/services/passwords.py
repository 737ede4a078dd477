"""Admin password hashing, kept off the gevent hub so a login never stalls the chargers."""

from werkzeug.security import check_password_hash, generate_password_hash


def _offload(fn, *args):
    """Run `fn` in gevent's thread pool when the process runs on gevent, else inline."""
    try:
        from gevent import get_hub, monkey
    except ImportError:  # pragma: no cover - gevent is a hard dependency
        return fn(*args)
    if not monkey.is_module_patched("threading"):
        return fn(*args)
    # hashlib.scrypt releases the GIL, so the ~200 ms of hashing runs beside the OCPP greenlets.
    return get_hub().threadpool.apply(fn, args)


def hash_password(password: str) -> str:
    """Return a slow salted hash of `password`."""
    return _offload(generate_password_hash, password)


def check_password(stored_hash: str, password: str) -> bool:
    """Tell whether `password` matches `stored_hash`."""
    return _offload(check_password_hash, stored_hash, password)
