"""受領 on the real app: a short delivery counted in from a USB stick's list (one card missing, one not
on the list, one scanned twice), named on the screen and recorded with its difference only when two
people confirm; and a returned notification card received by a scan, with its label printed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from kiosk.config import Settings
from kiosk.domain.status import CardKind, CardStatus
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.choose import ChooseModal, ConfirmModal
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.office import OfficeScreen
from kiosk.tui.screens.receipt import ReceiptScreen
from kiosk.tui.screens.signin import SignInModal
from tests.conftest import wait_printed
from tests.ledger.helpers import ids
from tests.tui.conftest import Office, devices_online, sign_in, verdict, wait_for


def office_settings(tmp_path: Path, **printers: str) -> Settings:
    return Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "var"), "imports": [str(tmp_path / "usb")]},
            "printers": printers,
        }
    )


async def open_receipt(pilot: Pilot[Any], office: Office) -> ReceiptScreen:
    app: Any = pilot.app
    await devices_online(pilot, app)
    await sign_in(pilot, office, "O001")
    await pilot.press("f8")
    await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
    assert "受領" in str(app.screen.query_one("#office-jobs", Static).content)
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(app.screen, ReceiptScreen))
    return app.screen  # type: ignore[no-any-return]


async def type_entry(pilot: Pilot[Any], text: str) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: isinstance(app.screen, EntryModal))
    modal = app.screen
    modal.query_one("#entry", Input).value = text
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.screen is not modal)


async def test_a_short_delivery_is_named_and_recorded_with_its_difference(
    office: Office, tmp_path: Path
) -> None:
    a, b, c, missing, extra = ids(5, start=600)
    usb = tmp_path / "usb" / "JLIS"
    usb.mkdir(parents=True)
    # As Japanese Excel saves it: CP932, Japanese headers, a column we do not read.
    text = "管理ID,種別,備考\r\n" + "".join(f"{m},個人番号カード,\r\n" for m in (a, b, c, missing))
    (usb / "納品一覧.csv").write_bytes(text.encode("cp932"))
    (tmp_path / "usb" / "memo.txt").write_text("not a list")
    app: KioskApp = office.make(settings=office_settings(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_receipt(pilot, office)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal))
        chooser: Any = app.screen
        names = [f.name for _, f in chooser.choices]
        assert "memo.txt" not in names
        for _ in range(names.index("納品一覧.csv")):
            await pilot.press("down")
        await pilot.press("enter")
        await type_entry(pilot, "B-2026-12")
        await type_entry(pilot, "4")  # the count on the delivery slip
        await wait_for(pilot, lambda: screen.check is not None)
        counts = str(screen.query_one("#receipt-counts", Static).content)
        assert "納品書 4 枚" in counts
        assert "一覧 4 枚" in counts

        for mid, code in (
            (a, "rc_listed"),
            (b, "rc_listed"),
            (extra, "rc_extra"),
            (b, "rc_again"),
            (c, "rc_listed"),
        ):
            n = len(screen.check.scans)  # type: ignore[union-attr]
            office.scan(mid)
            await wait_for(pilot, lambda n=n: len(screen.check.scans) == n + 1)  # type: ignore[union-attr, misc]
            assert verdict(app).code == code
            assert mid in verdict(app).text_shown
        # The screen names each difference in its column.
        assert missing in str(screen.query_one("#receipt-missing", Static).content)
        assert extra in str(screen.query_one("#receipt-extra", Static).content)
        assert b in str(screen.query_one("#receipt-twice", Static).content)
        assert a not in str(screen.query_one("#receipt-missing", Static).content)
        head = office.ledger.head()
        assert office.ledger.card(a) is None  # nothing is written before two people confirm
        # Esc with a count under way asks first; Esc again stays, the count intact.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen)
        assert len(screen.check.scans) == 5  # type: ignore[union-attr]

        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = str(app.screen.query_one("#confirm-body", Static).content)
        for words in (missing, extra, b, "不足", "一覧にないカード", "二度読み", "相違"):
            assert words in body, words
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        assert office.ledger.head() == head
        await sign_in(pilot, office, "C001")  # the witness
        await wait_for(pilot, lambda: verdict(app).code == "received_diff")
        assert "受領を記録しました" in verdict(app).text_shown
        assert screen.check is None

    ledger = office.ledger
    for mid in (a, b, c):
        card = ledger.card(mid)
        assert card is not None
        assert card.status is CardStatus.IN_SAFE
        assert card.batch == "B-2026-12"
    assert ledger.card(missing) is None
    assert ledger.card(extra) is None
    event = ledger.events(limit=1)[0]
    assert event.kind == "delivery_discrepancy"
    officer, witness = ledger.staff_by_badge("O001"), ledger.staff_by_badge("C001")
    assert officer is not None
    assert witness is not None
    assert (event.actor_id, event.witness_id) == (officer.id, witness.id)
    payload = json.loads(event.payload)
    assert payload["missing"] == [missing]
    assert payload["extra"] == [extra]
    assert payload["duplicates"] == [b]
    assert (payload["slip"], payload["listed"], payload["scanned"], payload["received"]) == (4, 4, 4, 3)
    received = [e for e in ledger.events() if e.kind == "batch_received"][-1]
    assert json.loads(received.payload) == {"batch": "B-2026-12", "count": 3}


async def test_a_returned_notification_card_is_received_by_a_scan_and_its_label_printed(
    office: Office, tmp_path: Path, cups_queue: str
) -> None:
    (mid,) = ids(1, start=700)
    app: KioskApp = office.make(settings=office_settings(tmp_path, labels=cups_queue))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_receipt(pilot, office)
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen.returned_mode)
        assert "返送" in str(screen.query_one("#receipt-mode", Static).content)
        office.scan(mid)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = str(app.screen.query_one("#confirm-body", Static).content)
        assert mid in body
        assert "通知カード" in body
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "O002")
        await wait_for(pilot, lambda: bool(screen.filed), timeout=60)
        filed = screen.filed[0]
        assert verdict(app).code == "printed"
        assert filed.queue == cups_queue
        assert filed.job is not None
        assert filed.pdf.parent == tmp_path / "var" / "reports"
        assert mid in filed.pdf.name
    wait_printed(cups_queue, filed.job)
    label = subprocess.run(
        ["pdftotext", str(filed.pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert mid in label
    card = office.ledger.card(mid)
    assert card is not None
    assert card.kind == CardKind.NOTIFICATION_CARD.value
    assert card.status is CardStatus.IN_SAFE
    second = office.ledger.staff_by_badge("O002")
    assert second is not None
    assert office.ledger.events(card_id=mid)[0].witness_id == second.id


async def test_a_bad_delivery_list_is_refused_in_japanese_and_nothing_is_counted(
    office: Office, tmp_path: Path
) -> None:
    (good,) = ids(1, start=720)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)  # a wrong check digit
    usb = tmp_path / "usb"
    usb.mkdir()
    (usb / "delivery.csv").write_text(
        f"management_id,kind\n{good},mynumber_card\n{bad},mynumber_card\n{good},ふつうのカード\n",
        encoding="utf-8",
    )
    app: KioskApp = office.make(settings=office_settings(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_receipt(pilot, office)
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal))
        names = [f.name for _, f in app.screen.choices]  # type: ignore[attr-defined]
        for _ in range(names.index("delivery.csv")):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: verdict(app).code == "refused_input")
        shown = verdict(app).text_shown
        assert "読み込めません（2 件の問題）" in shown
        assert "3 行目: チェックディジットが合いません" in shown
        assert "4 行目: 種別は「個人番号カード」か「通知カード」です。" in shown
        assert "line" not in shown
        assert bad not in shown
        assert screen.check is None
        assert isinstance(app.screen, ReceiptScreen)
