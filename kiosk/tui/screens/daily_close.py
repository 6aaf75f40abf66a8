"""日次締め (the daily close): the day's counts (受払), then a responsible officer closes the day.

The screen reads the day's paper (`kiosk.reports.daily.daily_close`) on the reader thread and shows its
受払 table, its check and the head it will print. F5 asks for the responsible officer's badge and PIN,
then the core (`Desk.close_day`, the same command as `kiosk report daily --operator`) verifies the whole
ledger, makes a backup, anchors that head and records the close, on the ledger thread while the screen
says 処理中. The 日次締め報告書 is then filed in the reports folder and printed. F3/F4 choose the day
(a previous office day that was never closed is closed the same way).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kiosk.desk import NotAllowed, StorageError
from kiosk.desk.views import HeadMark
from kiosk.domain.card_state import OFFICE_TZ, office_date
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from kiosk.desk.closing import DayClosed, LastClose
    from kiosk.reports.daily import DailyClose
    from kiosk.reports.printing import Filed
    from kiosk.tui.app import KioskApp

log = logging.getLogger(__name__)


async def open_daily_close(app: KioskApp) -> None:
    """The office menu's entry (F6): someone signs in to look; the close itself asks for an officer."""
    if await app.ensure_user() is not None:
        await app.push_screen(DailyCloseScreen())


def last_close_line(app: KioskApp, last: LastClose | None, missing: date | None) -> str:
    """The home screen's line: when the last close ran, and a warning when an office day was not closed."""
    t = app.t
    lines = []
    if missing is not None:
        lines.append("⚠ " + t("close.missing", day=missing.isoformat()))
    if last is not None:
        at = last.at.astimezone(OFFICE_TZ)
        lines.append(t("close.last", day=last.day.isoformat(), at=f"{at:%m/%d %H:%M}", name=last.closed_by))
    elif missing is not None:
        lines.append(t("close.never"))
    return "\n".join(lines)


