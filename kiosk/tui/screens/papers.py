"""帳票の印刷 (the office menu's F9): every paper of the office, filed as a PDF and printed.

One function key per paper: the 管理簿 of a period, the card register of the whole cabinet (カード台帳),
the access log of a period (サインイン記録), today's 督促 list, the report of a chosen stocktake, and label
sheets for cards scanned here. Each is read and written on the ledger thread and goes through
`kiosk.tui.printing.file_and_print`, which says whether it printed and where the PDF is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from kiosk.desk import StorageError
from kiosk.domain.card_state import OFFICE_TZ, office_date
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.reports.printing import Paper
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.base import KioskModal, KioskScreen
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from kiosk.desk.registers import StocktakeLine
    from kiosk.reports.printing import Filed
    from kiosk.tui.app import KioskApp

log = logging.getLogger(__name__)

# (key, i18n key of the paper's name), in the order of the menu.
PAPERS = (
    ("f2", "papers.ledger_book"),
    ("f3", "papers.card_register"),
    ("f4", "papers.access_log"),
    ("f5", "papers.reminders"),
    ("f6", "papers.stocktake"),
    ("f7", "papers.labels"),
)


async def open_papers(app: KioskApp) -> None:
    """The office menu's entry (F9): someone signs in first, as for every office job."""
    if await app.ensure_user() is not None:
        await app.push_screen(PapersScreen())


def period_subject(start: date, end: date) -> str:
    # Letters between the two dates: the My Number guard reads a run of 12 digits across separators.
    return start.isoformat() if start == end else f"{start.isoformat()}-to-{end.isoformat()}"


