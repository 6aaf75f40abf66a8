"""帳票の印刷 (office menu F9): each paper is filed in the reports folder and printed on a real CUPS
queue — the card register, the 管理簿 and the access log of a period, the 督促 list, a chosen stocktake's
report and label sheets for cards scanned at the kiosk."""

from __future__ import annotations

import subprocess
from pathlib import Path

from textual.widgets import DataTable, Static

from kiosk.config import Settings
from kiosk.reports.printing import Paper
from kiosk.tui.screens.office import OfficeScreen
from kiosk.tui.screens.papers import LabelsModal, PapersScreen, PeriodModal, StocktakePickModal
from tests.conftest import wait_printed
from tests.tui.conftest import CARDS, Office, devices_online, screen_text, sign_in, verdict, wait_for


def pdf_text(path: Path) -> str:
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return "".join(text.split())


async def test_every_paper_of_the_menu_is_filed_and_printed(
    office: Office, tmp_path: Path, cups_queue: str
) -> None:
    settings = Settings.model_validate(
        {
            "paths": {"data_dir": str(tmp_path / "var")},
            "printers": {"reports": cups_queue, "labels": cups_queue},
        }
    )
    reports = tmp_path / "var" / "reports"
    app = office.make(settings=settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await devices_online(pilot, app)
        await sign_in(pilot, office, "C001")
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OfficeScreen))
        assert "F9  帳票の印刷" in str(app.screen.query_one("#office-jobs", Static).content)
        await pilot.press("f9")
        await wait_for(pilot, lambda: isinstance(app.screen, PapersScreen))
        screen = app.screen
        assert isinstance(screen, PapersScreen)
        menu = str(screen.query_one("#papers-list", Static).content)
        for words in ("管理簿", "カード台帳", "サインイン記録", "督促リスト", "点検報告書", "管理IDラベル"):
            assert words in menu

        async def printed(n: int) -> Path:
            await wait_for(pilot, lambda: len(screen.filed) == n, timeout=60)
            filed = screen.filed[-1]
            assert filed.printed, filed
            assert filed.job is not None
            assert filed.queue == cups_queue
            assert cups_queue in verdict(app).text_shown
            wait_printed(cups_queue, filed.job)
            assert filed.pdf.parent == reports
            return filed.pdf

        await pilot.press("f3")  # the card register of the whole cabinet
        register = await printed(1)
        assert register.name == f"{Paper.CARD_REGISTER.value}-2026-04-01.pdf"
        text = pdf_text(register)
        assert "カード台帳" in text
        assert all(mid in text for mid in CARDS)
        assert "確認欄" in text

        await pilot.press("f2")  # the 管理簿 of a period (today, as offered)
        await wait_for(pilot, lambda: isinstance(app.screen, PeriodModal))
        await pilot.press("enter", "enter")
        book = await printed(2)
        assert book.name == f"{Paper.LEDGER_BOOK.value}-2026-04-01.pdf"
        text = pdf_text(book)
        assert "管理簿2026年04月01日" in text
        assert "確認者（氏名）" in text
        assert "サインイン" not in text  # in its own record

        await pilot.press("f4")  # the access log of the same period
        await wait_for(pilot, lambda: isinstance(app.screen, PeriodModal))
        await pilot.press("enter", "enter")
        text = pdf_text(await printed(3))
        assert "サインイン記録" in text
        assert "窓口一郎" in text

        await pilot.press("f5")  # today's 督促 list
        text = pdf_text(await printed(4))
        assert "督促" in text

        await pilot.press("f6")  # no stocktake on this ledger yet: said so, nothing filed
        await wait_for(pilot, lambda: "点検の記録がありません" in verdict(app).text_shown)
        assert len(screen.filed) == 4
        officer, clerk = office.ledger.staff_by_badge("O001"), office.ledger.staff_by_badge("C002")
        assert officer is not None
        assert clerk is not None
        started = app.desk.stocktake_start(officer, clerk)  # a stocktake under way: its report so far
        await pilot.press("f6")
        await wait_for(pilot, lambda: isinstance(app.screen, StocktakePickModal))
        assert f"第{started.id}回" in str(app.screen.query_one(DataTable).get_row_at(0)[0])
        await pilot.press("enter")
        report = await printed(5)
        assert report.name == f"{Paper.STOCKTAKE_REPORT.value}-{started.id}.pdf"
        assert "点検" in pdf_text(report)

        await pilot.press("f7")  # labels for cards scanned here
        await wait_for(pilot, lambda: isinstance(app.screen, LabelsModal))
        modal = app.screen
        assert isinstance(modal, LabelsModal)
        for mid in (CARDS[0], CARDS[1], CARDS[0]):
            office.scan(mid)
        await wait_for(pilot, lambda: len(modal.ids) == 2 and "すでに読み取りました" in screen_text(app))
        await pilot.press("f5")
        labels = await printed(6)
        assert labels.name == f"{Paper.LABELS.value}-cards-2.pdf"
        text = pdf_text(labels)
        assert CARDS[0] in text
        assert CARDS[1] in text
