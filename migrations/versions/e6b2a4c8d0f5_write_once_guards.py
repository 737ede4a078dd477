"""write-once guards in the database: a paired vehicle's identifier, the transaction a back-office start began

Revision ID: e6b2a4c8d0f5
Revises: b3e9d1f5a7c2
Create Date: 2026-12-03 08:00:00

A vehicle's identifier was guarded by an ORM attribute event only (services/vehicles.py), which an UPDATE statement
(the hot path's, or one run through the session) never passes. remote_start.transaction_id was guarded only by the
hot path's own "WHERE transaction_id IS NULL". Triggers now refuse, in both databases and whoever writes:
- changing vehicle.identifier once it is set (to another value or back to NULL);
- moving remote_start.transaction_id from one transaction to another (it may go back to NULL: ON DELETE SET NULL).
Both raise an integrity error (SQLite: RAISE(ABORT), PostgreSQL: SQLSTATE 23000).

SQLite: batch_alter_table copies a table without its triggers. A later migration that batch-alters vehicle or
remote_start must create them again (create_triggers() below); tests/hotpath/test_guards.py fails if it does not.
"""

from alembic import op

revision = "e6b2a4c8d0f5"
down_revision = "b3e9d1f5a7c2"
branch_labels = None
depends_on = None

# (trigger, table, column, when the update is refused: SQLite's condition, PostgreSQL's)
GUARDS = (
    (
        "vehicle_identifier_write_once",
        "vehicle",
        "identifier",
        "OLD.identifier IS NOT NULL AND NEW.identifier IS NOT OLD.identifier",
        "OLD.identifier IS NOT NULL AND NEW.identifier IS DISTINCT FROM OLD.identifier",
    ),
    (
        "remote_start_transaction_write_once",
        "remote_start",
        "transaction_id",
        "OLD.transaction_id IS NOT NULL AND NEW.transaction_id IS NOT NULL AND NEW.transaction_id != OLD.transaction_id",
        "OLD.transaction_id IS NOT NULL AND NEW.transaction_id IS NOT NULL AND NEW.transaction_id <> OLD.transaction_id",
    ),
)
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION autocharge_write_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.% is write-once', TG_TABLE_NAME, TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""


def create_triggers(dialect_name: str) -> None:
    """Create the write-once triggers (again, after a batch_alter_table on SQLite)."""
    if dialect_name == "postgresql":
        op.execute(PG_FUNCTION)
    for name, table, column, sqlite_when, pg_when in GUARDS:
        if dialect_name == "postgresql":
            op.execute(
                f'CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON "{table}" FOR EACH ROW '
                f"WHEN ({pg_when}) EXECUTE FUNCTION autocharge_write_once('{column}')"
            )
        else:
            op.execute(
                f'CREATE TRIGGER {name} BEFORE UPDATE OF {column} ON "{table}" FOR EACH ROW WHEN {sqlite_when} '
                f"BEGIN SELECT RAISE(ABORT, '{table}.{column} is write-once'); END"
            )


def upgrade():
    create_triggers(op.get_bind().dialect.name)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table, *_ in GUARDS:
        op.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"' if postgresql else f"DROP TRIGGER IF EXISTS {name}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS autocharge_write_once()")
