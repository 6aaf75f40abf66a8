"""`kiosk due`, `kiosk cards notice-sent|reminder-sent|hold|release` and `kiosk disposal` in subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import load_settings
from kiosk.demo.seed import seed_demo
from kiosk.ledger.service import open_ledger
from tests import warm
from tests.ledger.helpers import ids

KIOSK = [str(Path(sys.executable).parent / "kiosk")]


@pytest.fixture(scope="module")
def demo_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A demo ledger seeded through seed_demo, and the environment that points `kiosk` at it."""
    tmp = tmp_path_factory.mktemp("demo")
    env = {
        **os.environ,
        "KIOSK_DB_URL": f"sqlite:///{tmp / 'ledger.sqlite3'}",
        "KIOSK_PATHS__PEPPER": str(tmp / "pepper"),
        "KIOSK_PATHS__DATA_DIR": str(tmp / "data"),
        "KIOSK_PATHS__LOGS": str(tmp / "log"),
        "KIOSK_CONFIG_FILE": str(tmp / "none.toml"),
    }
    env.pop("KIOSK_PEPPER", None)
    (tmp / "none.toml").write_text("# defaults only\n", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        ledger = open_ledger(load_settings(), create=True)
        seed_demo(ledger)
        ledger.engine.dispose()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return env


def _open_safe(env: dict[str, str]) -> None:
    """Open the safe at this kiosk (at the screen in real life): O001 and O002, checklist confirmed."""
    from kiosk.config import Settings
    from kiosk.desk import Desk

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        settings = load_settings()
        ledger = open_ledger(settings)
        desk = Desk(ledger, settings)
        officer, deputy = desk.sign_in("O001", "1111"), desk.sign_in("O002", "2222")
        desk.open_safe(officer, deputy, Settings().session.opening_checklist)
        ledger.engine.dispose()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def kiosk(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return warm.run(
        [*KIOSK, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_kiosk_due_on_the_demo_ledger_shows_every_list(demo_env: dict[str, str]) -> None:
    result = kiosk(demo_env, "due", "--json")
    assert result.returncode == 0, result.stderr
    lists = json.loads(result.stdout)
    assert lists["policy"] == "notice-2017"
    for name in ("reminders_due", "eligible", "held", "notice_unknown"):
        assert lists[name], f"{name} is empty on the demo ledger"
    assert {c["stage"] for c in lists["eligible"]} == {"eligible"}
    assert all(c["hold_reason"] for c in lists["held"])
    text = kiosk(demo_env, "due")
    assert "督促対象" in text.stdout
    assert (
        f"Eligible for cancellation and disposal (交付取りやめ・廃棄対象): {len(lists['eligible'])}"
        in text.stdout
    )


def test_notice_csv_is_all_or_nothing_and_every_bad_line_is_reported(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    lists = json.loads(kiosk(demo_env, "due", "--json").stdout)
    a, b = (c["management_id"] for c in lists["notice_unknown"][:2])
    (unknown,) = ids(1, start=4242)
    twelve = "".join(str(i % 10) for i in range(3, 15))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"management_id,date\n{a},2026-01-05\n{twelve},2026-01-05\n{b},2026-13-01\n", encoding="utf-8-sig"
    )
    result = kiosk(demo_env, "cards", "notice-sent", "--file", str(bad), "--operator", "O001", stdin="1111\n")
    assert result.returncode == 2
    assert "line 3: mynumber_refused" in result.stderr
    assert "line 4: not a calendar date" in result.stderr
    assert twelve not in result.stderr + result.stdout
    unknown_csv = tmp_path / "unknown.csv"
    unknown_csv.write_text(f"{a},2026-01-05\n{unknown},2026-01-05\n", encoding="utf-8")
    result = kiosk(
        demo_env, "cards", "notice-sent", "--file", str(unknown_csv), "--operator", "O001", stdin="1111\n"
    )
    assert result.returncode == 2
    assert f"line 2: {unknown} is not in the ledger" in result.stderr
    still = json.loads(kiosk(demo_env, "due", "--json").stdout)
    assert a in {c["management_id"] for c in still["notice_unknown"]}

    good = tmp_path / "good.csv"
    good.write_text(f"{a},2026-01-05\n{b},2026-01-06\n", encoding="utf-8")
    result = kiosk(
        demo_env, "cards", "notice-sent", "--file", str(good), "--operator", "O001", stdin="1111\n"
    )
    assert result.returncode == 0, result.stderr
    result = kiosk(demo_env, "cards", "reminder-sent", a, "--operator", "O001", stdin="1111\n")
    assert result.returncode == 0, result.stderr
    after = json.loads(kiosk(demo_env, "due", "--json").stdout)
    assert {a, b}.isdisjoint(c["management_id"] for c in after["notice_unknown"])
    assert b in {c["management_id"] for c in after["reminders_due"]}


def test_hold_and_release_on_the_command_line(demo_env: dict[str, str]) -> None:
    lists = json.loads(kiosk(demo_env, "due", "--json").stdout)
    mid = lists["reminders_due"][-1]["management_id"]
    refused = kiosk(demo_env, "cards", "hold", mid, "--reason", "入院", "--operator", "O001", stdin="9999\n")
    assert refused.returncode == 2
    assert "wrong_pin" in refused.stderr
    held = kiosk(demo_env, "cards", "hold", mid, "--reason", "長期入院", "--operator", "O001", stdin="1111\n")
    assert held.returncode == 0, held.stderr
    lists = json.loads(kiosk(demo_env, "due", "--json").stdout)
    assert mid in {c["management_id"] for c in lists["held"]}
    released = kiosk(demo_env, "cards", "release", mid, "--operator", "O001", stdin="1111\n")
    assert released.returncode == 0, released.stderr
    lists = json.loads(kiosk(demo_env, "due", "--json").stdout)
    assert mid in {c["management_id"] for c in lists["reminders_due"]}


def test_disposal_on_the_command_line_refuses_an_ineligible_card_and_disposes_with_two_people(
    demo_env: dict[str, str],
) -> None:
    lists = json.loads(kiosk(demo_env, "due", "--json").stdout)
    eligible = [c["management_id"] for c in lists["eligible"][:2]]
    held = lists["held"][0]["management_id"]
    refused = kiosk(demo_env, "disposal", "prepare", *eligible, held, "--operator", "O001", stdin="1111\n")
    assert refused.returncode == 2
    assert f"refused: {held}: on_hold" in refused.stderr

    prepared = kiosk(demo_env, "disposal", "prepare", *eligible, "--operator", "O001", stdin="1111\n")
    assert prepared.returncode == 0, prepared.stderr
    batch = prepared.stdout.split()[2].rstrip(":")
    approved = kiosk(demo_env, "disposal", "approve", batch, "--supervisor", "S001", stdin="5555\n")
    assert approved.returncode == 0, approved.stderr
    same = kiosk(
        demo_env,
        "disposal",
        "scan",
        batch,
        eligible[0],
        "--operator",
        "O001",
        "--witness",
        "O001",
        stdin="1111\n1111\n",
    )
    assert same.returncode == 2
    assert "different people" in same.stderr
    # Cards leave the safe only while it is open: without a safe session the scan is refused.
    closed = kiosk(
        demo_env,
        "disposal",
        "scan",
        batch,
        eligible[0],
        "--operator",
        "O001",
        "--witness",
        "O002",
        stdin="1111\n2222\n",
    )
    assert closed.returncode == 2
    assert "the safe is not open" in closed.stderr
    _open_safe(demo_env)
    scanned = kiosk(
        demo_env,
        "disposal",
        "scan",
        batch,
        *eligible,
        held,
        "--operator",
        "O001",
        "--witness",
        "O002",
        stdin="1111\n2222\n",
    )
    assert scanned.returncode == 1  # the held card is refused, the others go in
    assert scanned.stdout.count("OK ") == 2
    assert f"NG  {held}  not_in_batch" in scanned.stdout
    finished = kiosk(
        demo_env,
        "disposal",
        "finish",
        batch,
        "--method",
        "裁断",
        "--operator",
        "O001",
        "--witness",
        "O002",
        stdin="1111\n2222\n",
    )
    assert finished.returncode == 0, finished.stderr
    assert "disposed" in finished.stdout
    assert "保管 正子 and 保管 副男, method: 裁断" in finished.stdout
    # Times in the office's own zone, as on the certificate, which is numbered per fiscal year.
    show = kiosk(demo_env, "disposal", "show", batch)
    assert show.returncode == 0, show.stderr
    assert "UTC" not in show.stdout
    assert show.stdout.count(" JST by ") == 3  # prepared, approved, disposed
    assert "certificate: 令和" in show.stdout
    shown = kiosk(demo_env, "cards", "show", eligible[0])
    assert "card_disposed" in shown.stdout
    assert "card_notice_sent" in shown.stdout  # the history stays whole
    assert kiosk(demo_env, "verify").returncode == 0