class PapersScreen(KioskScreen):
    """Choose a paper by its function key; it is filed and printed. Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f2", "ledger_book", "papers.key.ledger_book"),
        Binding("f3", "card_register", "papers.key.card_register"),
        Binding("f4", "access_log", "papers.key.access_log"),
        Binding("f5", "reminders", "papers.key.reminders"),
        Binding("f6", "stocktake", "papers.key.stocktake"),
        Binding("f7", "labels", "papers.key.labels"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filed: list[Filed] = []  # every paper filed from this screen, in order
        self.busy = False

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('papers.title')}"

    def compose_body(self) -> ComposeResult:
        t = self.kiosk.t
        lines = [f"  {key.upper()}  {t(name)}" for key, name in PAPERS]
        yield Static(plain("\n".join(lines)), id="papers-list")
        yield VerdictPanel(id="verdict")
        yield Static(t("papers.hint"), classes="hint")

    def on_mount(self) -> None:
        self.verdict.clear(self.kiosk.t("papers.hint"))

    async def _print(self, paper: Paper, subject: str, write: Callable[[Path], object]) -> None:
        """File and print one paper (the reading and the writing both on the ledger thread)."""
        from kiosk.labels.verify import ReadBackUnavailable
        from kiosk.tui.printing import file_and_print

        app = self.kiosk
        if self.busy:
            return
        self.busy = True
        app.show_verdict("info", app.t("papers.working"), title=app.t("papers.working_title"))
        try:
            filed = await file_and_print(app, paper, subject, write)
        except StorageError:
            app.show_verdict("ledger_read_error", app.t("error.ledger_read"))
            return
        except (ValueError, ReadBackUnavailable) as exc:
            # A paper that cannot be made as asked (a stocktake that is not there, labels that do not
            # read back): said in words, the detail in the log for the technician.
            log.warning("paper %s not made: %s", paper.value, exc)
            app.show_verdict("not_printed", app.t("papers.not_made"))
            return
        finally:
            self.busy = False
        if filed is not None:
            self.filed.append(filed)

    def _office(self) -> tuple[str, Path | None]:
        reports = self.kiosk.settings.reports
        return reports.office_name, reports.font_file

    @work(exclusive=True, group="flow")
    async def action_ledger_book(self) -> None:
        from kiosk.reports.ledger_book import ledger_book, write_ledger_book_pdf

        app = self.kiosk
        period = await app.push_screen_wait(PeriodModal("papers.ledger_book"))
        if period is None:
            return
        start, end = period
        office, font = self._office()
        desk = app.desk
        await self._print(
            Paper.LEDGER_BOOK,
            period_subject(start, end),
            lambda path: write_ledger_book_pdf(
                ledger_book(desk, start, end), path, office=office, font_file=font
            ),
        )

    @work(exclusive=True, group="flow")
    async def action_card_register(self) -> None:
        from kiosk.reports.registers import cabinet_register, write_cabinet_register_pdf

        app = self.kiosk
        office, font = self._office()
        desk = app.desk
        await self._print(
            Paper.CARD_REGISTER,
            office_date(app.clock()).isoformat(),
            lambda path: write_cabinet_register_pdf(
                cabinet_register(desk), path, office=office, font_file=font
            ),
        )

    @work(exclusive=True, group="flow")
    async def action_access_log(self) -> None:
        from kiosk.reports.registers import access_log, write_access_log_pdf

        app = self.kiosk
        period = await app.push_screen_wait(PeriodModal("papers.access_log"))
        if period is None:
            return
        start, end = period
        office, font = self._office()
        desk = app.desk
        await self._print(
            Paper.ACCESS_LOG,
            period_subject(start, end),
            lambda path: write_access_log_pdf(
                access_log(desk, start, end), path, office=office, font_file=font
            ),
        )

    @work(exclusive=True, group="flow")
    async def action_reminders(self) -> None:
        from kiosk.domain.retention import RetentionPolicy
        from kiosk.reports.papers import reminder_list, write_reminder_pdf

        app = self.kiosk
        office, font = self._office()
        desk = app.desk
        day = office_date(app.clock())
        policy = RetentionPolicy.from_settings(app.settings.retention)
        await self._print(
            Paper.REMINDER_LIST,
            day.isoformat(),
            lambda path: write_reminder_pdf(
                reminder_list(desk, policy, day), path, office=office, font_file=font
            ),
        )

    @work(exclusive=True, group="flow")
    async def action_stocktake(self) -> None:
        from kiosk.desk.views import StocktakeError
        from kiosk.reports.stocktake_report import write_stocktake_report

        app = self.kiosk
        try:
            lines = await app.call(app.desk.stocktake_lines)
        except StorageError:
            app.show_verdict("ledger_read_error", app.t("error.ledger_read"))
            return
        if not lines:
            app.show_verdict("info", app.t("papers.no_stocktake"))
            return
        chosen = await app.push_screen_wait(StocktakePickModal(lines))
        if chosen is None:
            return
        desk, font = app.desk, app.settings.reports.font_file

        def write(path: Path) -> None:
            try:
                write_stocktake_report(desk, chosen, path, font_file=font)
            except StocktakeError as exc:
                raise ValueError(str(exc)) from exc

        await self._print(Paper.STOCKTAKE_REPORT, str(chosen), write)

    @work(exclusive=True, group="flow")
    async def action_labels(self) -> None:
        from kiosk.labels.pdf import write_label_sheets
        from kiosk.labels.sheet import layout_from_settings

        app = self.kiosk
        ids = await app.push_screen_wait(LabelsModal())
        if not ids:
            return
        settings = app.settings
        layout = layout_from_settings(settings.labels)
        symbol, font = settings.labels.symbol, settings.reports.font_file
        await self._print(
            Paper.LABELS,
            f"cards-{len(ids)}",
            lambda path: write_label_sheets(ids, layout, path, symbol=symbol, font_file=font),
        )

    def action_back(self) -> None:
        if not self.busy:
            self.app.pop_screen()


class PeriodModal(KioskModal[tuple[date, date] | None]):
    """The period of a paper: first and last office day (YYYY-MM-DD, both today to begin with)."""

    def __init__(self, title_key: str) -> None:
        super().__init__()
        self.title_key = title_key

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        today = office_date(self.kiosk.clock()).isoformat()
        with Vertical(classes="dialog"):
            yield Static(t(self.title_key), classes="dialog-title")
            yield Static(t("papers.from"), classes="label")
            yield Input(value=today, id="from", restrict=r"[0-9-]*", max_length=10)
            yield Static(t("papers.to"), classes="label")
            yield Input(value=today, id="to", restrict=r"[0-9-]*", max_length=10)
            yield Static("", id="message")
            yield Static(t("papers.period_hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#from", Input).focus()

    @on(Input.Submitted, "#from")
    def _from_entered(self) -> None:
        self.query_one("#to", Input).focus()

    @on(Input.Submitted, "#to")
    def _to_entered(self) -> None:
        t = self.kiosk.t
        try:
            start = date.fromisoformat(self.query_one("#from", Input).value.strip())
            end = date.fromisoformat(self.query_one("#to", Input).value.strip())
        except ValueError:
            self.query_one("#message", Static).update(plain("✖ " + t("papers.bad_date")))
            return
        if end < start:
            self.query_one("#message", Static).update(plain("✖ " + t("papers.bad_period")))
            return
        self.dismiss((start, end))


class StocktakePickModal(KioskModal[int | None]):
    """The newest stocktakes; the arrow keys choose one, Enter prints its report."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("enter", "choose", "papers.key.choose"),
    ]

    def __init__(self, lines: tuple[StocktakeLine, ...]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog"):
            yield Static(t("papers.stocktake"), classes="dialog-title")
            yield DataTable(id="stocktakes", cursor_type="row")
            yield Static(t("papers.choose_hint"), classes="hint")

    def on_mount(self) -> None:
        t = self.kiosk.t
        table = self.query_one("#stocktakes", DataTable)
        table.add_columns(t("papers.col.stocktake"), t("papers.col.started"), t("papers.col.finished"))
        for line in self.lines:
            started = f"{line.started_at.astimezone(OFFICE_TZ):%Y-%m-%d %H:%M}"
            finished = (
                f"{line.finished_at.astimezone(OFFICE_TZ):%Y-%m-%d %H:%M}"
                if line.finished_at
                else t("papers.open")
            )
            table.add_row(*cells(t("papers.stocktake_no", id=line.id), started, finished), key=str(line.id))
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_choose()

    def action_choose(self) -> None:
        table = self.query_one("#stocktakes", DataTable)
        if table.row_count:
            self.dismiss(self.lines[table.cursor_row].id)


class LabelsModal(KioskModal[list[str] | None]):
    """Scan the cards whose labels to print (each once); F5 prints, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("f5", "done", "papers.key.print_labels"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog"):
            yield Static(t("papers.labels"), classes="dialog-title")
            yield Static(t("papers.labels_scan"), classes="label")
            yield Static(plain(t("papers.labels_count", n=0)), id="label-ids")
            yield Static("", id="message")
            yield Static(t("papers.labels_hint"), classes="hint")

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        t = self.kiosk.t
        message = self.query_one("#message", Static)
        try:
            mid = ManagementId.parse(text).value
        except Refusal as exc:
            message.update(plain("✖ " + self.kiosk.reason(exc.reason)))
            self.kiosk.ring(3)
            return True
        if mid in self.ids:
            message.update(plain(t("papers.labels_again", id=mid)))
            return True
        self.ids.append(mid)
        message.update("")
        shown = "、".join(self.ids[-6:])
        more = "…、" if len(self.ids) > 6 else ""
        count = t("papers.labels_count", n=len(self.ids))
        self.query_one("#label-ids", Static).update(plain(f"{count}\n{more}{shown}"))
        return True

    def action_done(self) -> None:
        if not self.ids:
            self.query_one("#message", Static).update(plain("✖ " + self.kiosk.t("papers.labels_none")))
            return
        self.dismiss(list(self.ids))
