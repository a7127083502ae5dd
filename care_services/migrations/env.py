"""Alembic environment: run by care_services.db.init_db with an open connection (no alembic.ini needed)."""

from __future__ import annotations

from alembic import context

from care_services.model import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
