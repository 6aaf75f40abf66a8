"""通知・督促: the dates the issuance notices and reminders went out, applicant references and holds.

Four jobs on one screen, each a function key:
- F2 交付通知書送付 / F3 督促状送付: a list of cards, made by scanning the cards (or the management-ID
  barcodes on the printed 督促 list, which are the same codes) and/or taken from the day's work lists
  (F8), checked card by card as it grows (the core's own rule), then recorded with one date (F7; today
  by default) by F9. Cards with a problem stay on the list, marked, and are not recorded.
- F4 申請者参照: scan a card, type its reference; a card that has one is corrected with a reason.
- F5 保留・解除: scan a card; one without a hold gets a hold with a reason, one on hold is released.
Everything goes through the application core as the signed-in person.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kiosk.desk import NotAllowed, StorageError
from kiosk.desk.views import today
from kiosk.domain.authz import Act
from kiosk.domain.card_state import CardState
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.notices import (
    OPEN_STATUSES,
    ApplicantRefError,
    Letter,
    NoticeError,
    SentProblem,
)
from kiosk.domain.retention import DatedId, DatedListRejected, DueLists
from kiosk.domain.staff import StaffMember
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.forms import ConfirmModal, TypedEntryModal
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


class Job(enum.StrEnum):
    NOTICE = "notice"
    REMINDER = "reminder"
    APPLICANT = "applicant"
    HOLD = "hold"


SENT_JOBS = {Job.NOTICE: Letter.NOTICE, Job.REMINDER: Letter.REMINDER}
# The work list each letter's list is taken from (F8): DueLists attribute.
WORK_LIST = {Job.NOTICE: "notice_unknown", Job.REMINDER: "reminders_due"}


async def open_notices(app: KioskApp) -> None:
    """The office menu's entry: the work is done as the signed-in person."""
    if await app.ensure_user() is not None:
        await app.push_screen(NoticesScreen())


def parse_day(text: str) -> date | None:
    """A date typed as 2026-04-01, 2026/4/1 or full-width digits; None when it is not one."""
    import unicodedata

    parts = unicodedata.normalize("NFKC", text).strip().replace("/", "-").split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


