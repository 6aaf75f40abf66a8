"""A kiosk with a configuration file, a data directory and a small office day, driven like production:
`kiosk init` first, then the ledger opened through `open_ledger` (start-up check included)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk.config import (
    DEFAULT_CLOSING_CHECKLIST,
    DEFAULT_OPENING_CHECKLIST,
    Settings,
    data_paths,
    load_settings,
)
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import Role, StaffMember
from kiosk.ledger.service import Ledger, open_ledger
from tests import ledger_ops as stocktake_ops
from tests import warm
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import add_to_pick_list, close_session, open_session, scan_in_session

KIOSK = [sys.executable, "-m", "kiosk"]
PINS = {"O001": "1111", "S001": "5555", "C001": "3333", "C002": "4444"}


@dataclass
class Kiosk:
    """One kiosk's configuration and data directory under a test's tmp_path."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config" / "kiosk.toml"

    @property
    def settings(self) -> Settings:
        return load_settings(self.config)

    @property
    def paths(self):  # type: ignore[no-untyped-def]
        return data_paths(self.settings)

    @property
    def db(self) -> Path:
        return self.paths.ledger

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in ("KIOSK_DB_URL", "KIOSK_PEPPER", "KIOSK_PATHS__DATA_DIR"):
            env.pop(name, None)
        env["KIOSK_CONFIG_FILE"] = str(self.config)
        return env

    def run(self, *args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return warm.run(
            [*KIOSK, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env(),
            cwd=cwd or self.root,
            timeout=180,
            check=False,
        )

    def open(self) -> Ledger:
        return open_ledger(self.settings)

    def sql(self, *statements: str, drop_guards: bool = True) -> None:
        """Plain SQL on the ledger file, as an attacker with a sqlite3 shell would."""
        conn = sqlite3.connect(self.db)
        if drop_guards:
            for trigger in ("events_no_update", "events_no_delete"):
                conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
        conn.close()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Kiosk:
    """A configuration file and an empty data directory (no ledger yet)."""
    k = Kiosk(tmp_path / "site")
    k.config.parent.mkdir(parents=True)
    k.config.write_text('[kiosk]\nname = "kiosk-1"\n', encoding="utf-8")
    for name in ("KIOSK_DB_URL", "KIOSK_PEPPER", "KIOSK_PATHS__DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KIOSK_CONFIG_FILE", str(k.config))
    return k


@pytest.fixture(scope="session")
def initialised_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real `kiosk init` per test process (per xdist worker), kept read-only as a template."""
    k = Kiosk(tmp_path_factory.mktemp("initialised") / "site")
    k.config.parent.mkdir(parents=True)
    k.config.write_text('[kiosk]\nname = "kiosk-1"\n', encoding="utf-8")
    result = k.run("init")
    assert result.returncode == 0, result.stderr
    return k.root


@pytest.fixture
def kiosk(site: Kiosk, initialised_site: Path) -> Kiosk:
    """`site` after `kiosk init` (a SQLite ledger in the data directory): a copy of the files one real
    `kiosk init` wrote for the same configuration (ledger, pepper, checkpoint, log; none holds a path,
    the kiosk finds them from the configuration file's folder), so forty tests do not each pay for a
    migration in a subprocess."""
    shutil.copytree(initialised_site, site.root, dirs_exist_ok=True)
    return site


@dataclass
class Office:
    kiosk: Kiosk
    officer: StaffMember
    supervisor: StaffMember
    clerk: StaffMember
    clerk2: StaffMember
    cards: list[str]
    closed_session: int
    stocktake: int


@pytest.fixture
def office(kiosk: Kiosk) -> Office:
    """Staff, a delivery, a booked card, a closed safe session with a card issued, a started stocktake."""
    ledger = kiosk.open()

    def add(name: str, badge: str, role: Role, rank: int | None = None) -> StaffMember:
        return ledger.add_staff(
            name=name, badge=badge, employee_no=f"E-{badge}", role=role, rank=rank, pin=PINS[badge]
        )

    officer = add("保管 正子", "O001", Role.OFFICER, 0)
    supervisor = add("課長 三子", "S001", Role.SUPERVISOR)
    clerk = add("窓口 一郎", "C001", Role.CLERK)
    clerk2 = add("窓口 二郎", "C002", Role.CLERK)
    cards = ids(6)
    receive(ledger, cards)
    ledger.bind_rfid(cards[5], "E2000001")
    add_to_pick_list(ledger, cards[:1], clerk2)  # the booker does not take it out
    session = open_session(
        ledger, officer, clerk, required=DEFAULT_OPENING_CHECKLIST, confirmed=DEFAULT_OPENING_CHECKLIST
    )
    assert scan_in_session(ledger, session.id, cards[0], ScanMode.TAKE_OUT, clerk).ok
    assert scan_in_session(ledger, session.id, cards[0], ScanMode.HAND_OVER, clerk, witness=clerk2).ok
    close_session(
        ledger,
        session.id,
        officer,
        clerk,
        required=DEFAULT_CLOSING_CHECKLIST,
        confirmed=DEFAULT_CLOSING_CHECKLIST,
    )
    take = stocktake_ops.start(ledger, officer, clerk)
    stocktake_ops.record_scan(ledger, take.id, cards[1])
    ledger.engine.dispose()
    return Office(kiosk, officer, supervisor, clerk, clerk2, cards, session.id, take.id)
