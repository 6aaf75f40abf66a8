"""`kiosk upgrade` after installing a new version: a ledger made by the previous release (the current
code's ledger at the previous schema revision, 0012) is backed up, verified, migrated, verified again
and the upgrade recorded; a migration made to fail leaves the ledger exactly as it was, and the
message names the backup."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.ledger.engine import make_engine
from tests.conftest import PgSchema

PREVIOUS, NEWEST = "0012", "0017"


def kiosk(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_CONFIG_FILE"] = str(config)
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        input=stdin, capture_output=True, text=True, env=env, timeout=180, check=False,
    )  # fmt: skip


@pytest.fixture
def previous_release(tmp_path: Path) -> tuple[Path, Path]:
    """(configuration, ledger file): a ledger with an administrator, at schema 0012 (what the release
    before the session-join index made: 0013 only adds that index, 0014 the alert sender's table, 0015
    the staff row MAC's columns, kept here: this ledger was made sealed; 0016 a PostgreSQL trigger only;
    0017 drops one index and makes another partial)."""
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "var"}"\n', encoding="utf-8")
    admin = ["--admin-name", "情報太郎", "--admin-badge", "A001", "--admin-employee-no", "E9001"]
    init = kiosk(config, "init", *admin, stdin="9999\n")
    assert init.returncode == 0, init.stderr
    database = tmp_path / "var" / "ledger.sqlite3"
    with sqlite3.connect(database) as conn:
        conn.execute("DROP INDEX ix_events_session_kind")
        conn.execute("DROP TABLE alert_state")
        # Before 0017: an index on session_id alone, and one on every event's stocktake_id.
        conn.execute("CREATE INDEX ix_events_session ON events (session_id)")
        conn.execute("DROP INDEX ix_events_stocktake")
        conn.execute("CREATE INDEX ix_events_stocktake ON events (stocktake_id)")
        conn.execute("UPDATE alembic_version SET version_num = ?", (PREVIOUS,))
    return config, database


def revision(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_upgrade_migrates_verifies_and_records(previous_release: tuple[Path, Path]) -> None:
    config, database = previous_release
    result = kiosk(config, "upgrade")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"backup: {database.parent / 'backups'}/")
    assert lines[0].endswith("(verified)")
    assert lines[1].startswith(f"schema: {PREVIOUS} -> {NEWEST}; the ledger verifies (")
    assert revision(database) == NEWEST
    with sqlite3.connect(database) as conn:
        assert conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'ix_events_session_kind'"
        ).fetchone()
        indexes = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'").fetchall())
        assert "ix_events_session" not in indexes  # 0017
        assert indexes["ix_events_stocktake"].endswith("WHERE stocktake_id IS NOT NULL")
        kind, payload = conn.execute("SELECT kind, payload FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    assert kind == "ledger_upgraded"
    recorded = json.loads(payload)
    assert (recorded["from_revision"], recorded["to_revision"]) == (PREVIOUS, NEWEST)
    # The backup's name holds its time without a run of 12 digits (issue 22), so it is recorded as is.
    assert recorded["backup"] == lines[0].split("/")[-1].split()[0]
    assert recorded["backup"].startswith("ledger-")
    assert isinstance(recorded["backup_seq"], int)
    assert kiosk(config, "verify").returncode == 0
    again = kiosk(config, "upgrade")
    assert again.returncode == 0, again.stderr
    assert f"its schema is the newest ({NEWEST})" in again.stdout


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as conn:
        return list(conn.iterdump())


def test_a_failed_migration_leaves_the_ledger_as_it_was(previous_release: tuple[Path, Path]) -> None:
    config, database = previous_release
    # 0013 creates ix_events_session_kind: an index of that name already there makes it fail.
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE INDEX ix_events_session_kind ON events (kind)")
    before = dump(database)
    result = kiosk(config, "upgrade")
    assert result.returncode == 1
    named, line = result.stderr.strip().splitlines()
    assert line.startswith(f"kiosk: upgrade stopped at migration: {PREVIOUS} → {NEWEST} failed (")
    assert "ix_events_session_kind already exists" in line
    assert line.endswith(f"the ledger is as it was (schema {PREVIOUS})")
    backups = list((database.parent / "backups").glob("*.sqlite3"))
    assert len(backups) == 1
    assert named == f"the backup made before the upgrade: {backups[0]}"
    assert dump(database) == before
    assert revision(backups[0]) == PREVIOUS


def test_upgrade_on_postgresql_as_the_owner_role(tmp_path: Path, pg_schema: PgSchema) -> None:
    if pg_schema.app_role is None:
        pytest.skip("KIOSK_TEST_PG_OWNER_ROLE / KIOSK_TEST_PG_APP_ROLE are not set (.ci/run sets them)")
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed: kiosk upgrade backs a PostgreSQL ledger up with it")
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[ledger]\nurl = "{pg_schema.app_url}"\n[paths]\ndata_dir = "{tmp_path / "var"}"\n', encoding="utf-8"
    )
    admin = ["--admin-name", "情報太郎", "--admin-badge", "A001", "--admin-employee-no", "E9001"]
    init = kiosk(config, "--db", pg_schema.owner_url, "init", "--app-role", str(pg_schema.app_role), *admin,
                 stdin="9999\n")  # fmt: skip
    assert init.returncode == 0, init.stderr
    owner = make_engine(pg_schema.owner_url)
    with owner.begin() as conn:
        conn.execute(text("DROP INDEX ix_events_session_kind"))
        conn.execute(text("DROP TABLE alert_state"))
        conn.execute(text("CREATE INDEX ix_events_session ON events (session_id)"))
        conn.execute(text("DROP INDEX ix_events_stocktake"))
        conn.execute(text("CREATE INDEX ix_events_stocktake ON events (stocktake_id)"))
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": PREVIOUS})
    # The application role may not change the schema: the upgrade stops, the ledger as it was.
    as_app = kiosk(config, "upgrade")
    assert as_app.returncode == 1
    assert "the ledger is as it was (schema 0012)" in as_app.stderr
    done = kiosk(config, "--db", pg_schema.owner_url, "upgrade")
    assert done.returncode == 0, done.stderr
    assert "(written by pg_dump)" in done.stdout
    with owner.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == NEWEST
        last = conn.execute(text("SELECT kind FROM events ORDER BY seq DESC LIMIT 1")).scalar_one()
        # The table 0014 adds is the application role's as APP_GRANTS says, without granting again.
        may = text("SELECT has_table_privilege(:r, 'alert_state', :p)")
        for privilege in ("SELECT", "INSERT", "UPDATE"):
            assert conn.execute(may, {"r": pg_schema.app_role, "p": privilege}).scalar_one(), privilege
        assert not conn.execute(may, {"r": pg_schema.app_role, "p": "DELETE"}).scalar_one()
    owner.dispose()
    assert last == "ledger_upgraded"
    assert kiosk(config, "verify").returncode == 0
