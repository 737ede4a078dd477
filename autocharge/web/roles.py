"""Who may do what: every back-office view declares the least role it needs, and a view that declares none is refused."""

from functools import wraps

from flask import abort, current_app, request
from flask_login import current_user

from ..models.admin import ROLES

_RANK = {role: rank for rank, role in enumerate(ROLES)}
PUBLIC = "public"


def can(role: str) -> bool:
    """Tell whether the logged-in admin has `role` or one above it."""
    return current_user.is_authenticated and _RANK.get(current_user.role, -1) >= _RANK[role]


def allow(role: str):
    """Let admins with `role` or a higher one use the view; send anyone not logged in to the login page."""
    if role not in _RANK:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not can(role):
                abort(403, f"Your role ({current_user.role}) may not do this. An admin can change your role.")
            return view(*args, **kwargs)

        guarded.role = role
        return guarded

    return decorator


def public(view):
    """Mark a view that anyone may open (the login page)."""
    view.role = PUBLIC
    return view


def refuse_undeclared() -> None:
    """Refuse a back-office view that declares no role, so a forgotten decorator fails closed, not open."""
    if request.blueprint not in current_app.extensions["screens"]:
        return  # the OCPP endpoint, health checks, metrics and static files guard themselves
    view = current_app.view_functions.get(request.endpoint or "")
    if view is not None and not hasattr(view, "role"):
        abort(403, "This page declares no role, so nobody may open it.")
