"""廃棄 on the real app, from preparation to the printed certificate: prepared from the eligible list,
the preparer refused as approver by the core, approved by another supervisor, the cards scanned out
inside an open safe session by two people, finished with the method, and the 廃棄証明書 (令和8年度 第1号,
the office and the certifying post) and the list printed on a real CUPS queue at once."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from kiosk.config import Settings
from kiosk.domain.events import EventKind
from kiosk.domain.staff import Role
from kiosk.domain.status import CardStatus
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.choose import ChooseModal, ConfirmModal
from kiosk.tui.screens.dialogs import ChecklistModal
from kiosk.tui.screens.disposal import DisposalScreen
from kiosk.tui.screens.office import OfficeScreen
from kiosk.tui.screens.session import SessionScreen
from kiosk.tui.screens.signin import SignInModal
from tests.conftest import wait_printed
from tests.ledger.helpers import ids
from tests.retention.test_disposal import make_eligible
from tests.tui.conftest import Office, devices_online, sign_in, verdict, wait_for

OFFICE = "テスト市 市民課"
POST = "市民課長"


def pdf_text(path: Path) -> str:
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=60
    )
    return "".join(out.stdout.split())


async def badge_and_pin(pilot: Pilot[Any], office: Office, badge: str, pin: str) -> None:
    app = pilot.app
    office.scan(badge)
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, SignInModal) and app.screen.query_one("#badge", Input).value == badge,
    )
    modal = app.screen
    await pilot.press(*pin, "enter")
    await wait_for(pilot, lambda: app.screen is not modal)


async def test_a_disposal_from_preparation_to_the_printed_certificate(
    office: Office, tmp_path: Path, cups_queue: str
) -> None:
    ledger = office.ledger
    cards = ids(3, start=800)
    make_eligible(ledger, office.clock, cards, [])
    ledger.add_staff(name="次長 四郎", badge="S002", employee_no="E-S002", role=Role.SUPERVISOR, pin="6666")
    settings = Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "var")},
            "printers": {"reports": cups_queue},
            "reports": {"office_name": OFFICE, "certifying_post": POST},
        }
    )
    app: KioskApp = office.make(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await sign_in(pilot, office, "S001")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, DisposalScreen))
        screen: Any = app.screen
        await wait_for(pilot, lambda: screen.loads >= 1)

        # Prepare from today's eligible list (the signed-in supervisor prepares).
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        body = str(app.screen.query_one("#confirm-body", Static).content)
        assert all(mid in body for mid in cards)
        await pilot.press("enter")
        await wait_for(pilot, lambda: verdict(app).code == "batch_prepared")
        await wait_for(pilot, lambda: bool(screen.batches) and screen.batches[0].state == "prepared")
        batch_id = screen.batches[0].id
        assert "作成済（承認待ち）" in str(screen.query_one("#disposal-detail", Static).content)

        # The preparer cannot approve: the core refuses, and says so in Japanese.
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "S001")
        await wait_for(pilot, lambda: verdict(app).code == "not_allowed")
        assert "作成した人は承認できません" in verdict(app).text_shown
        refused = ledger.events(limit=1)[0]
        assert refused.kind == "refused"
        assert json.loads(refused.payload)["reason"] == "same_person"
        assert ledger.events(limit=1)[0].kind == "refused"
        # Another supervisor approves.
        await pilot.press("f3")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await badge_and_pin(pilot, office, "S002", "6666")
        await wait_for(pilot, lambda: verdict(app).code == "batch_approved")
        await wait_for(pilot, lambda: screen.batches[0].state == "approved")

        # No scans while the safe is locked.
        await pilot.press("f4")
        await wait_for(pilot, lambda: verdict(app).code == "no_session")
        assert "保管庫を開いてください" in verdict(app).text_shown

        # An officer signs in (a badge scan) and opens the safe from here with two people: the safe's
        # screen comes up with the disposal screen over it.
        await sign_in(pilot, office, "O001")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistModal))
        await pilot.press("1", "2", "3", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DisposalScreen) and app.screen is not screen)
        assert isinstance(app.screen_stack[-2], SessionScreen)
        assert app.session is not None
        first = screen
        screen = app.screen
        await wait_for(pilot, lambda: screen.loads >= 1 and bool(screen.batches))
        await pilot.press("f4")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: screen.scanning is not None)
        for n, mid in enumerate(cards, start=1):
            office.scan(mid)
            await wait_for(
                pilot, lambda mid=mid: verdict(app).code == "cancelled" and mid in verdict(app).text_shown
            )
            await wait_for(pilot, lambda n=n: len(screen.batches[0].scanned) == n)
        office.scan(cards[0])  # again: already in the batch
        await wait_for(pilot, lambda: verdict(app).code == "already_scanned")

        # Finish: the method from the list, two people; the papers print at once.
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, ChooseModal))
        labels = [label for label, _ in app.screen.choices]  # type: ignore[attr-defined]
        assert labels[:2] == ["裁断", "溶解"]
        assert "その他" in labels[2]
        await pilot.press("enter")  # 裁断
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: len(screen.filed) == 2, timeout=60)
        assert verdict(app).code == "printed"
        listing, certificate = screen.filed
        assert all(f.printed and f.queue == cups_queue for f in screen.filed)
        assert certificate.pdf.name == "disposal-certificate-R8-1.pdf"
        assert listing.pdf.parent == certificate.pdf.parent == tmp_path / "var" / "reports"
        await wait_for(pilot, lambda: screen.batches[0].state == "disposed")
        assert "令和8年度 第1号" in str(screen.query_one("#disposal-batches").get_row_at(0)[4])
        # Esc goes to the safe's screen (to close it); closing it comes back to the first disposal screen.
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInModal))
        await sign_in(pilot, office, "C001")
        await wait_for(pilot, lambda: isinstance(app.screen, ChecklistModal))
        await pilot.press("1", "2", "3", "enter")
        await wait_for(pilot, lambda: app.screen is first)
        assert app.session is None
        await wait_for(pilot, lambda: first.batches[0].state == "disposed")

    for f in (listing, certificate):
        assert f.job is not None
        wait_printed(cups_queue, f.job)
    text = pdf_text(certificate.pdf)
    for words in ("廃棄証明書", "令和8年度第1号", OFFICE.replace(" ", ""), POST, "裁断", "次長四郎", *cards):
        assert words in text, words
    assert "日本時間" in text
    listed = pdf_text(listing.pdf)
    assert all(mid in listed for mid in cards)
    assert "令和8年度第1号" in listed
    for mid in cards:
        card = ledger.card(mid)
        assert card is not None
        assert card.status is CardStatus.DISPOSED
    finished = [e for e in ledger.events() if e.kind == EventKind.DISPOSAL_FINISHED]
    assert len(finished) == 1
    assert json.loads(finished[0].payload)["batch"] == batch_id
