"""The My Number guard on every input path: a 12-digit value is refused with a reason code and leaves
no trace in the database (and its WAL), the logs, or anything printed.

Paths: a serial scanner, a keyboard wedge, an evdev wedge, the webcam (a 12-digit symbol under the
camera), a UHF tag ID, typed entry (ASCII, full-width, spaced), a stocktake scan, CSV imports (delivery,
pick list, notice/reminder dates) and the configuration. The value is built at run time.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from drivers.errors import FrameError
from drivers.rfid import normalise_uid
from kiosk.config import ConfigError, load_settings
from kiosk.domain.delivery import DeliveryRejected, parse_delivery
from kiosk.domain.retention import DatedListRejected, parse_dated_ids
from kiosk.domain.stocktake import LocationError, parse_location_label
from tests.reliability.helpers import json_lines, kiosk

VALUE = "".join(str((3 * i + 1) % 10) for i in range(12))
FULL_WIDTH = "".join(chr(ord(c) - ord("0") + ord("０")) for c in VALUE)
SPACED = f"{VALUE[:4]} {VALUE[4:8]} {VALUE[8:]}"
HYPHENED = f"{VALUE[:4]}-{VALUE[4:8]}-{VALUE[8:]}"
FORMS = (VALUE, FULL_WIDTH, SPACED, HYPHENED)


def traces(data: bytes) -> list[str]:
    """Every form of the value found in `data` (UTF-8 or UTF-16)."""
    return [f for f in FORMS if f.encode("utf-8") in data or f.encode("utf-16-le") in data]


def everything_under(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


def step(action: str, **fields: str) -> str:
    return f'[[steps]]\naction = "{action}"\n' + "".join(f'{k} = "{v}"\n' for k, v in fields.items())


REFUSED = "rejected:mynumber_refused"


def scenario(tmp: Path) -> Path:
    """Every device kind the runner drives presents the value, in a session and in a stocktake."""
    text = 'name = "guard"\ncabinet = { size = 8, seed = 1 }\n'
    for name, kind, options in (
        ("serial", "serial", '{ aim = "]C0" }'),
        ("wedge", "keyboard", "{}"),
        ("evdev", "evdev", "{}"),
        ("webcam", "camera", "{ fps = 10.0 }"),
    ):
        text += f'[[devices]]\nname = "{name}"\nkind = "{kind}"\noptions = {options}\n'
    text += step("open_session", operator="O001", witness="C001")
    for device in ("serial", "wedge", "evdev", "webcam"):
        text += step("scan", device=device, code=VALUE, verdict=REFUSED)
    for form in FORMS:
        text += step("enter", text=form, verdict="refused_input:mynumber_refused")
    text += step("close_session", operator="O002", witness="C001", verdict="session_closed")
    text += step("start_stocktake", operator="O001", witness="C002")
    text += step("scan", device="serial", code=VALUE, verdict=REFUSED)
    text += step("enter", text=FULL_WIDTH, verdict="refused:mynumber_refused")
    path = tmp / "guard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_device_and_typed_entry_refuse_it_and_nothing_keeps_it(tmp_path: Path) -> None:
    path = scenario(tmp_path)
    run = kiosk(tmp_path, "-v", "sim", "run", str(path), "--json")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    verdicts, summary = json_lines(run.stdout)
    refused = [v for v in verdicts if v["detail"] == "mynumber_refused"]
    assert len(refused) == 4 + len(FORMS) + 2
    assert all(not v["ok"] and v["seq"] is not None for v in refused)  # on record, by reason code
    path.unlink()  # the scenario file itself holds the value, on purpose
    assert traces(run.stdout.encode() + run.stderr.encode()) == []
    stored = everything_under(tmp_path / "var")
    assert b"mynumber_refused" in stored
    assert traces(stored) == []
    assert summary["ok"] is True


def test_a_uhf_tag_id_of_twelve_digits_is_dropped_by_the_reader(tmp_path: Path) -> None:
    path = tmp_path / "uhf.toml"
    path.write_text(
        'name = "uhf-guard"\ncabinet = { size = 4, seed = 1 }\n'
        '[[devices]]\nname = "uhf"\nkind = "uhf"\n'
        '[[steps]]\naction = "start_stocktake"\noperator = "O001"\nwitness = "C001"\n'
        f'[[steps]]\naction = "scan"\ndevice = "uhf"\ncode = "{VALUE}"\n'
        '[[steps]]\naction = "inventory"\ndevice = "uhf"\nverdict = "rejected:mynumber_refused"\n',
        encoding="utf-8",
    )
    run = kiosk(tmp_path, "-v", "sim", "run", str(path), "--json")
    path.unlink()
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert traces(run.stdout.encode() + run.stderr.encode()) == []
    assert traces(everything_under(tmp_path / "var")) == []


@pytest.mark.parametrize("form", FORMS)
def test_csv_imports_and_labels_refuse_it_without_repeating_it(form: str) -> None:
    with pytest.raises(DeliveryRejected) as delivery:
        parse_delivery(f"management_id,kind\n{form},mynumber_card\n")
    assert traces(str(delivery.value).encode() + "\n".join(delivery.value.problems).encode()) == []
    with pytest.raises(DatedListRejected) as dated:
        parse_dated_ids([f"{form},2026-04-01"], default=None, today=date(2026, 4, 2))
    assert traces("\n".join(dated.value.problems).encode()) == []
    with pytest.raises(LocationError) as label:
        parse_location_label(f"L:{form}")
    assert traces(str(label.value).encode()) == []
    with pytest.raises(FrameError) as uid:
        normalise_uid(form, "decimal")
    assert uid.value.reason == "mynumber_refused"
    assert traces(str(uid.value).encode()) == []


def test_pick_list_csv_import_refuses_it_on_record_as_a_reason_code(tmp_path: Path) -> None:
    from kiosk.ledger.engine import make_engine, upgrade
    from kiosk.ledger.service import Ledger
    from kiosk.sim.runner import seed
    from kiosk.tui.screens.pick_list import booking_ids
    from simulator.cabinet import Cabinet
    from tests.ledger_ops import add_to_pick_list, pick_list

    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p")
    cabinet = Cabinet.generate(8, seed=1)
    seed(ledger, cabinet)
    clerk = ledger.staff_by_badge("C001")
    assert clerk is not None
    ids = booking_ids(f"management_id,name\n{VALUE},x\n{FULL_WIDTH},y\n{cabinet.ids()[7]},z\n")
    added, problems = add_to_pick_list(ledger, ids, clerk)
    assert added == [cabinet.ids()[7]]
    assert len(problems) == 2
    assert traces("\n".join(str(p) for p in problems).encode()) == []
    assert cabinet.ids()[7] in pick_list(ledger)
    engine.dispose()
    assert traces(everything_under(tmp_path)) == []


def test_configuration_refuses_it_without_repeating_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[kiosk]\nname = "{SPACED}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as from_file:
        load_settings(cfg)
    assert traces(str(from_file.value).encode()) == []
    monkeypatch.setenv("KIOSK_REPORTS__OFFICE_NAME", VALUE)
    with pytest.raises(ConfigError) as from_env:
        load_settings(None)
    assert traces(str(from_env.value).encode()) == []
    assert "individual number" in str(from_env.value)
    assert os.environ["KIOSK_REPORTS__OFFICE_NAME"] == VALUE  # (the test's own doing)
