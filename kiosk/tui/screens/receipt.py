"""受領: a delivery counted into the safe against its slip and its list, and returned notification cards
received one at a time.

A delivery: F2 picks the delivery list (CSV) from an import folder or a USB stick, then the batch number
and the count on the delivery slip are typed; each card is scanned as it goes into the safe and the
screen names at once every card not on the list or scanned twice, and keeps the list of those not yet
seen. F8 shows the counts; the officer and a witness (badge + PIN) confirm them and the core records the
receipt with every difference (`Desk.receive_delivery`). Nothing is written before that.

F3 switches to returned notification cards (返送された通知カード) arriving by post: a scan, the kind
confirmed as 通知カード, a witness, and the card's label is printed on the spot.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static

from kiosk.desk import NotAllowed, StorageError
from kiosk.desk.imports import DeliveryFile
from kiosk.domain.delivery import (
    DeliveryCheck,
    DeliveryCount,
    DeliveryLine,
    DeliveryRejected,
    Problem,
    ScanOutcome,
)
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.staff import StaffMember
from kiosk.tui.safe_text import notify, plain
from kiosk.tui.screens.choose import ChooseModal, ConfirmModal
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.scanning import ScanningScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.reports.printing import Filed
    from kiosk.tui.app import KioskApp

log = logging.getLogger(__name__)
SHOWN = 12  # IDs listed per column before "… +n"
OUTCOME_CODES = {
    ScanOutcome.LISTED: "rc_listed",
    ScanOutcome.EXTRA: "rc_extra",
    ScanOutcome.AGAIN: "rc_again",
}


async def open_receipt(app: KioskApp) -> None:
    """The office menu's entry: a responsible officer receives (the witness signs in at the end)."""
    user = await app.ensure_user()
    if user is None:
        return
    if not user.is_officer:
        # The menu has no verdict panel of its own: the toast is what the person sees.
        app.show_verdict("not_allowed", app.t("receipt.need_officer"))
        notify(app, app.t("receipt.need_officer"), severity="warning")
        return
    await app.push_screen(ReceiptScreen())


