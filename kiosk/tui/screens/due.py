"""督促・廃棄の作業リスト: the retention work lists of the day, read-only.

Four tabs from `due_lists()`: reminders due (督促対象), eligible for cancellation (交付取りやめ対象), on
hold (保留中) and notice date unknown (通知日未登録). Nothing is cancelled or disposed from here: the
kiosk only lists; the steps themselves are two-person flows on the record (`kiosk disposal …`).
The lists are read on the reader thread (読み込み中 until they arrive); the keys work meanwhile.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from kiosk.desk import StorageError
from kiosk.desk.views import today
from kiosk.domain.retention import DueCard, DueLists, RetentionPolicy
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.base import KioskScreen

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

# (tab id, DueLists attribute, i18n key of the tab title)
TABS = (
    ("due-reminders", "reminders_due", "due.tab.reminders"),
    ("due-eligible", "eligible", "due.tab.eligible"),
    ("due-held", "held", "due.tab.held"),
    ("due-unknown", "notice_unknown", "due.tab.notice_unknown"),
)


async def open_due_lists(app: KioskApp) -> None:
    """The office menu's entry: the lists need someone signed in, as from F7 on the home screen."""
    if await app.ensure_user() is not None:
        await app.push_screen(DueScreen())


class DueScreen(KioskScreen):
    """The work lists; F2–F5 pick a list, the arrow keys move through it. Read-only."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f2", "tab('due-reminders')", "due.key.reminders"),
        Binding("f3", "tab('due-eligible')", "due.key.eligible"),
        Binding("f4", "tab('due-held')", "due.key.held"),
        Binding("f5", "tab('due-unknown')", "due.key.notice_unknown"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.lists: DueLists | None = None

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('due.title')}"

    def compose_body(self) -> ComposeResult:
        t = self.kiosk.t
        yield Static(t("loading"), id="due-summary")
        with TabbedContent(id="due-tabs"):
            for tab_id, _attr, key in TABS:
                with TabPane(t(key, n=0), id=tab_id):
                    yield DataTable(id=f"{tab_id}-table", cursor_type="row", zebra_stripes=True)
        yield Static(t("due.readonly"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#due-reminders-table", DataTable).focus()
        self.load()

    def load(self) -> None:
        """Read the lists on the reader thread; fill the tabs when they arrive."""
        app = self.kiosk
        desk = app.desk
        day = today(app.clock)
        app.submit(lambda: desk.due_lists(day), self._loaded, read=True, failed=self._failed)

    def _failed(self, exc: BaseException) -> None:
        if not isinstance(exc, StorageError):
            self.kiosk.ledger_failed(exc, reading=True)
        if self.is_mounted:
            self.query_one("#due-summary", Static).update("✖ " + self.kiosk.t("error.ledger_read"))

    def _loaded(self, lists: DueLists) -> None:
        if not self.is_mounted:
            return
        t = self.kiosk.t
        self.lists = lists
        policy = RetentionPolicy.from_settings(self.kiosk.settings.retention)
        self.query_one("#due-summary", Static).update(
            plain(
                t(
                    "due.summary",
                    day=lists.today.isoformat(),
                    policy=t(
                        f"policy.{policy.preset.value}",
                        reminder=policy.reminder_after_days,
                        days=policy.disposal_after_reminder_days,
                        months=policy.disposal_after_reminder_months,
                        notice_months=policy.disposal_after_notice_months,
                    ),
                    waiting=lists.waiting,
                )
            )
        )
        tabs = self.query_one(TabbedContent)
        for tab_id, attr, key in TABS:
            cards: tuple[DueCard, ...] = getattr(lists, attr)
            tabs.get_tab(tab_id).label = t(key, n=len(cards))
            self._fill(self.query_one(f"#{tab_id}-table", DataTable), cards, held=attr == "held")

    def _fill(self, table: DataTable[Text], cards: tuple[DueCard, ...], *, held: bool) -> None:
        t = self.kiosk.t
        table.clear(columns=True)
        columns = [t("col.id"), t("col.kind"), t("due.col.notice"), t("due.col.reminder")]
        columns.append(t("due.col.hold") if held else t("due.col.due_on"))
        table.add_columns(*columns)
        for card in cards:
            last = (
                f"{card.hold_reason or ''}（{card.hold_since or '?'}〜）"
                if held
                else (card.due_on.isoformat() if card.due_on else "")
            )
            table.add_row(
                *cells(
                    card.management_id,
                    t("kind." + card.kind),
                    card.notice_sent_on.isoformat() if card.notice_sent_on else "―",
                    card.reminder_sent_on.isoformat() if card.reminder_sent_on else "―",
                    last,
                ),
                key=card.management_id,
            )
        if not cards:
            table.add_row(*cells(t("due.empty"), "", "", "", ""))

    def action_tab(self, tab_id: str) -> None:
        self.query_one(TabbedContent).active = tab_id
        self.query_one(f"#{tab_id}-table", DataTable).focus()

    def action_back(self) -> None:
        self.app.pop_screen()
