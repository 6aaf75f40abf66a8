"""Shared fixtures: a fresh ledger on SQLite and, where configured, on PostgreSQL."""

from __future__ import annotations

import os
import secrets
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.config import Settings
from kiosk.desk import Desk
from kiosk.domain.staff import Role, StaffMember
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.service import Ledger

PG_URL = os.environ.get("KIOSK_TEST_PG_URL")
PG_SKIP_REASON = (
    "KIOSK_TEST_PG_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"
)


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


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A private schema in the PostgreSQL test database, dropped afterwards."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    # Letters only: twelve hex digits may all be decimal, and the My Number guard refuses such a URL.
    schema = "t_" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


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
