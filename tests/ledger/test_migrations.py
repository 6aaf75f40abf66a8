"""The Alembic migrations and the models describe the same schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_the_start_up_shortcut_knows_alembics_head(tmp_path: Path) -> None:
    """`upgrade` skips Alembic when the database is at HEAD_REVISION: a new migration that is not
    named there would never run on an existing ledger. So HEAD_REVISION is Alembic's head, and a
    database one revision behind is still brought up to it."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from kiosk.ledger import engine as engine_module
    from kiosk.ledger.engine import HEAD_REVISION, at_head

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(engine_module.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD_REVISION]
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    try:
        assert not at_head(engine)  # no schema at all
        upgrade(engine)
        assert at_head(engine)
        # A ledger of the release before (0016 only adds a PostgreSQL trigger: on SQLite it is a no-op;
        # 0017 drops an index this ledger does not have and makes one partial).
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0015'"))
        assert not at_head(engine)
        upgrade(engine)
        assert at_head(engine)
    finally:
        engine.dispose()