class NoticesScreen(KioskScreen):
    """The list, the job and its date; a verdict for every scan and every record."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f2", "job('notice')", "notices.key.notice"),
        Binding("f3", "job('reminder')", "notices.key.reminder"),
        Binding("f4", "job('applicant')", "notices.key.applicant"),
        Binding("f5", "job('hold')", "notices.key.hold"),
        Binding("f6", "manual", "key.manual"),
        Binding("f7", "date", "notices.key.date"),
        Binding("f8", "from_lists", "notices.key.from_lists"),
        Binding("f9", "record", "notices.key.record"),
        Binding("delete", "remove", "notices.key.remove"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.job = Job.NOTICE
        self.sent_on: date | None = None  # set on mount from the kiosk's clock
        self.order: list[str] = []  # the cards on the list, in the order they came
        self.cards: dict[str, CardState | None] = {}
        self.problems: dict[str, SentProblem] = {}
        self.recorded: set[str] = set()
        self.notes: dict[str, str] = {}  # what the applicant / hold jobs did to a card
        self.checks = 0  # checks finished (tests wait on it)
        self.ready = False  # mounted and not yet closed

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('notices.title')}"

    def compose_body(self) -> ComposeResult:
        yield VerdictPanel(id="verdict")
        yield Static("", id="notices-status")
        yield DataTable(id="notices-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="notices-hint", classes="hint")

    def on_mount(self) -> None:
        t = self.kiosk.t
        if self.sent_on is None:
            self.sent_on = today(self.kiosk.clock)
        table = self.query_one(DataTable)
        table.add_columns(
            t("col.id"),
            t("col.status"),
            t("notices.col.notice"),
            t("notices.col.reminder"),
            t("notices.col.applicant"),
            t("notices.col.hold"),
            t("notices.col.check"),
        )
        self.verdict.clear(t("notices.empty"))
        self.ready = True
        self._redraw()
        table.focus()

    def on_unmount(self) -> None:
        self.ready = False

    # -- drawing --------------------------------------------------------------------------------

    def _mode_name(self) -> str:
        return self.kiosk.t(f"notices.mode.{self.job.value}")

    def _check_text(self, mid: str) -> str:
        t = self.kiosk.t
        if self.job in SENT_JOBS:
            if mid in self.recorded:
                return t("notices.check.recorded")
            problem = self.problems.get(mid)
            # The column says it short; the verdict of the scan says what to do.
            return t(f"notices.short.{problem.value}") if problem else t("notices.check.ok")
        return self.notes.get(mid, "")

    def _redraw(self) -> None:
        if not self.ready:
            return  # a late read for a screen already closed
        t = self.kiosk.t
        table = self.query_one(DataTable)
        table.clear()
        for mid in self.order:
            card = self.cards.get(mid)
            table.add_row(
                *cells(
                    mid,
                    t("card." + card.status.value) if card else "―",
                    card.notice_sent_on.isoformat() if card and card.notice_sent_on else "―",
                    card.reminder_sent_on.isoformat() if card and card.reminder_sent_on else "―",
                    (card.applicant_ref or "―") if card else "―",
                    (card.hold_reason or "―") if card else "―",
                    self._check_text(mid),
                ),
                key=mid,
            )
        status = self.query_one("#notices-status", Static)
        if self.job in SENT_JOBS:
            pending = [m for m in self.order if m not in self.recorded]
            bad = sum(1 for m in pending if m in self.problems)
            status.update(
                plain(
                    t(
                        "notices.status.sent",
                        mode=self._mode_name(),
                        day=self.sent_on.isoformat() if self.sent_on else "",
                        n=len(pending),
                        bad=bad,
                    )
                )
            )
            hint = t("notices.hint.sent")
        else:
            status.update(plain(t("notices.status.one", mode=self._mode_name())))
            hint = t(f"notices.hint.{self.job.value}")
        self.query_one("#notices-hint", Static).update(plain(hint))

    # -- keys -----------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_job(self, job: str) -> None:
        self.job = Job(job)
        self.verdict.clear(self._mode_name())
        self._recheck(list(self.order))

    @work(exclusive=True, group="flow")
    async def action_manual(self) -> None:
        app = self.kiosk
        text = await app.push_screen_wait(EntryModal(app.t("key.manual"), app.t("entry.id"), digits=True))
        if text:
            self.take(text, source="keyboard")

    @work(exclusive=True, group="flow")
    async def action_date(self) -> None:
        app = self.kiosk
        shown = self.sent_on.isoformat() if self.sent_on else ""
        text = await app.push_screen_wait(
            EntryModal(
                app.t("notices.date.title"), app.t("notices.date.prompt") + f"  [{shown}]", max_length=20
            )
        )
        if not text:
            return
        day = parse_day(text)
        if day is None:
            app.show_verdict("refused_input", app.t("notices.date.bad"), title=app.t("notices.date.title"))
            return
        if day > today(app.clock):
            app.show_verdict("refused_input", app.t("notices.date.future"), title=app.t("notices.date.title"))
            return
        self.sent_on = day
        app.show_verdict(
            "info", app.t("notices.date.set", day=day.isoformat()), title=app.t("notices.date.title")
        )
        self._recheck(list(self.order))

    def action_remove(self) -> None:
        table = self.query_one(DataTable)
        if not self.order or table.cursor_row < 0 or table.cursor_row >= len(self.order):
            return
        mid = self.order.pop(table.cursor_row)
        self.problems.pop(mid, None)
        self.kiosk.show_verdict("info", self.kiosk.t("notices.removed"), card_id=mid, title=self._mode_name())
        self._redraw()

    def action_from_lists(self) -> None:
        app = self.kiosk
        attr = WORK_LIST.get(self.job)
        if attr is None:
            app.show_verdict("info", app.t("notices.from_lists.other_mode"), title=self._mode_name())
            return
        desk = app.desk
        day = today(app.clock)

        def taken(lists: DueLists) -> None:
            ids = [c.management_id for c in getattr(lists, attr) if c.management_id not in self.order]
            if not ids:
                app.show_verdict("info", app.t("notices.from_lists.none"), title=self._mode_name())
                return
            self.order.extend(ids)
            app.show_verdict(
                "info",
                app.t("notices.from_lists", n=len(ids), list=app.t(f"notices.from_lists.{attr}")),
                title=self._mode_name(),
            )
            self._recheck(ids)

        app.submit(lambda: desk.due_lists(day), taken, read=True)

    # -- scans ------------------------------------------------------------------------------------

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.take(text, source=source)
        return True

    def take(self, text: str, *, source: str | None) -> None:
        """A card scanned or typed: onto the list (F2/F3), or its own step (F4/F5)."""
        app = self.kiosk
        try:
            mid = ManagementId.parse(text).value
        except Refusal as exc:
            desk, user, reason = app.desk, app.user, exc.reason
            # On the chain by reason code only (the value may be an individual number).
            app.submit(
                lambda: desk.record_refusal(
                    reason, attempted=Act.RETENTION_RECORD.value, actor=user, source=source
                )
            )
            app.show_verdict("refused_input", app.reason(reason), title=self._mode_name())
            return
        if self.job in SENT_JOBS:
            if mid in self.order and mid not in self.recorded:
                app.show_verdict("duplicate", app.t("notices.already"), card_id=mid, title=self._mode_name())
                return
            if mid in self.order:
                self.order.remove(mid)
                self.recorded.discard(mid)
            self.order.append(mid)
            self._recheck([mid], announce=mid)
            return
        if mid not in self.order:
            self.order.append(mid)
        if self.job is Job.APPLICANT:
            self.applicant_step(mid)
        else:
            self.hold_step(mid)

    def _recheck(self, ids: list[str], *, announce: str | None = None) -> None:
        """Read the cards and (for a letter) the core's check, on the reader thread; then redraw."""
        app = self.kiosk
        desk = app.desk
        letter = SENT_JOBS.get(self.job)
        day = self.sent_on or today(app.clock)

        def read() -> tuple[dict[str, CardState | None], dict[str, SentProblem]]:
            found = {mid: desk.card(mid) for mid in ids}
            problems = desk.sent_problems(letter, ids, day) if letter is not None else {}
            return found, problems

        def done(result: tuple[dict[str, CardState | None], dict[str, SentProblem]]) -> None:
            found, problems = result
            self.cards.update(found)
            for mid in ids:
                self.problems.pop(mid, None)
            self.problems.update(problems)
            self.checks += 1
            self._redraw()
            if announce is not None:
                problem = problems.get(announce)
                if problem is None:
                    app.show_verdict(
                        "added", app.t("notices.added"), card_id=announce, title=self._mode_name()
                    )
                else:
                    code = "unknown_id" if problem is SentProblem.UNKNOWN else "wrong_status"
                    app.show_verdict(
                        code,
                        app.t(f"notices.problem.{problem.value}"),
                        card_id=announce,
                        title=self._mode_name(),
                    )

        app.submit(read, done, read=True)

    # -- recording a list ---------------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_record(self) -> None:
        app = self.kiosk
        letter = SENT_JOBS.get(self.job)
        if letter is None:
            app.show_verdict("info", app.t(f"notices.hint.{self.job.value}"), title=self._mode_name())
            return
        pending = [m for m in self.order if m not in self.recorded]
        if not pending:
            app.show_verdict("info", app.t("notices.empty"), title=self._mode_name())
            return
        user = await app.ensure_user()
        if user is None:
            return
        desk = app.desk
        day = self.sent_on or today(app.clock)
        try:
            problems = await app.call(lambda: desk.sent_problems(letter, pending, day))
            self.problems = {m: p for m, p in self.problems.items() if m not in pending} | problems
            good = [m for m in pending if m not in problems]
            if not good:
                self._redraw()
                app.show_verdict("wrong_status", app.t("notices.nothing_ok"), title=self._mode_name())
                return
            entries = [DatedId(n, ManagementId.parse(m), day) for n, m in enumerate(good, start=1)]
            states = await app.call(lambda: desk.record_sent(letter.value, entries, user, source="kiosk"))
        except StorageError as exc:
            app.ledger_failed(exc)
            return
        except NotAllowed as exc:
            app.show_verdict("not_allowed", app.reason(exc.reason), title=self._mode_name())
            return
        except DatedListRejected:
            app.show_verdict("wrong_status", app.t("notices.rejected"), title=self._mode_name())
            self._recheck(pending)
            return
        for state in states:
            self.cards[state.management_id] = state
            self.recorded.add(state.management_id)
        self._redraw()
        text = app.t("notices.recorded", mode=self._mode_name(), day=day.isoformat(), n=len(states))
        skipped = len(pending) - len(states)
        if skipped:
            text += "\n" + app.t("notices.skipped", n=skipped)
        app.show_verdict("added", text, title=self._mode_name())

    # -- one card at a time: applicant reference, hold ---------------------------------------------

    async def _card_for_step(self, mid: str) -> tuple[StaffMember, CardState] | None:
        """The signed-in person and the card, or None with the reason on screen."""
        app = self.kiosk
        user = await app.ensure_user()
        if user is None:
            return None
        desk = app.desk
        try:
            card = await app.call(lambda: desk.card(mid))
        except StorageError as exc:
            app.ledger_failed(exc, reading=True)
            return None
        self.cards[mid] = card
        self._redraw()
        if card is None:
            app.show_verdict(
                "unknown_id", app.t("notices.problem.unknown"), card_id=mid, title=self._mode_name()
            )
            return None
        if card.status not in OPEN_STATUSES:
            app.show_verdict(
                "wrong_status", app.t("notices.problem.closed"), card_id=mid, title=self._mode_name()
            )
            return None
        return user, card

    def _done(self, mid: str, state: CardState, note: str) -> None:
        self.cards[mid] = state
        self.notes[mid] = note
        self._redraw()
        self.kiosk.show_verdict("added", note, card_id=mid, title=self._mode_name())

    def _refused(self, mid: str, exc: Exception) -> None:
        app = self.kiosk
        t = app.t
        if isinstance(exc, StorageError):
            app.ledger_failed(exc)
            return
        if isinstance(exc, NotAllowed):
            code, text = "not_allowed", app.reason(exc.reason)
        elif isinstance(exc, ApplicantRefError):
            code, text = "refused_input", t(f"notices.applicant.{exc.reason}")
        elif isinstance(exc, Refusal):
            code, text = "refused_input", app.reason(exc.reason)
        elif isinstance(exc, NoticeError) and exc.reason in ("unknown", "closed"):
            code, text = "wrong_status", t(f"notices.problem.{exc.reason}")
        elif isinstance(exc, NoticeError):
            code, text = "wrong_status", t(f"notices.applicant.{exc.reason}")
        else:
            code, text = "wrong_status", t("notices.rejected")
        self.notes[mid] = text
        self._redraw()
        app.show_verdict(code, text, card_id=mid, title=self._mode_name())

    @work(exclusive=True, group="flow")
    async def applicant_step(self, mid: str) -> None:
        app = self.kiosk
        t = app.t
        found = await self._card_for_step(mid)
        if found is None:
            return
        user, card = found
        current = card.applicant_ref
        prompt = t("notices.applicant.prompt_fix", ref=current) if current else t("notices.applicant.prompt")
        ref = await app.push_screen_wait(
            TypedEntryModal(t("notices.applicant.title", id=mid), prompt, max_length=64)
        )
        if not ref:
            return
        reason = None
        if current:
            reason = await app.push_screen_wait(
                TypedEntryModal(t("notices.applicant.title", id=mid), t("notices.applicant.reason"))
            )
            if not reason:
                return
        desk = app.desk
        try:
            state = await app.call(lambda: desk.set_applicant(mid, ref, user, correction_reason=reason))
        except (
            StorageError,
            ValueError,
        ) as exc:  # NotAllowed, Refusal and the notices' errors are ValueErrors
            self._refused(mid, exc)
            return
        key = "notices.applicant.fixed" if current else "notices.applicant.set"
        self._done(mid, state, t(key, ref=state.applicant_ref or ""))

    @work(exclusive=True, group="flow")
    async def hold_step(self, mid: str) -> None:
        app = self.kiosk
        t = app.t
        found = await self._card_for_step(mid)
        if found is None:
            return
        user, card = found
        desk = app.desk
        try:
            if card.hold_reason is None:
                reason = await app.push_screen_wait(
                    TypedEntryModal(t("notices.hold.title", id=mid), t("notices.hold.prompt"))
                )
                if not reason:
                    return
                state = await app.call(lambda: desk.hold(mid, reason, user))
                note = t("notices.hold.set", reason=state.hold_reason or "")
            else:
                yes = await app.push_screen_wait(
                    ConfirmModal(
                        t("notices.hold.release_title", id=mid),
                        t("notices.hold.release_prompt", reason=card.hold_reason),
                    )
                )
                if not yes:
                    return
                state = await app.call(lambda: desk.release(mid, user))
                note = t("notices.hold.released")
        except (StorageError, ValueError) as exc:
            self._refused(mid, exc)
            return
        self._done(mid, state, note)
