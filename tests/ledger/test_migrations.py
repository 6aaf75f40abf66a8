"""The Alembic migrations and the models describe the same schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.models import Base
from tests.conftest import PgSchema


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database, as the role that runs migrations (on PostgreSQL the owner role)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    schema: PgSchema = request.getfixturevalue("pg_schema")
    return schema.owner_url


def test_upgrading_an_empty_database_matches_the_models(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {"events", "ledger_head", "cards", "staff", "safe_sessions", "stocktakes"} <= tables


def test_upgrade_is_idempotent_at_every_start(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # a second start-up must not fail or duplicate anything
    with engine.connect() as conn:
        heads = conn.exec_driver_sql("SELECT count(*) FROM ledger_head").scalar()
    engine.dispose()
    assert heads == 1
