"""Command-line commands: `flask --app app create-admin|add-charger|simulate ...`."""

import click
from flask import Flask

from .demo import demo_data_command
from .models.admin import ROLES
from .schema import needs_schema
from .services import ServiceError, admins, chargers
from .simulator.cli import simulate_command


@click.command("create-admin")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden, twice) when left out.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in ROLES]),  # Click would offer an enum by its names (VIEWER)
    default="admin",
    show_default=True,
    help="admin: everything; operator: chargers, users, vehicles, pairing; viewer: read only.",
)
@needs_schema
def create_admin_command(email: str, password: str | None, role: str) -> None:
    """Create a back-office admin."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        admin = admins.create_admin(email, password, role)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {admin.role} {admin.email}.")


@click.command("set-admin-password")
@click.argument("email")
@click.option("--password", help="Prompted for (hidden, twice) when left out.")
@needs_schema
def set_admin_password_command(email: str, password: str | None) -> None:
    """Change an admin's password."""
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        admins.set_password(email, password)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Password changed for {email}; every session they had is signed out.")


@click.command("add-charger")
@click.argument("charge_box_id")
@click.option("--password", help="OCPP basic-auth password (16-40 characters); none by default.")
@click.option(
    "--autocharge",
    type=click.Choice(["yes", "no", "unknown"]),
    default="unknown",
    show_default=True,
    help="Whether the charger supports Auto Charge.",
)
@needs_schema
def add_charger_command(charge_box_id: str, password: str | None, autocharge: str) -> None:
    """Register a charger so it may connect."""
    support = {"yes": "supported", "no": "unsupported", "unknown": "unknown"}[autocharge]
    try:
        charger = chargers.add_charger(charge_box_id, password=password, autocharge=support)
    except ServiceError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Added charger {charger.charge_box_id}; it connects to /ocpp/{charger.charge_box_id}.")


def register(app: Flask) -> None:
    """Attach the commands to the app."""
    app.cli.add_command(create_admin_command)
    app.cli.add_command(set_admin_password_command)
    app.cli.add_command(add_charger_command)
    app.cli.add_command(simulate_command)
    app.cli.add_command(demo_data_command)
