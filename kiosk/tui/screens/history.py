"""カード履歴 (one card's events) and 管理簿 (every event, newest first), both paged on an index.

Every page and card is read on the reader thread and drawn when it arrives (読み込み中 until then); a
scan or key that comes meanwhile is taken at once, and only the newest request is drawn.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kiosk.desk.views import DEFAULT_PAGE, EventLine, EventPage
from kiosk.domain.card_state import OFFICE_TZ, CardState
from kiosk.domain.events import EventKind
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.texts import kind_name, place_label, refusal_label
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.widgets import VerdictPanel


def event_label(kind: str, language: str) -> str:
    """The event kind's name from the one registry (kiosk.domain.events)."""
    return kind_name(kind, language)


class EventTableScreen(KioskScreen):
    """A screen with a paged table of events (newest first)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("pagedown", "older", "key.older"),
        Binding("home", "newest", "key.newer"),
    ]

    card_id: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.cursors: list[int | None] = [None]  # the `before_seq` of each page shown so far
        self.older: int | None = None
        self.wanted = 0  # the newest request; an older answer that arrives late is not drawn
        self.loading = False
        self.more_older = 0  # PageDown pressed while a page was on its way: taken after it arrives

    def compose_table(self) -> ComposeResult:
        yield DataTable(id="events", cursor_type="row", zebra_stripes=True)
        yield Static("", id="page")

    def setup_table(self) -> None:
        t = self.kiosk.t
        self.query_one("#events", DataTable).add_columns(
            t("col.seq"),
            t("col.at"),
            t("col.event"),
            t("col.id"),
            t("col.actor"),
            t("col.witness"),
            t("col.session"),
            t("col.device"),
        )

    def load(self, before: int | None) -> None:
        """Read a page (older than `before`) on the reader thread; draw it when it arrives."""
        app = self.kiosk
        desk, card_id = app.desk, self.card_id
        ticket = self._request()

        def read() -> EventPage:
            return desk.events_page(before_seq=before, card_id=card_id, limit=DEFAULT_PAGE)

        app.submit(read, lambda page: self._draw_page(ticket, page), read=True, failed=self._failed(ticket))

    def _request(self) -> int:
        self.wanted += 1
        self.loading = True
        self.query_one("#page", Static).update(self.kiosk.t("loading"))
        return self.wanted

    def _failed(self, ticket: int) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            if ticket == self.wanted:
                self.loading = False
                self.query_one("#page", Static).update("")
            self.kiosk.ledger_failed(exc, reading=True)

        return failed

    def _draw_page(self, ticket: int, page: EventPage) -> None:
        if ticket != self.wanted or not self.is_mounted:
            return  # a newer request is on its way
        self.loading = False
        table = self.query_one("#events", DataTable)
        table.clear()
        for line in page.lines:
            table.add_row(*cells(*self.row(line)))
        self.older = page.older
        self.query_one("#page", Static).update(self.kiosk.t("ledger.page", page=len(self.cursors)))
        if self.more_older:
            self.more_older -= 1
            self.action_older()

    def row(self, line: EventLine) -> tuple[str, ...]:
        ev = line.event
        app = self.kiosk
        label = event_label(ev.kind, app.language)
        data = json.loads(ev.payload) if ev.payload else {}
        if not isinstance(data, dict):
            data = {}
        if ev.kind in (EventKind.REFUSED, EventKind.AUTH_FAILED) and "reason" in data:
            # The reason in words (拒否（チェックディジット不一致）), never a code on a Japanese screen.
            label = f"{label}（{refusal_label(str(data['reason']), app.language)}）"
        elif ev.kind == EventKind.CARD_TAKEN_OUT and "override_by" in data:
            # A take-out without a booking is marked, with the approver and the reason.
            reason = str(data.get("reason") or "")
            if data.get("note"):
                reason += f"・{data['note']}"
            mark = app.t("override.mark_reason", reason=reason)
            label = f"{label}（{mark}・{line.approver_name or ''}）"
        return (
            str(ev.seq),
            ev.at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            label,
            ev.card_id or "",
            line.actor_name or "",
            line.witness_name or "",
            str(ev.session_id or ""),
            ev.device or "",
        )

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_older(self) -> None:
        if self.loading:
            self.more_older += 1
            return
        if self.older is not None:
            self.cursors.append(self.older)
            self.load(self.older)

    def action_newest(self) -> None:
        self.more_older = 0
        self.cursors = [None]
        self.load(None)


class HistoryScreen(EventTableScreen):
    """カード履歴: scan or type an ID and see every event of that card, who and when."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *EventTableScreen.BINDINGS,
        Binding("f5", "manual", "key.manual"),
    ]

    def heading(self) -> str:
        return self.kiosk.t("history.title")

    def compose_body(self) -> ComposeResult:
        yield VerdictPanel(id="verdict")
        yield Static("", id="card")
        yield from self.compose_table()

    def on_mount(self) -> None:
        self.verdict.clear(self.kiosk.t("history.hint"))
        self.setup_table()

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.show_card(text)
        return True

    def show_card(self, text: str) -> None:
        """Look a card up on the reader thread: its state and the newest page of its events."""
        app = self.kiosk
        try:
            mid = ManagementId.parse(text).value
        except Refusal as exc:
            app.show_verdict("refused_input", app.reason(exc.reason))
            return
        desk = app.desk
        ticket = self._request()
        self.verdict.clear(f"{mid}  {app.t('loading')}")

        def read() -> tuple[CardState | None, EventPage | None]:
            card = desk.card(mid)
            if card is None:
                return None, None
            return card, desk.events_page(before_seq=None, card_id=mid, limit=DEFAULT_PAGE)

        app.submit(
            read, lambda found: self._draw_card(ticket, mid, *found), read=True, failed=self._failed(ticket)
        )

    def _draw_card(self, ticket: int, mid: str, card: CardState | None, page: EventPage | None) -> None:
        if ticket != self.wanted or not self.is_mounted:
            return
        app = self.kiosk
        t = app.t
        if card is None or page is None:
            self.loading = False
            self.query_one("#page", Static).update("")
            app.show_verdict("unknown_id", t("history.none"), card_id=mid)
            return
        self.card_id = mid
        self.cursors = [None]
        self.query_one("#card", Static).update(
            plain(
                t(
                    "history.card",
                    id=mid,
                    kind=t("kind." + card.kind),
                    status=t("card." + card.status.value),
                    location=place_label(card.location, app.language),
                )
            )
        )
        self.verdict.clear(f"{mid}  {t('card.' + card.status.value)}")
        self._draw_page(ticket, page)

    @work(exclusive=True, group="flow")
    async def action_manual(self) -> None:
        app = self.kiosk
        text = await app.push_screen_wait(EntryModal(app.t("key.manual"), app.t("entry.id"), digits=True))
        if text:
            self.show_card(text)


class LedgerScreen(EventTableScreen):
    """管理簿: every event, newest first, one page at a time (PageDown for older, Home for newest)."""

    def heading(self) -> str:
        return self.kiosk.t("ledger.title", n=DEFAULT_PAGE)

    def compose_body(self) -> ComposeResult:
        yield from self.compose_table()

    def on_mount(self) -> None:
        self.setup_table()
        self.load(None)
