"""ホーム: the safe is locked. Sign in, open the safe with two people, or look things up."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from kiosk.domain.card_state import office_date
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.safe_door import ModuleOffline
from kiosk.domain.safe_session import ChecklistIncomplete
from kiosk.domain.staff import StaffMember, TwoPersonError
from kiosk.domain.stocktake import DueStatus
from kiosk.tui.safe_text import plain
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.screens.dialogs import SettingsModal
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from kiosk.desk.closing import LastClose
    from kiosk.tui.app import KioskApp


class HomeScreen(KioskScreen):
    """The kiosk's resting screen while the safe is locked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key.help"),
        Binding("f2", "open_safe", "key.open_safe"),
        Binding("f3", "pick_list", "key.pick_list"),
        Binding("f4", "history", "key.history"),
        Binding("f5", "stocktake", "key.stocktake"),
        Binding("f6", "ledger", "key.ledger"),
        Binding("f7", "due_lists", "key.due_lists"),
        Binding("f8", "office", "key.office"),
        Binding("f9", "settings", "key.settings"),
        Binding("f10", "app.sign_out", "key.sign_out"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.due_checks = 0  # stocktake-due questions asked; only the newest answer is shown
        self.due_checked = 0  # the newest one answered (tests wait for it)
        self.close_checks = 0  # the same for the daily close line
        self.close_checked = 0

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('home.title')}"

    def compose_body(self) -> ComposeResult:
        t = self.kiosk.t
        yield Static("🔒 " + t("home.locked"), id="big-state")
        yield Static("", id="st-due-banner")
        yield Static("", id="close-banner")
        yield VerdictPanel(id="verdict")
        yield Static(t("home.hint"), classes="hint")

    def on_mount(self) -> None:
        self.verdict.clear(self.kiosk.t("home.hint"))
        if self.kiosk.checking:
            # The ledger is being opened and checked behind this screen: say so, and read nothing yet.
            self.kiosk.show_verdict("starting", self.kiosk.t("start.checking"))
            return
        self.show_stocktake_due()
        self.show_last_close()

    def started(self) -> None:
        """The start-up check passed: say so (unless a device's problem is on the panel: it stays), and
        the banners the ledger feeds."""
        if self.verdict.code in (None, "starting", "start_wait"):
            self.verdict.show("started", self.kiosk.t("start.done"))
        self.show_stocktake_due()
        self.show_last_close()

    def on_screen_resume(self) -> None:
        if self.kiosk.checking or self.kiosk.refusal is not None:
            return
        self.show_stocktake_due()
        self.show_last_close()

    def show_last_close(self) -> None:
        """日次締め line: when the last close ran, and a warning while the previous office day is not
        closed. Read on the reader thread."""
        app = self.kiosk
        desk = app.desk
        now = app.clock()
        self.close_checks += 1
        ticket = self.close_checks

        def read() -> tuple[LastClose | None, date | None]:
            return desk.last_close(), desk.close_missing(now)

        app.submit(read, lambda got: self._show_close(ticket, *got), read=True, failed=lambda exc: None)

    def _show_close(self, ticket: int, last: LastClose | None, missing: date | None) -> None:
        from kiosk.tui.screens.daily_close import last_close_line

        if ticket != self.close_checks or not self.is_mounted:
            return
        banner = self.query_one("#close-banner", Static)
        text = last_close_line(self.kiosk, last, missing)
        banner.display = bool(text)
        banner.set_class(missing is not None, "-warning")
        banner.update(plain(text))
        self.close_checked = ticket

    def show_stocktake_due(self) -> None:
        """点検 banner: shown while a stocktake is due (or open), until one is finished. Read on the
        reader thread; the banner stays as it was until the answer comes."""
        app = self.kiosk
        desk = app.desk
        day = office_date(app.clock())
        self.due_checks += 1
        ticket = self.due_checks
        app.submit(
            lambda: desk.stocktake_due(day),
            lambda status: self._show_due(ticket, status),
            read=True,
            failed=lambda exc: self._show_due(ticket, None),
        )

    def _show_due(self, ticket: int, status: DueStatus | None) -> None:
        from kiosk.tui.screens.stocktake import due_notice

        if ticket != self.due_checks or not self.is_mounted:
            return
        notice = due_notice(self.kiosk, status) if status is not None else None
        banner = self.query_one("#st-due-banner", Static)
        banner.display = notice is not None
        banner.update(plain("📋 " + (notice or "")))
        self.due_checked = ticket

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        try:
            ManagementId.parse(text)
        except Refusal as exc:
            if exc.reason == "mynumber_refused":
                self.kiosk.show_verdict("refused_input", self.kiosk.reason(exc.reason))
                return True
            # Anything that is not a management ID is taken as a badge: start signing in.
            self.sign_in_with(text)
            return True
        self.kiosk.show_verdict("no_session", card_id=text)
        return True

    @work(exclusive=True, group="flow")
    async def sign_in_with(self, badge: str) -> None:
        await self.kiosk.ensure_user(force=True, badge=badge)

    def action_help(self) -> None:
        from kiosk.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_office(self) -> None:
        from kiosk.tui.screens.office import OfficeScreen

        if self.kiosk.usable():
            self.app.push_screen(OfficeScreen())

    def action_settings(self) -> None:
        self.app.push_screen(SettingsModal())

    @work(exclusive=True, group="flow")
    async def action_pick_list(self) -> None:
        from kiosk.tui.screens.pick_list import PickListScreen

        if self.kiosk.usable() and await self.kiosk.ensure_user() is not None:
            self.app.push_screen(PickListScreen())

    @work(exclusive=True, group="flow")
    async def action_history(self) -> None:
        from kiosk.tui.screens.history import HistoryScreen

        if self.kiosk.usable() and await self.kiosk.ensure_user() is not None:
            self.app.push_screen(HistoryScreen())

    @work(exclusive=True, group="flow")
    async def action_stocktake(self) -> None:
        from kiosk.tui.screens.stocktake import start_or_resume

        if self.kiosk.usable():
            await start_or_resume(self.kiosk)

    @work(exclusive=True, group="flow")
    async def action_due_lists(self) -> None:
        from kiosk.tui.screens.due import open_due_lists

        if self.kiosk.usable():
            await open_due_lists(self.kiosk)

    @work(exclusive=True, group="flow")
    async def action_ledger(self) -> None:
        from kiosk.tui.screens.history import LedgerScreen

        if self.kiosk.usable() and await self.kiosk.ensure_user() is not None:
            self.app.push_screen(LedgerScreen())

    @work(exclusive=True, group="flow")
    async def action_open_safe(self) -> None:
        """保管庫を開く: two different people, one a responsible officer, both confirm the checklist."""
        from kiosk.desk import StorageError
        from kiosk.tui.screens.two_person import second_person_and_checklist

        app = self.kiosk
        if not app.usable():
            return
        first = await app.ensure_user()
        if first is None:
            return
        required = app.settings.session.opening_checklist
        pair = await second_person_and_checklist(app, first, "check.open_title", required)
        if pair is None:
            return
        second, confirmed = pair
        try:
            try:
                session = await app.call(lambda: app.counter.open_safe(first, second, confirmed))
            except ModuleOffline:
                # The door/lock module is offline: the manual (key) procedure, if a supervisor approves.
                if not await approve_manual(app, first):
                    return
                session = await app.call(lambda: app.counter.open_safe(first, second, confirmed))
        except (TwoPersonError, ChecklistIncomplete) as exc:
            app.show_verdict("two_person", app.explain(exc))
            return
        except ValueError as exc:
            app.show_verdict("info", app.explain(exc))
            app.refresh_session()
            return
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        app.session = session
        app.sign_in(first)
        from kiosk.tui.screens.session import SessionScreen

        await app.push_screen(SessionScreen())
        opened = app.t("home.opened", id=session.id, a=first.display, b=second.display)
        if app.safe_link is not None and app.safe.online is not False:
            opened += "\n" + app.t("safe.lock_released")
        app.show_verdict("session_opened", opened)


async def approve_manual(app: KioskApp, officer: StaffMember) -> bool:
    """With the door/lock module offline: a supervisor approves the manual (key) procedure with a
    reason, recorded by the core. False when someone cancelled or the core refused."""
    from kiosk.desk import NotAllowed
    from kiosk.domain.staff import Role
    from kiosk.tui.screens.dialogs import EntryModal
    from kiosk.tui.screens.signin import SignInModal

    app.show_verdict("module_offline", app.t("safe.manual_offline"))
    supervisor = await app.push_screen_wait(
        SignInModal("safe.manual_supervisor", role=Role.SUPERVISOR, exclude_id=officer.id)
    )
    if supervisor is None:
        return False
    reason = await app.push_screen_wait(EntryModal(app.t("safe.manual_title"), app.t("safe.manual_reason")))
    if not reason:
        return False
    try:
        await app.call(lambda: app.desk.approve_manual(officer, supervisor, reason))
    except (NotAllowed, Refusal, ValueError) as exc:
        app.show_verdict("not_allowed", str(exc))
        return False
    return True
