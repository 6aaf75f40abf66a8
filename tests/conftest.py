"""Shared fixtures: a fresh ledger on SQLite and, where configured, on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import shutil
import string
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.staff import Role, StaffMember
from kiosk.ledger.engine import grant_app_role, make_engine, upgrade
from kiosk.ledger.service import Ledger

# No timing in tests: Hypothesis's per-example deadline (200 ms) and its too-slow health check fail a
# correct test when two workers and everything else on the machine share two cores. Explicit
# @settings(...) on a test still override single fields; the rest come from here.
settings.register_profile("kiosk", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("kiosk")

PG_URL = os.environ.get("KIOSK_TEST_PG_URL")
PG_SKIP_REASON = (
    "KIOSK_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"
)
# Least privilege, as in production: migrations run as the owner role, the kiosk connects as the
# application role (.ci/run creates both). Without them the PostgreSQL tests run as KIOSK_TEST_PG_URL's
# user, and the report header says so.
PG_OWNER = os.environ.get("KIOSK_TEST_PG_OWNER_ROLE")
PG_APP = os.environ.get("KIOSK_TEST_PG_APP_ROLE")
PG_ROLES_REASON = (
    "KIOSK_TEST_PG_OWNER_ROLE / KIOSK_TEST_PG_APP_ROLE are not set: the PostgreSQL tests migrate and run "
    "as the user of KIOSK_TEST_PG_URL (a superuser can do what the application role cannot)"
)


def pytest_report_header(config: pytest.Config) -> str | None:
    if not PG_URL:
        return None
    if PG_OWNER and PG_APP:
        return f"PostgreSQL: migrations as {PG_OWNER}, the kiosk as {PG_APP}"
    return f"PostgreSQL: {PG_ROLES_REASON}"


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own [paths] data directory (anchors, checkpoint, logs), whatever the shell set;
    a test that runs `kiosk` in a subprocess passes it on with os.environ."""
    monkeypatch.setenv("KIOSK_PATHS__DATA_DIR", str(tmp_path_factory.mktemp("kiosk-data")))


