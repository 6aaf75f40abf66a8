"""Engines with the ledger's durability settings, and the schema upgrade at start-up."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from kiosk.fs import create_private_file

# Every SQLite connection: WAL so readers never block the writer, FULL so a committed event survives
# a power cut, foreign keys on, and recursive triggers so `INSERT OR REPLACE` fires the DELETE trigger.
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA recursive_triggers=ON",
    "PRAGMA busy_timeout=10000",
)


# Execution option that marks a read-only unit of work (see _sqlite_begin).
READ_ONLY = "ledger_read_only"


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let us issue BEGIN ourselves (pysqlite's implicit transactions defer the write lock).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE takes the write lock at BEGIN, so two writers never both read the head and then race.
    # Read-only work (history, reports, verify) asks for a plain BEGIN and never waits for a writer.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the ledger. SQLite files are created (with their folder) private to this user."""
    parsed = make_url(url)
    # A statement's parameters never reach an error message, a log or a traceback: they can hold a
    # new member's PIN hash or a name (one PostgreSQL length error printed a scrypt hash).
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            _prepare_private_file(Path(database))
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _prepare_private_file(path: Path) -> None:
    # The ledger names staff and cards: other local users must not read it (nor its WAL files).
    create_private_file(path)
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{path}{suffix}")
        if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077:
            p.chmod(0o600)


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema with Alembic (run at every start-up)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


# What the kiosk's PostgreSQL application role may do: read everything, append events, move the head,
# and keep the projections. Never UPDATE/DELETE events (the triggers refuse it too), never TRUNCATE,
# ALTER, DROP or disable a trigger (only the owner may, and the kiosk never connects as the owner).
APP_GRANTS = {
    "events": "SELECT, INSERT",
    "ledger_head": "SELECT, UPDATE",
    "ledger_meta": "SELECT",
    "alembic_version": "SELECT",
    "staff": "SELECT, INSERT, UPDATE",
    "cards": "SELECT, INSERT, UPDATE",
    "rfid_bindings": "SELECT, INSERT",
    "safe_sessions": "SELECT, INSERT, UPDATE",
    "pick_list": "SELECT, INSERT",
    "stocktakes": "SELECT, INSERT, UPDATE",
    "stocktake_expected": "SELECT, INSERT",
    "stocktake_scans": "SELECT, INSERT, UPDATE",
}


def grant_app_role(engine: Engine, role: str) -> None:
    """PostgreSQL: give the application role exactly APP_GRANTS (run by the owner after migrating).

    Tables the core adds later get no privilege until listed here: a missing grant fails loudly.
    """
    if engine.dialect.name != "postgresql":
        raise ValueError("application roles exist on PostgreSQL only")
    from sqlalchemy import inspect, text

    if not role.replace("_", "").isalnum():
        raise ValueError(f"{role!r} is not a plain role name")
    with engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        tables = set(inspect(conn).get_table_names())
        conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        conn.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
        for table, privileges in APP_GRANTS.items():
            if table in tables:
                conn.execute(text(f'GRANT {privileges} ON "{schema}"."{table}" TO "{role}"'))
        # USAGE for new ids; SELECT so that pg_dump (kiosk backup) can read the sequences as this role.
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
