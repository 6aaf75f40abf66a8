"""PostgreSQL: migrations as the owner role, the kiosk as the application role that cannot truncate,
alter, disable triggers or rewrite events; a wiped database is refused at start, not re-created."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from kiosk.config import load_settings
from kiosk.domain.staff import Role
from kiosk.ledger.engine import make_engine
from kiosk.ledger.service import open_ledger
from kiosk.ledger.verify import verify
from tests import warm
from tests.conftest import PG_SKIP_REASON, PG_URL, private_schema_name
from tests.integrity.conftest import Kiosk
from tests.ledger.helpers import ids, receive

OWNER = os.environ.get("KIOSK_TEST_PG_OWNER_ROLE", "kiosk_owner")
APP = os.environ.get("KIOSK_TEST_PG_APP_ROLE", "kiosk_app")


@dataclass
class Roles:
    owner_url: str
    app_url: str
    schema: str


def _as(role: str, schema: str) -> str:
    assert PG_URL is not None
    url = make_url(PG_URL).set(username=role)
    sep = "&" if "?" in str(url) else "?"
    return f"{url.render_as_string(hide_password=False)}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def roles() -> Iterator[Roles]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    admin = make_engine(PG_URL)
    with admin.connect() as conn:
        found = set(
            conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname IN (:o, :a)"), {"o": OWNER, "a": APP}
            ).scalars()
        )
    if found != {OWNER, APP}:
        admin.dispose()
        pytest.skip(f"the PostgreSQL roles {OWNER} and {APP} do not exist; .ci/run creates them")
    schema = private_schema_name()  # the worker's own, letters only (token_hex could be all digits)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{OWNER}"'))
    yield Roles(_as(OWNER, schema), _as(APP, schema), schema)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def pg_kiosk(site: Kiosk, roles: Roles) -> Kiosk:
    """A site whose ledger is on PostgreSQL, initialised by the owner role."""
    result = site.run("--db", roles.owner_url, "init", "--app-role", APP)
    assert result.returncode == 0, result.stderr
    assert f"granted the application role {APP}" in result.stdout
    return site


def test_the_app_role_runs_the_kiosk_and_cannot_rewrite_history(pg_kiosk: Kiosk, roles: Roles) -> None:
    settings = load_settings(pg_kiosk.config, db_url=roles.app_url)
    ledger = open_ledger(settings)  # start-up check as the app role
    officer = ledger.add_staff(
        name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin="1111"
    )
    receive(ledger, ids(3))
    ledger.authenticate("O001", "1111")
    assert officer.id == 1
    for statement, says in [
        ("UPDATE events SET kind = 'x' WHERE seq = 1", "permission denied"),
        ("DELETE FROM events WHERE seq = 1", "permission denied"),
        ("TRUNCATE events", "permission denied"),
        ("ALTER TABLE events DISABLE TRIGGER ALL", "must be owner"),
        ("DROP TABLE events", "must be owner"),
        ("UPDATE ledger_meta SET value = 'x'", "permission denied"),
        ("DELETE FROM staff", "permission denied"),
        ("CREATE TABLE sneaky (x int)", "permission denied"),
    ]:
        with pytest.raises(DBAPIError, match=says), ledger.engine.begin() as conn:
            conn.execute(text(statement))
    report = verify(ledger)
    assert report.ok, report.problem
    ledger.engine.dispose()
    assert pg_kiosk.run("--db", roles.app_url, "verify").returncode == 0


def test_a_wiped_postgresql_ledger_is_refused_and_not_recreated(pg_kiosk: Kiosk, roles: Roles) -> None:
    assert pg_kiosk.run("--db", roles.app_url, "anchor").returncode == 0
    owner = make_engine(roles.owner_url)
    with owner.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{roles.schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{roles.schema}"'))
    owner.dispose()
    result = pg_kiosk.run("--db", roles.app_url, "verify")
    assert result.returncode == 3
    assert "holds no ledger (empty or wiped)" in result.stderr
    again = pg_kiosk.run("--db", roles.owner_url, "init")
    assert again.returncode == 3
    assert "holds the heads of one" in again.stderr


def test_backup_on_postgresql_runs_pg_dump_and_anchors_the_head(pg_kiosk: Kiosk, roles: Roles) -> None:
    import shutil

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore (postgresql-client) are not installed")
    result = pg_kiosk.run("--db", roles.app_url, "backup")
    assert result.returncode == 0, result.stderr
    dump = Path(result.stdout.split()[1])
    assert dump.suffix == ".pgdump"
    assert oct(dump.stat().st_mode & 0o777) == "0o600"
    listing = warm.run(["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True)
    assert "TABLE DATA" in listing.stdout
    assert "events" in listing.stdout
    assert f"backup {dump.name}" in pg_kiosk.paths.anchor_log.read_text(encoding="utf-8")


def test_the_readmes_postgresql_restore_brings_the_kiosk_back_with_the_restore_on_the_chain(
    pg_kiosk: Kiosk, roles: Roles
) -> None:
    import shutil

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore (postgresql-client) are not installed")
    settings = load_settings(pg_kiosk.config, db_url=roles.app_url)
    ledger = open_ledger(settings)
    for name, badge, role, rank, pin in (
        ("保管 正子", "O001", Role.OFFICER, 0, "1111"),
        ("課長 三子", "S001", Role.SUPERVISOR, None, "5555"),
    ):
        ledger.add_staff(name=name, badge=badge, employee_no=f"E-{badge}", role=role, rank=rank, pin=pin)
    receive(ledger, ids(2))
    ledger.engine.dispose()
    made = pg_kiosk.run("--db", roles.app_url, "backup")
    assert made.returncode == 0, made.stderr
    assert "written by pg_dump" in made.stdout  # not called verified: nothing read it back
    dump = Path(made.stdout.split()[1])
    ledger = open_ledger(settings)
    receive(ledger, ids(2, start=50))  # lost with the disaster: the dump is behind the next anchor
    ledger.engine.dispose()
    assert pg_kiosk.run("--db", roles.app_url, "anchor").returncode == 0

    # The README's recipe: pg_restore as the owner role.
    assert PG_URL is not None
    owner = make_url(PG_URL).set(username=OWNER).render_as_string(hide_password=False)
    done = warm.run(
        ["pg_restore", "--clean", "--if-exists", "--dbname", owner, str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    refused = pg_kiosk.run("--db", roles.app_url, "staff", "list")
    assert refused.returncode == 3
    assert "behind the last anchor" in refused.stderr
    alone = pg_kiosk.run("--db", roles.app_url, "restore", "--in-place")
    assert alone.returncode != 0
    assert "the restored database ends at seq" in alone.stderr
    assert "supervisor must confirm" in alone.stderr
    confirmed = pg_kiosk.run(
        "--db",
        roles.app_url,
        "restore",
        "--in-place",
        "--operator",
        "O001",
        "--supervisor",
        "S001",
        stdin="1111\n5555\n",
    )
    assert confirmed.returncode == 0, confirmed.stderr
    assert "recorded the restore" in confirmed.stdout
    assert pg_kiosk.run("--db", roles.app_url, "staff", "list").returncode == 0
    assert pg_kiosk.run("--db", roles.app_url, "verify").returncode == 0
    ledger = open_ledger(settings)
    restored = [e for e in ledger.events() if e.kind == "ledger_restored"]
    ledger.engine.dispose()
    assert len(restored) == 1
    assert restored[0].data["source"] == "pg_restore"
    assert restored[0].actor_id is not None
    assert restored[0].witness_id is not None


def test_pg_restore_of_an_older_dump_with_no_anchor_after_it_needs_two_people(
    pg_kiosk: Kiosk, roles: Roles
) -> None:
    """Issue 22, item 1 on PostgreSQL: no anchor after the dump, only the kiosk's committed head (the
    head file moves after every unit). `restore --in-place` must not record it with nobody confirming."""
    import shutil

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump / pg_restore (postgresql-client) are not installed")
    settings = load_settings(pg_kiosk.config, db_url=roles.app_url)
    ledger = open_ledger(settings)
    for name, badge, role, rank, pin in (
        ("保管 正子", "O001", Role.OFFICER, 0, "1111"),
        ("課長 三子", "S001", Role.SUPERVISOR, None, "5555"),
    ):
        ledger.add_staff(name=name, badge=badge, employee_no=f"E-{badge}", role=role, rank=rank, pin=pin)
    ledger.engine.dispose()
    made = pg_kiosk.run("--db", roles.app_url, "backup")
    assert made.returncode == 0, made.stderr
    dump = Path(made.stdout.split()[1])
    ledger = open_ledger(settings)
    receive(ledger, ids(2, start=70))  # through the running kiosk, after the dump; nobody anchors
    head = ledger.head()
    ledger.engine.dispose()
    assert PG_URL is not None
    owner = make_url(PG_URL).set(username=OWNER).render_as_string(hide_password=False)
    done = warm.run(
        ["pg_restore", "--clean", "--if-exists", "--dbname", owner, str(dump)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert pg_kiosk.run("--db", roles.app_url, "staff", "list").returncode == 3
    alone = pg_kiosk.run("--db", roles.app_url, "restore", "--in-place")
    assert alone.returncode == 2
    assert "would drop" in alone.stderr
    confirmed = pg_kiosk.run(
        "--db",
        roles.app_url,
        "restore",
        "--in-place",
        "--operator",
        "O001",
        "--supervisor",
        "S001",
        stdin="1111\n5555\n",
    )
    assert confirmed.returncode == 0, confirmed.stderr
    ledger = open_ledger(settings)
    (restored,) = [e for e in ledger.events() if e.kind == "ledger_restored"]
    ledger.engine.dispose()
    assert restored.actor_id is not None
    assert restored.witness_id is not None
    assert restored.data["dropped_last_seq"] == head[0]
    # The two were authenticated on the restored chain with this kiosk's staff journal carried onto it.
    assert restored.data["confirmed_on"] == "current ledger"