class DailyCloseScreen(KioskScreen):
    """The day's 受払 and the close: F5 closes (officer's badge and PIN), F3/F4 the day before/after."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f3", "day(-1)", "close.key.previous"),
        Binding("f4", "day(1)", "close.key.next"),
        Binding("f5", "close_day", "close.key.close"),
    ]

    def __init__(self, day: date | None = None) -> None:
        super().__init__()
        self.day = day
        self.data: DailyClose | None = None
        self.closed: DayClosed | None = None
        self.filed: Filed | None = None  # the paper of the close just run
        self.busy = False
        self.loads = 0  # questions asked; only the newest answer is shown

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('close.title')}"

    def compose_body(self) -> ComposeResult:
        t = self.kiosk.t
        yield Static(t("loading"), id="close-day")
        yield DataTable(id="close-table", cursor_type="none", zebra_stripes=True)
        yield Static("", id="close-check")
        yield Static("", id="close-head")
        yield Static("", id="close-state")
        yield VerdictPanel(id="verdict")
        yield Static(t("close.hint"), classes="hint")

    def on_mount(self) -> None:
        if self.day is None:
            self.day = office_date(self.kiosk.clock())
        self.verdict.clear(self.kiosk.t("close.hint"))
        self.load()

    def load(self) -> None:
        """Read the day's paper on the reader thread (and whether it was closed already)."""
        from kiosk.reports.daily import daily_close

        app = self.kiosk
        desk, day, office = app.desk, self.day, app.settings.reports.office_name
        assert day is not None
        self.loads += 1
        ticket = self.loads
        self.data = None
        self.query_one("#close-day", Static).update(plain(app.t("close.day", day=day.isoformat())))
        self.query_one("#close-state", Static).update(plain(app.t("loading")))

        def read() -> tuple[DailyClose, LastClose | None]:
            return daily_close(desk, day, office=office), desk.last_close()

        app.submit(read, lambda got: self._loaded(ticket, *got), read=True, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, StorageError):
            self.kiosk.ledger_failed(exc, reading=True)
        if self.is_mounted:
            self.query_one("#close-state", Static).update(plain("✖ " + self.kiosk.t("error.ledger_read")))

    def _loaded(self, ticket: int, data: DailyClose, last: LastClose | None) -> None:
        from kiosk.reports.daily import COLUMNS, check_line

        if ticket != self.loads or not self.is_mounted:
            return
        t = self.kiosk.t
        self.data = data
        table = self.query_one("#close-table", DataTable)
        table.clear(columns=True)
        table.add_columns(t("close.col.kind"), *COLUMNS, t("close.col.check"))
        for b in data.balances:
            ok = t("close.ok") if b.passed else t("close.ng")
            table.add_row(*cells(b.label, *(b.values[c] for c in COLUMNS), ok))
        self.query_one("#close-check", Static).update(plain(check_line(data)))
        head = t("close.head", seq=data.head_seq, hash=data.head_hash[:16], events=data.events_today)
        self.query_one("#close-head", Static).update(plain(head))
        state = self.query_one("#close-state", Static)
        if data.head_seq == 0:
            state.update(plain(t("close.empty")))
        elif last is not None and last.day == data.day:
            at = last.at.astimezone(OFFICE_TZ)
            state.update(plain(t("close.already", at=f"{at:%H:%M}", name=last.closed_by)))
        else:
            state.update(plain(t("close.ready")))

    def action_day(self, step: int) -> None:
        if self.busy or self.day is None:
            return
        wanted = self.day + timedelta(days=step)
        if wanted > office_date(self.kiosk.clock()):
            return  # a day that has not ended is closed at most today
        self.day = wanted
        self.load()

    @work(exclusive=True, group="flow")
    async def action_close_day(self) -> None:
        """Ask the officer, then verify, back up, anchor and record on the ledger thread, then print."""
        from kiosk.desk.closing import CloseRefused
        from kiosk.desk.integrity import BackupError
        from kiosk.reports.daily import write_daily_pdf
        from kiosk.reports.printing import Paper
        from kiosk.tui.printing import file_and_print
        from kiosk.tui.screens.signin import SignInModal

        app, data = self.kiosk, self.data
        if self.busy or data is None:
            return
        t = app.t
        if data.head_seq == 0:
            app.show_verdict("info", t("close.empty"))
            return
        officer = await app.push_screen_wait(SignInModal("close.officer"))
        if officer is None:
            return
        state = self.query_one("#close-state", Static)
        self.busy = True
        state.update(plain("⏳ " + t("close.working")))
        head = HeadMark(data.head_seq, data.head_hash)
        try:
            closed = await app.call(lambda: app.desk.close_day(data.day, officer, head))
        except NotAllowed as exc:
            state.update(plain("✖ " + t("close.refused")))
            app.show_verdict("not_allowed", t("close.need_officer") if exc.reason == "role" else str(exc))
            return
        except (BackupError, CloseRefused, ValueError) as exc:  # ValueError: a refused value, never shown
            log.error("the daily close of %s failed: %s", data.day, exc)
            state.update(plain("✖ " + t("close.failed")))
            app.show_verdict("ledger_error", t("close.failed_detail"))
            return
        except StorageError:
            state.update(plain("✖ " + t("close.failed")))
            app.show_verdict("ledger_error", t("error.ledger"))
            return
        finally:
            self.busy = False
        self.closed = closed
        state.update(
            plain(
                "✔ "
                + t(
                    "close.done",
                    name=closed.closed_by,
                    events=closed.verified_events,
                    backup=str(closed.backup),
                    anchor=closed.anchor[:24] + "…",
                )
            )
        )
        font = app.settings.reports.font_file
        self.filed = await file_and_print(
            app,
            Paper.DAILY_CLOSE,
            data.day.isoformat(),
            lambda path: write_daily_pdf(data, path, font_file=font),
            title=f"daily-close {data.day.isoformat()}",
        )

    def action_back(self) -> None:
        if not self.busy:
            self.app.pop_screen()