class ReceiptScreen(ScanningScreen):
    """受領: counting a delivery in (F2, then scans, then F8), or returned notification cards (F3)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f2", "choose_file", "receipt.key.file"),
        Binding("f3", "returned", "receipt.key.returned"),
        Binding("f5", "manual", "key.manual"),
        Binding("f8", "confirm", "receipt.key.confirm"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.returned_mode = False
        self.check: DeliveryCheck | None = None
        self.batch_no = ""
        self.file_name = ""
        self.last: list[str] = []  # the returned cards received here, newest first (for the screen)
        self.filed: list[Filed] = []  # the labels filed from this screen, newest last

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('receipt.title')}"

    def compose_body(self) -> ComposeResult:
        yield Static("", id="receipt-mode")
        yield Static("", id="receipt-counts")
        yield VerdictPanel(id="verdict")
        with Horizontal(id="receipt-lists"):
            yield Static("", id="receipt-missing")
            yield Static("", id="receipt-extra")
            yield Static("", id="receipt-twice")
        yield Static("", id="receipt-hint", classes="hint")

    def on_mount(self) -> None:
        self.redraw()

    # -- drawing --------------------------------------------------------------------------------

    def redraw(self) -> None:
        t = self.kiosk.t
        mode = self.query_one("#receipt-mode", Static)
        counts = self.query_one("#receipt-counts", Static)
        hint = self.query_one("#receipt-hint", Static)
        lists = self.query_one("#receipt-lists", Horizontal)
        if self.returned_mode:
            mode.update(t("receipt.mode_returned"))
            counts.update(plain("\n".join(self.last[:SHOWN])))
            hint.update(t("receipt.hint_returned"))
            lists.display = False
            self.verdict.clear(t("receipt.scan_returned"))
            return
        lists.display = True
        if self.check is None:
            mode.update(t("receipt.mode_delivery"))
            counts.update(t("receipt.no_file"))
            hint.update(t("receipt.hint_delivery"))
            for part in ("missing", "extra", "twice"):
                self.query_one(f"#receipt-{part}", Static).update("")
            return
        count = self.check.count()
        mode.update(plain(t("receipt.file", file=self.file_name, batch=self.batch_no)))
        counts.update(
            plain(
                t(
                    "receipt.counts",
                    slip=count.slip,
                    listed=len(count.listed),
                    scanned=len(count.scanned),
                    present=len(count.present),
                )
                + ("" if count.slip == len(count.listed) else "\n" + t("receipt.slip_differs"))
            )
        )
        self._column("missing", t("receipt.col.missing"), count.missing)
        self._column("extra", t("receipt.col.extra"), count.extra)
        self._column("twice", t("receipt.col.twice"), count.duplicates)
        hint.update(t("receipt.hint_delivery"))

    def _column(self, part: str, title: str, ids: tuple[str, ...]) -> None:
        lines = [f"{title} ({len(ids)})", *ids[:SHOWN]]
        if len(ids) > SHOWN:
            lines.append(f"… +{len(ids) - SHOWN}")
        self.query_one(f"#receipt-{part}", Static).update(plain("\n".join(lines)))

    # -- choosing the delivery list --------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_choose_file(self) -> None:
        app = self.kiosk
        t = app.t
        desk = app.desk
        if self.check is not None and self.check.scans:
            again = await app.push_screen_wait(
                ConfirmModal(t("receipt.restart_title"), t("receipt.restart"), warn=True)
            )
            if not again:
                return
        try:
            files = await app.call(desk.delivery_files)
        except OSError:
            files = []
        if not files:
            app.show_verdict("info", t("receipt.no_files"))
            return
        chosen = await app.push_screen_wait(
            ChooseModal[DeliveryFile](
                t("receipt.choose_title"),
                t("receipt.choose_prompt"),
                [(f"{f.name}　（{f.folder}、{_size(f.size)}）", f) for f in files],
            )
        )
        if chosen is None:
            return
        path: Path = chosen.path
        try:
            lines = await app.call(lambda: desk.read_delivery(path))
        except DeliveryRejected as exc:
            said = t("receipt.file_refused", n=len(exc.problems))
            app.show_verdict("refused_input", said + "\n" + problem_words(app, exc.problems))
            return
        batch = await app.push_screen_wait(EntryModal(t("receipt.batch_title"), t("receipt.batch_prompt")))
        if not batch:
            return
        slip = await self._ask_count(t("receipt.slip_title"), t("receipt.slip_prompt", n=len(lines)))
        if slip is None:
            return
        self.start(lines, batch, slip, chosen.name)

    async def _ask_count(self, title: str, prompt: str) -> int | None:
        app = self.kiosk
        while True:
            text = await app.push_screen_wait(EntryModal(title, prompt, digits=True, max_length=6))
            if text is None:
                return None
            digits = text.strip()
            if digits.isascii() and digits.isdigit():
                return int(digits)
            app.show_verdict("refused_input", app.t("receipt.slip_digits"))

    def start(self, lines: list[DeliveryLine], batch: str, slip: int, file_name: str) -> None:
        """Count a new delivery: nothing scanned yet."""
        self.returned_mode = False
        self.check = DeliveryCheck(lines, slip)
        self.batch_no = batch
        self.file_name = file_name
        self.redraw()
        self.verdict.clear(self.kiosk.t("receipt.scan_delivery", n=len(lines)))

    # -- scans ----------------------------------------------------------------------------------

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.take_scan(text, device=device, source=source)
        return True

    def typed_id(self, text: str) -> None:
        self.take_scan(text, device=self.kiosk.desk.kiosk, source="manual")

    def scan_value(self, text: str, *, device: str | None, source: str | None) -> None:
        app = self.kiosk
        try:
            mid = ManagementId.parse(text).value
        except Refusal as exc:
            app.show_verdict("refused_input", app.reason(exc.reason))
            return
        if self.returned_mode:
            self.returned_flow(mid)
            return
        if self.check is None:
            app.show_verdict("info", app.t("receipt.choose_first"), card_id=mid)
            return
        outcome = self.check.scan(mid)
        self.redraw()
        app.show_verdict(OUTCOME_CODES[outcome], self._progress(), card_id=mid)

    def _progress(self) -> str:
        assert self.check is not None
        count = self.check.count()
        return self.kiosk.t("receipt.progress", scanned=len(count.scanned), listed=len(count.listed))

    # -- confirming the counts -------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_confirm(self) -> None:
        app = self.kiosk
        t = app.t
        check = self.check
        if self.returned_mode or check is None:
            app.show_verdict("info", t("receipt.choose_first"))
            return
        count = check.count()
        confirmed = await app.push_screen_wait(
            ConfirmModal(t("receipt.confirm_title"), self.summary(count), warn=not count.matches)
        )
        if not confirmed:
            return
        operator = await app.ensure_user()
        if operator is None:
            return
        witness = await app.push_screen_wait(SignInModal("receipt.witness", exclude_id=operator.id))
        if witness is None:
            return
        desk, batch, lines, scans = app.desk, self.batch_no, check.lines, check.scans
        try:
            receipt = await app.call(
                lambda: desk.receive_delivery(batch, lines, scans, check.slip, operator, witness)
            )
        except NotAllowed as exc:
            app.show_verdict("not_allowed", _refusal(app, exc.reason))
            return
        except DeliveryRejected as exc:
            app.show_verdict("wrong_status", t("receipt.refused") + "\n" + problem_words(app, exc.problems))
            return
        except Refusal as exc:
            app.show_verdict("refused_input", app.reason(exc.reason))
            return
        except StorageError:
            app.show_verdict("ledger_error", t("error.ledger"))
            return
        self.check = None
        self.redraw()
        app.refresh_counts()
        n = len(receipt.cards)
        if receipt.discrepancy_seq is None:
            app.show_verdict("received", t("receipt.done", n=n, batch=receipt.batch))
        else:
            app.show_verdict(
                "received_diff",
                t("receipt.done_diff", n=n, batch=receipt.batch) + "\n" + self.summary(receipt.count),
            )

    def summary(self, count: DeliveryCount) -> str:
        t = self.kiosk.t
        lines = [
            t("receipt.sum.counts", slip=count.slip, listed=len(count.listed), scanned=len(count.scanned)),
            t("receipt.sum.received", n=len(count.present)),
        ]
        for key, ids in (
            ("receipt.col.missing", count.missing),
            ("receipt.col.extra", count.extra),
            ("receipt.col.twice", count.duplicates),
        ):
            if ids:
                more = f" … +{len(ids) - SHOWN}" if len(ids) > SHOWN else ""
                lines.append(f"{t(key)} ({len(ids)}): {'、'.join(ids[:SHOWN])}{more}")
        if count.slip != len(count.listed):
            lines.append(t("receipt.slip_differs"))
        lines.append(t("receipt.sum.matches") if count.matches else t("receipt.sum.differs"))
        return "\n".join(lines)

    # -- returned notification cards --------------------------------------------------------------

    def action_returned(self) -> None:
        if self.check is not None and self.check.scans and not self.returned_mode:
            self.kiosk.show_verdict("info", self.kiosk.t("receipt.finish_first"))
            return
        self.returned_mode = not self.returned_mode
        self.redraw()

    @work(exclusive=True, group="flow")
    async def returned_flow(self, mid: str) -> None:
        """A returned notification card: confirm the kind, a witness, receive, print its label."""
        app = self.kiosk
        t = app.t
        operator = await app.ensure_user()
        if operator is None:
            return
        ok = await app.push_screen_wait(
            ConfirmModal(t("receipt.returned_title"), t("receipt.returned_confirm", id=mid))
        )
        if not ok:
            return
        witness: StaffMember | None = await app.push_screen_wait(
            SignInModal("receipt.returned_witness", exclude_id=operator.id, prompt_values={"id": mid})
        )
        if witness is None:
            return
        desk = app.desk
        second = witness
        try:
            await app.call(lambda: desk.receive_returned(mid, operator, second))
        except NotAllowed as exc:
            app.show_verdict("not_allowed", _refusal(app, exc.reason))
            return
        except DeliveryRejected:
            app.show_verdict("wrong_status", t("receipt.already_known"), card_id=mid)
            return
        except StorageError:
            app.show_verdict("ledger_error", t("error.ledger"))
            return
        app.refresh_counts()
        self.last.insert(0, t("receipt.returned_done", id=mid))
        self.redraw()
        app.show_verdict("received", t("receipt.returned_done", id=mid), card_id=mid)
        filed = await print_label(app, mid)
        if filed is not None:
            self.filed.append(filed)

    @work(exclusive=True, group="flow")
    async def action_back(self) -> None:
        app = self.kiosk
        if self.check is not None and self.check.scans:
            # Counted but not confirmed: leaving drops the count (nothing was recorded); ask first.
            leave = await app.push_screen_wait(
                ConfirmModal(app.t("receipt.leave_title"), app.t("receipt.leave"), warn=True)
            )
            if not leave:
                return
        app.pop_screen()


async def print_label(app: KioskApp, mid: str) -> Filed | None:
    """One label on a sheet for the card just received, filed and printed on the labels queue."""
    from kiosk.labels.pdf import write_label_sheets
    from kiosk.labels.sheet import layout_from_settings
    from kiosk.reports.printing import Paper
    from kiosk.tui.printing import file_and_print

    settings = app.settings
    layout = layout_from_settings(settings.labels)

    def write(path: Path) -> None:
        write_label_sheets(
            [mid], layout, path, symbol=settings.labels.symbol, font_file=settings.reports.font_file
        )

    try:
        return await file_and_print(app, Paper.LABELS, f"returned-{mid}", write, title=f"label {mid}")
    except (ValueError, RuntimeError) as exc:
        # The sheet did not read back as its ID, or no decoder is installed to check it: no label.
        log.error("label for a returned card not made: %s", type(exc).__name__)
        app.show_verdict("not_printed", app.t("receipt.label_failed"), card_id=mid)
        return None


def problem_words(app: KioskApp, problems: list[str], limit: int = 4) -> str:
    """A delivery's problems in the screen's language (by their codes), the first `limit` of them."""
    lines = []
    for problem in problems[:limit]:
        if not isinstance(problem, Problem):
            lines.append(problem)
            continue
        what = app.reason(problem.detail) if problem.code == "bad_id" else app.t(f"delivery.{problem.code}")
        lines.append(app.t("delivery.at_line", line=problem.line, what=what) if problem.line else what)
    if len(problems) > limit:
        lines.append(f"… +{len(problems) - limit}")
    return "\n".join(lines)


def _refusal(app: KioskApp, reason: str) -> str:
    """Why the table refused a receipt, in words (a role: only a responsible officer receives)."""
    if reason == "role":
        return app.t("receipt.need_officer")
    text = app.reason(reason)
    return app.t("receipt.refused") if text == reason else text


def _size(size: int) -> str:
    return f"{size / 1000:.1f} kB" if size >= 1000 else f"{size} B"
