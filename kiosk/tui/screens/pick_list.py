"""本日の交付予定: today's pick list. Cards are added by scan, by typing, or from a bookings CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kiosk.desk.views import PickProblem
from kiosk.domain.card_state import office_date
from kiosk.domain.staff import Role, StaffMember, TwoPersonError
from kiosk.domain.status import CardStatus
from kiosk.tui.safe_text import cells
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.widgets import VerdictPanel

ID_COLUMNS = ("management_id", "管理ID", "管理id")


def booking_ids(text: str) -> list[str]:
    """The management IDs of a bookings CSV: the `management_id` (or 管理ID) column, else the first.

    Raises ValueError when the text is not CSV (e.g. a stray carriage return inside a field).
    """
    try:
        rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ValueError(f"not valid CSV: {exc}") from None
    if not rows:
        return []
    header = [cell.strip() for cell in rows[0]]
    for name in ID_COLUMNS:
        if name in header:
            col = header.index(name)
            return [row[col].strip() for row in rows[1:] if len(row) > col and row[col].strip()]
    return [row[0].strip() for row in rows if row[0].strip()]


class PickListScreen(KioskScreen):
    """Today's bookings and where each card is now."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f5", "manual", "key.manual"),
        Binding("f6", "import_csv", "key.import"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.reloads = 0  # reloads asked for; only the newest is drawn
        self.loaded = 0  # the newest one drawn (tests wait for it)

    def heading(self) -> str:
        day = office_date(self.kiosk.clock()).isoformat()
        return self.kiosk.t("pick.title", day=day)

    def compose_body(self) -> ComposeResult:
        yield VerdictPanel(id="verdict")
        yield DataTable(id="pick-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="pick-empty")

    def on_mount(self) -> None:
        t = self.kiosk.t
        self.verdict.clear(t("pick.hint"))
        table = self.query_one(DataTable)
        table.add_columns(t("col.id"), t("col.status"))
        self.reload()

    def reload(self) -> None:
        """Read today's bookings and their states on the reader thread; redraw when they arrive."""
        app = self.kiosk
        desk = app.desk
        self.reloads += 1
        ticket = self.reloads
        self.query_one("#pick-empty", Static).update(app.t("loading"))

        def read() -> tuple[list[str], dict[str, CardStatus]]:
            ids = desk.pick_list()
            return ids, desk.pick_list_status(ids)

        app.submit(read, lambda found: self._draw(ticket, *found), read=True, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if self.is_mounted:
            self.query_one("#pick-empty", Static).update("")
        self.kiosk.ledger_failed(exc, reading=True)

    def _draw(self, ticket: int, ids: list[str], states: dict[str, CardStatus]) -> None:
        if ticket != self.reloads or not self.is_mounted:
            return  # a newer reload is on its way
        app = self.kiosk
        table = self.query_one(DataTable)
        table.clear()
        for mid in ids:
            status = states.get(mid)
            table.add_row(*cells(mid, app.t("card." + status.value) if status else "-"), key=mid)
        self.query_one("#pick-empty", Static).update("" if ids else app.t("pick.empty"))
        self.loaded = ticket

    def action_back(self) -> None:
        self.app.pop_screen()

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.add([text])
        return True

    @work(group="book")
    async def add(self, ids: list[str]) -> None:
        """Book `ids`: an officer or a supervisor alone, a clerk with a second person confirming now."""
        app = self.kiosk
        user = app.user
        if user is None:
            app.show_verdict("need_sign_in", app.t("signin.needed"))
            return
        second: StaffMember | None = None
        if user.role is Role.CLERK:
            second = await app.push_screen_wait(SignInModal("pick.second", exclude_id=user.id))
            if second is None:
                return
        desk = app.desk
        app.submit(lambda: desk.book(ids, user, second=second), self._booked, failed=self._refused)

    def _refused(self, exc: BaseException) -> None:
        app = self.kiosk
        if isinstance(exc, TwoPersonError):
            app.show_verdict("not_allowed", app.reason(exc.reason))
            return
        app.ledger_failed(exc)

    def _problem(self, problem: PickProblem) -> str:
        t = self.kiosk.t
        if problem.reason == "unknown_id":
            return t("pick.problem.unknown_id", line=problem.line, id=problem.management_id)
        if problem.management_id:
            status = t("card." + problem.reason)
            return t("pick.problem.status", line=problem.line, id=problem.management_id, status=status)
        return t("pick.problem.refused", line=problem.line, reason=self.kiosk.reason(problem.reason))

    def _booked(self, result: tuple[list[str], list[PickProblem]]) -> None:
        app = self.kiosk
        added, problems = result
        if problems:
            code = "refused_input" if not added else "info"
            app.show_verdict(
                code,
                app.t("pick.added", n=len(added))
                + "  "
                + app.t("pick.problems", problems="; ".join(self._problem(p) for p in problems[:5])),
            )
        else:
            app.show_verdict(
                "added", app.t("pick.added", n=len(added)), card_id=added[0] if len(added) == 1 else None
            )
        self.reload()

    @work(exclusive=True, group="flow")
    async def action_manual(self) -> None:
        app = self.kiosk
        text = await app.push_screen_wait(EntryModal(app.t("key.manual"), app.t("entry.id"), digits=True))
        if text:
            self.add([text])

    @work(exclusive=True, group="flow")
    async def action_import_csv(self) -> None:
        app = self.kiosk
        path = await app.push_screen_wait(
            EntryModal(app.t("key.import"), app.t("entry.path"), max_length=500)
        )
        if not path:
            return
        try:
            text = Path(path).expanduser().read_bytes().decode("utf-8-sig")
            ids = booking_ids(text)
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and bad CSV are ValueErrors
            app.show_verdict("refused_input", app.t("pick.file_error", error=type(exc).__name__))
            return
        if ids:
            self.add(ids)
