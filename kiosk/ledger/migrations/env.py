"""Alembic environment: runs on the connection the kiosk hands over (see engine.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from kiosk.ledger.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        # `alembic revision --autogenerate` from a shell: use the URL given with -x url=...
        url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///var/alembic.sqlite3")
        with create_engine(url).connect() as conn:
            context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
            with context.begin_transaction():
                context.run_migrations()
        return
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