@dataclass
class FakeClock:
    """A clock the test moves by hand (the ledger takes time as an argument, never reads it itself)."""

    now: datetime = field(default_factory=lambda: datetime(2026, 4, 1, 0, 30, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"


@dataclass(frozen=True)
class PgSchema:
    """A private schema in the PostgreSQL test database: URLs for the owner (migrations) and the
    application role (the kiosk), both with the schema as search_path."""

    name: str
    owner_url: str
    app_url: str
    app_role: str | None  # None: no roles configured, both URLs are KIOSK_TEST_PG_URL's user


def _as_role(role: str | None, schema: str) -> str:
    assert PG_URL is not None
    url = make_url(PG_URL)
    if role is not None:
        url = url.set(username=role)
    sep = "&" if "?" in PG_URL else "?"
    return f"{url.render_as_string(hide_password=False)}{sep}options=-csearch_path%3D{schema}"


def private_schema_name() -> str:
    """A fresh schema name for one test: `t_`, the pytest-xdist worker (`gw0`, `gw1`, … or `main`), and
    twelve random letters. Every test, on every worker, has its own schema, so tests running at the same
    time on the one test database never share a table; the worker in the name tells whose a leftover is.
    Letters only: twelve hex digits may all be decimal, and the My Number guard refuses such a URL."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"t_{worker}_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


@pytest.fixture
def pg_schema() -> Iterator[PgSchema]:
    """An empty private schema (owned by the owner role when configured), dropped afterwards."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = private_schema_name()
    admin = make_engine(PG_URL)
    roles = (PG_OWNER, PG_APP) if PG_OWNER and PG_APP else None
    if roles is not None:
        with admin.connect() as conn:
            found = set(
                conn.execute(
                    text("SELECT rolname FROM pg_roles WHERE rolname IN (:o, :a)"),
                    {"o": roles[0], "a": roles[1]},
                ).scalars()
            )
        if found != set(roles):
            admin.dispose()
            pytest.fail(
                f"the PostgreSQL roles {roles[0]} and {roles[1]} do not both exist at "
                f"{make_url(PG_URL).render_as_string()} (found: {sorted(found) or 'neither'}); "
                ".ci/run creates them"
            )
    with admin.begin() as conn:
        owner = f' AUTHORIZATION "{roles[0]}"' if roles is not None else ""
        conn.execute(text(f'CREATE SCHEMA "{schema}"{owner}'))
    yield PgSchema(
        schema,
        _as_role(roles[0] if roles else None, schema),
        _as_role(roles[1] if roles else None, schema),
        roles[1] if roles else None,
    )
    with admin.begin() as conn:
        # A connection left open in a transaction on this schema's tables (its own, never another
        # worker's: every test has its own schema) would make the DROP wait for ever. It is ended, and
        # the test fails at teardown naming it: a read left open is a leak in the code under test
        # (one in the supervisor's page was found so).
        held = (
            conn.execute(
                text(
                    "SELECT DISTINCT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"
                ),
                {"schema": schema},
            )
            .scalars()
            .all()
        )
        for pid in held:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
    if held:
        pytest.fail(f"a connection was left open in a transaction on the test's schema (pids {held})")


@pytest.fixture
def pg_schema_url(pg_schema: PgSchema) -> str:
    """A PostgreSQL ledger as production runs it: migrated by the owner role, which grants the
    application role its least privileges; the URL is the application role's (the kiosk's)."""
    owner = make_engine(pg_schema.owner_url)
    upgrade(owner)
    if pg_schema.app_role is not None:
        grant_app_role(owner, pg_schema.app_role)
    owner.dispose()
    return pg_schema.app_url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The ledger suite runs against both backends."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("pg_schema_url")
    return url


@pytest.fixture
def ledger(db_url: str, clock: FakeClock) -> Iterator[Ledger]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield Ledger(engine, pepper=b"test-pepper", kiosk="kiosk-test", clock=clock)
    engine.dispose()


@dataclass
class Crew:
    """The people of a small office."""

    officer: StaffMember
    deputy: StaffMember
    clerk: StaffMember
    clerk2: StaffMember
    supervisor: StaffMember
    admin: StaffMember


PINS = {"O001": "1111", "O002": "2222", "C001": "3333", "C002": "4444", "S001": "5555", "A001": "9999"}


@pytest.fixture
def crew(ledger: Ledger) -> Crew:
    return Crew(
        officer=ledger.add_staff(
            name="保管 正子", badge="O001", employee_no="E-O001", role=Role.OFFICER, rank=0, pin=PINS["O001"]
        ),
        deputy=ledger.add_staff(
            name="保管 副男", badge="O002", employee_no="E-O002", role=Role.OFFICER, rank=1, pin=PINS["O002"]
        ),
        clerk=ledger.add_staff(
            name="窓口 一郎", badge="C001", employee_no="E-C001", role=Role.CLERK, pin=PINS["C001"]
        ),
        clerk2=ledger.add_staff(
            name="窓口 二郎", badge="C002", employee_no="E-C002", role=Role.CLERK, pin=PINS["C002"]
        ),
        supervisor=ledger.add_staff(
            name="課長 三子", badge="S001", employee_no="E-S001", role=Role.SUPERVISOR, pin=PINS["S001"]
        ),
        admin=ledger.add_staff(
            name="情報 管理子", badge="A001", employee_no="E-A001", role=Role.ADMIN, pin=PINS["A001"]
        ),
    )


@pytest.fixture
def desk(ledger: Ledger) -> Desk:
    """The application core over the test ledger, with the default settings."""
    return Desk(ledger, Settings())


@pytest.fixture
def owner_url(db_url: str, request: pytest.FixtureRequest) -> str:
    """The test ledger's database as its owner: on PostgreSQL the owner role, which the triggers alone
    stop from rewriting events; on SQLite the same file (there are no roles)."""
    if not db_url.startswith("postgresql"):
        return db_url
    schema: PgSchema = request.getfixturevalue("pg_schema")
    return schema.owner_url


def app_refusal(url: str) -> str:
    """What refuses the kiosk's own connection an UPDATE, DELETE or TRUNCATE of events: on PostgreSQL
    with the application role its privileges (before any trigger), else the append-only triggers."""
    return "permission denied" if url.startswith("postgresql") and PG_OWNER and PG_APP else "append-only"


# A CUPS queue that prints to a PDF file (cups-pdf): the real print path, with no paper.
CUPS_PDF_PPD = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture
def cups_queue() -> Iterator[str]:
    for program in ("lpstat", "lpadmin", "lpinfo", "cupsdisable"):
        if shutil.which(program) is None:
            pytest.skip(
                f"{program} is not installed (.ci/run installs cups cups-bsd printer-driver-cups-pdf)"
            )
    if _run("lpstat", "-r").stdout.strip() != "scheduler is running":
        pytest.skip("cupsd is not running (.ci/run starts it)")
    if CUPS_PDF_PPD not in _run("lpinfo", "-m").stdout:
        pytest.skip("printer-driver-cups-pdf is not installed: no PDF queue to print to")
    name = f"kiosk-test-{secrets.token_hex(3)}"
    added = _run("lpadmin", "-p", name, "-E", "-v", "cups-pdf:/", "-m", CUPS_PDF_PPD)
    if added.returncode != 0:
        pytest.skip(f"cannot add a CUPS queue here (lpadmin: {added.stderr.strip()})")
    try:
        yield name
    finally:
        _run("lpadmin", "-x", name)


def wait_printed(queue: str, job: str) -> None:
    """Wait until CUPS has completed `job` on `queue`, then take cups-pdf's output away again."""
    deadline = time.monotonic() + 60
    while job not in _run("lpstat", "-W", "completed", "-o", queue).stdout:
        assert time.monotonic() < deadline, f"CUPS never completed {job}: {_run('lpstat', '-o').stdout}"
        time.sleep(0.2)
    # cups-pdf writes into the printing user's ~/PDF.
    for page in (Path.home() / "PDF").glob(f"*job_{job.rsplit('-', 1)[1]}.pdf"):
        page.unlink()
