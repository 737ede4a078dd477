"""Telling whether the database is migrated, before a command or the server starts using its tables."""

import functools
from collections.abc import Callable

import click
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from flask import Flask, current_app

from .extensions import db

ADVICE = "run `make migrate` (or `.venv/bin/flask --app app db upgrade`)"


def problem(app: Flask) -> str | None:
    """Return why the database cannot be used yet (unreachable, no tables, older migration), or None."""
    # Cheap enough for every command and start: one read of alembic_version and a parse of the scripts (~15 ms).
    url = db.engine.url.render_as_string(hide_password=True)
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except sa.exc.DBAPIError as exc:
        return f"Cannot open the database at {url}: {exc.orig}"
    config = Config()
    config.set_main_option("script_location", app.extensions["migrate"].directory)
    script = ScriptDirectory.from_config(config)
    if current == set(script.get_heads()):
        return None
    # A revision these scripts do not know comes from a newer release (a rolling upgrade): let that one decide.
    if current and not all(_known(script, revision) for revision in current):
        return None
    return f"The database at {url} has no tables yet (or is not migrated to the latest revision): {ADVICE}"


def _known(script: ScriptDirectory, revision: str) -> bool:
    """Tell whether a revision is one of the migration scripts."""
    try:
        return script.get_revision(revision) is not None
    except (CommandError, RevisionError):
        return False


def needs_schema(command: Callable) -> Callable:
    """Make a CLI command that uses the tables say how to migrate (exit 1) instead of showing a traceback."""

    @functools.wraps(command)
    def checked(*args, **kwargs):
        reason = problem(current_app)
        if reason is not None:
            raise click.ClickException(reason)
        return command(*args, **kwargs)

    return checked
