"""venue waiting count: how many wait at a venue, kept by the database

A press that lands on the waiting list tells the citizen their number in it. Counting the
waiting registrations ahead read every one of them (3 000 entries in a wave, most of an RSVP's
cost). `event_venues.waiting` holds how many wait at the venue, kept current by triggers on
`registrations`, so no write path (a press, a cancellation, a promotion, a move to another
venue, a deleted citizen) has to remember it. On SQLite (one writer at a time) a registration
reads its number from the venue's row in the transaction that made it. On PostgreSQL the
trigger is deferred to the commit, so the row is not held while the client talks to the server;
a new registration's number is counted once it is committed there, as before.

On SQLite the triggers belong to `registrations`: a migration that rebuilds that table (a batch
operation) must create them again.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 17:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = (
    "UPDATE event_venues SET waiting = (SELECT count(*) FROM registrations "
    "WHERE registrations.venue_id = event_venues.id AND registrations.status = 'waiting')"
)

SQLITE_UPGRADE = [
    "CREATE TRIGGER registrations_waiting_insert AFTER INSERT ON registrations "
    "WHEN NEW.status = 'waiting' BEGIN "
    "UPDATE event_venues SET waiting = waiting + 1 WHERE id = NEW.venue_id; END",
    "CREATE TRIGGER registrations_waiting_delete AFTER DELETE ON registrations "
    "WHEN OLD.status = 'waiting' BEGIN "
    "UPDATE event_venues SET waiting = waiting - 1 WHERE id = OLD.venue_id; END",
    "CREATE TRIGGER registrations_waiting_update AFTER UPDATE OF status, venue_id "
    "ON registrations WHEN (OLD.status = 'waiting' OR NEW.status = 'waiting') "
    "AND (OLD.status IS NOT NEW.status OR OLD.venue_id IS NOT NEW.venue_id) BEGIN "
    "UPDATE event_venues SET waiting = waiting - 1 "
    "WHERE id = OLD.venue_id AND OLD.status = 'waiting'; "
    "UPDATE event_venues SET waiting = waiting + 1 "
    "WHERE id = NEW.venue_id AND NEW.status = 'waiting'; END",
]
SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS registrations_waiting_update",
    "DROP TRIGGER IF EXISTS registrations_waiting_delete",
    "DROP TRIGGER IF EXISTS registrations_waiting_insert",
]

POSTGRESQL_UPGRADE = [
    """
    CREATE FUNCTION registrations_waiting_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.venue_id = NEW.venue_id THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'waiting' THEN
            UPDATE event_venues SET waiting = waiting - 1 WHERE id = OLD.venue_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'waiting' THEN
            UPDATE event_venues SET waiting = waiting + 1 WHERE id = NEW.venue_id;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    # Deferred to the commit: the venue's row is then locked only while the transaction
    # commits, inside the server. Taken at the statement, it would be held until the client's
    # COMMIT came back, and a wave's presses past capacity would queue for it one by one.
    "CREATE CONSTRAINT TRIGGER registrations_waiting "
    "AFTER INSERT OR DELETE OR UPDATE OF status, venue_id ON registrations "
    "DEFERRABLE INITIALLY DEFERRED "
    "FOR EACH ROW EXECUTE FUNCTION registrations_waiting_changed()",
]
POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS registrations_waiting ON registrations",
    "DROP FUNCTION IF EXISTS registrations_waiting_changed()",
]


def upgrade() -> None:
    op.add_column(
        "event_venues",
        sa.Column("waiting", sa.Integer(), nullable=False, server_default="0"),
    )
    op.execute(BACKFILL)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_UPGRADE if postgresql else SQLITE_UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for statement in POSTGRESQL_DOWNGRADE if postgresql else SQLITE_DOWNGRADE:
        op.execute(statement)
    # ALTER TABLE … DROP COLUMN, not a batch (a rebuild would cascade on SQLite, see 0014).
    op.drop_column("event_venues", "waiting")
