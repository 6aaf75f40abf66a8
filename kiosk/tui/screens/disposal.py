"""廃棄: the disposal batches and their four steps, each through the core with its people.

F2 prepares a batch from the cards eligible today (the signed-in person); F3 a supervisor approves it
with badge and PIN (the core refuses the person who prepared it); F4 scans the cards out of the safe
into the batch, only while the safe is open (a safe session at this kiosk) and with a second person.
F8 opens the safe for it by the home screen's own two-person flow: the safe's screen comes up with this
screen over it, so the scans happen inside the session and Esc leaves the safe's screen to close it;
F6 two people record the method (裁断, 溶解 or another, written down) and the 廃棄証明書 and the list are
printed at once. F7 prints the papers of the chosen batch again. The rules are the core's
(`Desk.disposal_*`); this screen only asks for the people and shows the verdicts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kiosk.desk import NotAllowed, StorageError
from kiosk.desk.views import DisposalBatch, DisposalError
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.management_id import Refusal
from kiosk.domain.staff import Role, StaffMember
from kiosk.domain.verdicts import Verdict, VerdictCode
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.choose import ChooseModal, ConfirmModal
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.scanning import ScanningScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.reports.printing import Filed
    from kiosk.tui.app import KioskApp

SHOWN = 14
METHODS = ("裁断", "溶解")  # the usual ways; anything else is written down as その他（…）


async def open_disposal(app: KioskApp) -> None:
    """The office menu's entry: someone signed in first."""
    if await app.ensure_user() is not None:
        await app.push_screen(DisposalScreen())


class DisposalScreen(ScanningScreen):
    """The batches (newest first) and the detail of the chosen one; the keys run the steps."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f2", "prepare", "disposal.key.prepare"),
        Binding("f3", "approve", "disposal.key.approve"),
        Binding("f4", "scan_mode", "disposal.key.scan"),
        Binding("f5", "manual", "key.manual"),
        Binding("f6", "finish", "disposal.key.finish"),
        Binding("f7", "print_papers", "disposal.key.print"),
        Binding("f8", "open_safe", "disposal.key.open_safe"),
    ]

    def __init__(self, select: int | None = None) -> None:
        super().__init__()
        self.batches: list[DisposalBatch] = []
        self.loads = 0  # batches read so far (tests wait on it)
        self.want: int | None = select  # the batch to put the cursor on after the next read
        self.scanning: tuple[int, StaffMember] | None = None  # (batch, second person) while scanning
        self.filed: list[Filed] = []  # the papers filed from this screen, newest last

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('disposal.title')}"

    def compose_body(self) -> ComposeResult:
        yield DataTable(id="disposal-batches", cursor_type="row", zebra_stripes=True)
        yield Static("", id="disposal-detail")
        yield VerdictPanel(id="verdict")
        yield Static(self.kiosk.t("disposal.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#disposal-batches", DataTable).focus()
        self.verdict.clear()
        self.load()

    def on_screen_resume(self) -> None:
        # Back from the safe's screen (closed) or a dialog: the batches may have changed.
        if self.loads:
            self.load()

    # -- reading and drawing ---------------------------------------------------------------------

    def load(self, want: int | None = None) -> None:
        if want is not None:
            self.want = want
        app = self.kiosk
        app.submit(app.desk.disposal_batches, self._loaded, read=True)

    def _loaded(self, batches: list[DisposalBatch]) -> None:
        if not self.is_mounted:
            return
        t = self.kiosk.t
        self.batches = list(reversed(batches))
        table: DataTable[Text] = self.query_one("#disposal-batches", DataTable)
        keep = self.want if self.want is not None else (b.id if (b := self.selected()) else None)
        table.clear(columns=True)
        table.add_columns(
            t("disposal.col.list"),
            t("disposal.col.state"),
            t("disposal.col.cards"),
            t("disposal.col.scanned"),
            t("disposal.col.certificate"),
            t("disposal.col.prepared"),
        )
        for b in self.batches:
            table.add_row(
                *cells(
                    b.id,
                    t(f"disposal.state.{b.state}"),
                    len(b.cards),
                    len(b.scanned),
                    b.certificate.ja if b.certificate else "―",
                    f"{b.prepared_at.astimezone(OFFICE_TZ):%Y-%m-%d}",
                ),
                key=str(b.id),
            )
        if not self.batches:
            table.add_row(*cells(t("disposal.empty"), "", "", "", "", ""))
        for n, b in enumerate(self.batches):
            if b.id == keep:
                table.move_cursor(row=n)
        self.want = None
        self.draw_detail()
        self.loads += 1

    def selected(self) -> DisposalBatch | None:
        if not self.batches:
            return None
        table = self.query_one("#disposal-batches", DataTable)
        row = table.cursor_row
        return self.batches[row] if 0 <= row < len(self.batches) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.draw_detail()

    def draw_detail(self) -> None:
        t = self.kiosk.t
        batch = self.selected()
        detail = self.query_one("#disposal-detail", Static)
        if batch is None:
            detail.update(t("disposal.none_selected"))
            return
        names = batch.names
        lines = [
            t(
                "disposal.detail",
                id=batch.id,
                state=t(f"disposal.state.{batch.state}"),
                prepared=names.get(batch.prepared_by or -1, "―"),
                approved=names.get(batch.approved_by or -1, "―") if batch.approved_by else "―",
            )
        ]
        if batch.finished_at is not None:
            lines.append(
                t(
                    "disposal.detail_done",
                    at=f"{batch.finished_at.astimezone(OFFICE_TZ):%Y-%m-%d %H:%M}",
                    method=batch.method or "",
                    certificate=batch.certificate.ja if batch.certificate else "",
                )
            )
        if self.scanning is not None and self.scanning[0] == batch.id:
            lines.append(t("disposal.scanning", name=self.scanning[1].display))
        scanned = set(batch.scanned)
        marks = [f"{'■' if m in scanned else '□'} {m}" for m in batch.cards[:SHOWN]]
        if len(batch.cards) > SHOWN:
            marks.append(f"… +{len(batch.cards) - SHOWN}")
        lines.append("  ".join(marks))
        detail.update(plain("\n".join(lines)))

    # -- refusals in words -----------------------------------------------------------------------

    def refused(self, exc: Exception) -> None:
        app = self.kiosk
        t = app.t
        if isinstance(exc, DisposalError):
            text = t(f"disposal.refused.{exc.reason}")
            if text == f"disposal.refused.{exc.reason}":
                text = t("disposal.refused.other")
            if exc.problems:
                shown = exc.problems[:6]
                text += (
                    "\n"
                    + "\n".join(shown)
                    + (f"\n… +{len(exc.problems) - 6}" if len(exc.problems) > 6 else "")
                )
            app.show_verdict("not_allowed", text)
        elif isinstance(exc, NotAllowed):
            app.show_verdict("not_allowed", self.reason_words(exc.reason))
        elif isinstance(exc, Refusal):
            app.show_verdict("refused_input", app.reason(exc.reason))
        elif isinstance(exc, StorageError):
            app.show_verdict("ledger_error", t("error.ledger"))
        else:
            raise exc

    def reason_words(self, reason: str) -> str:
        """A refusal's reason code in words; a code with no words says that nothing was done."""
        app = self.kiosk
        own = app.t(f"disposal.refused.{reason}")
        if own != f"disposal.refused.{reason}":
            return own
        text = app.reason(reason)
        return app.t("disposal.refused.other") if text == reason else text

    # -- F2 prepare --------------------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_prepare(self) -> None:
        app = self.kiosk
        t = app.t
        desk = app.desk
        user = await app.ensure_user()
        if user is None:
            return
        try:
            eligible = [c.management_id for c in (await app.call(desk.due_lists)).eligible]
        except StorageError:
            app.show_verdict("ledger_read_error", t("error.ledger_read"))
            return
        if not eligible:
            app.show_verdict("info", t("disposal.none_eligible"))
            return
        shown = "、".join(eligible[:SHOWN]) + (
            f" … +{len(eligible) - SHOWN}" if len(eligible) > SHOWN else ""
        )
        ok = await app.push_screen_wait(
            ConfirmModal(
                t("disposal.prepare_title"), t("disposal.prepare_body", n=len(eligible)) + "\n" + shown
            )
        )
        if not ok:
            return
        try:
            batch = await app.call(lambda: desk.disposal_prepare(user, eligible))
        except (DisposalError, NotAllowed, Refusal, StorageError) as exc:
            self.refused(exc)
            return
        app.show_verdict("batch_prepared", t("disposal.prepared", id=batch.id, n=len(batch.cards)))
        self.load(want=batch.id)

    # -- F3 approve --------------------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_approve(self) -> None:
        app = self.kiosk
        t = app.t
        batch = self.selected()
        if batch is None or batch.state != "prepared":
            app.show_verdict("info", t("disposal.choose_prepared"))
            return
        # Any supervisor may sign in here; the core refuses the one who prepared the batch.
        supervisor = await app.push_screen_wait(
            SignInModal(
                "disposal.approver",
                role=Role.SUPERVISOR,
                prompt_values={"id": batch.id, "n": len(batch.cards)},
            )
        )
        if supervisor is None:
            return
        desk = app.desk
        try:
            done = await app.call(lambda: desk.disposal_approve(batch.id, supervisor))
        except (DisposalError, NotAllowed, StorageError) as exc:
            self.refused(exc)
            return
        app.show_verdict("batch_approved", t("disposal.approved", id=done.id, name=supervisor.display))
        self.load(want=done.id)

    # -- F8 open the safe ------------------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_open_safe(self) -> None:
        """Open the safe with the home screen's own flow (two people, the checklist, the lock), then
        come back over the safe's screen for the scans."""
        from kiosk.tui.screens.home import HomeScreen
        from kiosk.tui.screens.session import SessionScreen

        app = self.kiosk
        if app.session is not None:
            app.show_verdict("info", app.t("disposal.safe_is_open"))
            return
        home = next((s for s in app.screen_stack if isinstance(s, HomeScreen)), None)
        if home is None:
            return
        batch = self.selected()
        await home.action_open_safe().wait()
        if app.session is None or not isinstance(app.screen, SessionScreen):
            return  # cancelled or refused: the verdict says why
        await app.push_screen(DisposalScreen(select=batch.id if batch else None))
        app.show_verdict("opened_for_disposal", app.t("disposal.opened"))

    # -- F4 scans ----------------------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_scan_mode(self) -> None:
        app = self.kiosk
        t = app.t
        batch = self.selected()
        if batch is None or batch.state != "approved":
            app.show_verdict("info", t("disposal.choose_approved"))
            return
        if app.session is None:
            app.show_verdict("no_session", t("disposal.open_safe"))
            return
        user = await app.ensure_user()
        if user is None:
            return
        second = await app.push_screen_wait(SignInModal("disposal.scan_witness", exclude_id=user.id))
        if second is None:
            return
        self.scanning = (batch.id, second)
        self.draw_detail()
        app.show_verdict("info", t("disposal.scan_now", id=batch.id, n=len(batch.not_scanned)))

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.take_scan(text, device=device, source=source)
        return True

    def typed_id(self, text: str) -> None:
        self.take_scan(text, device=self.kiosk.desk.kiosk, source="manual")

    def scan_value(self, text: str, *, device: str | None, source: str | None) -> None:
        app = self.kiosk
        t = app.t
        if self.scanning is None:
            app.show_verdict("info", t("disposal.press_f4"))
            return
        session = app.session
        if session is None:
            app.show_verdict("no_session", t("disposal.open_safe"))
            return
        user = app.user
        if user is None:
            app.show_verdict("need_sign_in", t("signin.needed"))
            return
        batch_id, second = self.scanning
        desk = app.desk
        app.submit(
            lambda: desk.disposal_scan(
                batch_id, text, user, second, session_id=session.id, device=device, source=source
            ),
            self._scanned,
        )

    def _scanned(self, verdict: Verdict) -> None:
        app = self.kiosk
        code = verdict.code
        if code is VerdictCode.NO_SESSION or verdict.detail == "no_session":
            detail = app.t("disposal.open_safe")
        elif code in (VerdictCode.NOT_ALLOWED, VerdictCode.REFUSED_INPUT):
            detail = self.reason_words(verdict.detail or code.value)
        else:
            detail = ""
        card_id = verdict.management_id or (verdict.card.management_id if verdict.card else None)
        app.show_verdict(code.value, detail, card_id=card_id)
        if verdict.ok:
            app.refresh_counts()
        self.load()

    # -- F6 finish and the papers ------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_finish(self) -> None:
        app = self.kiosk
        t = app.t
        batch = self.selected()
        if batch is None or batch.state != "approved":
            app.show_verdict("info", t("disposal.choose_approved"))
            return
        if not batch.scanned:
            app.show_verdict("info", t("disposal.refused.nothing_scanned"))
            return
        user = await app.ensure_user()
        if user is None:
            return
        choices = [(m, m) for m in METHODS] + [(t("disposal.method_other"), "")]
        method = await app.push_screen_wait(
            ChooseModal[str](
                t("disposal.finish_title", id=batch.id),
                t("disposal.method_prompt", n=len(batch.scanned), left=len(batch.not_scanned)),
                choices,
            )
        )
        if method is None:
            return
        if not method:
            written = await app.push_screen_wait(
                EntryModal(t("disposal.method_other"), t("disposal.method_write"), max_length=60)
            )
            if not written:
                return
            method = f"その他（{written}）"
        second = await app.push_screen_wait(
            SignInModal("disposal.finish_witness", exclude_id=user.id, prompt_values={"method": method})
        )
        if second is None:
            return
        desk, chosen = app.desk, method
        try:
            done = await app.call(lambda: desk.disposal_finish(batch.id, user, second, chosen))
        except (DisposalError, NotAllowed, Refusal, StorageError) as exc:
            self.refused(exc)
            return
        if self.scanning is not None and self.scanning[0] == done.id:
            self.scanning = None
        app.refresh_counts()
        app.show_verdict(
            "batch_disposed",
            t(
                "disposal.finished",
                n=len(done.disposed),
                certificate=done.certificate.ja if done.certificate else "",
            ),
        )
        self.load(want=done.id)
        await self.print_batch(done)

    @work(exclusive=True, group="flow")
    async def action_print_papers(self) -> None:
        batch = self.selected()
        if batch is None:
            self.kiosk.show_verdict("info", self.kiosk.t("disposal.none_selected"))
            return
        await self.print_batch(batch)

    async def print_batch(self, batch: DisposalBatch) -> None:
        """The list, then (for a disposed batch) the certificate: its verdict is the one left showing."""
        from kiosk.reports.papers import (
            disposal_paper,
            write_disposal_certificate_pdf,
            write_disposal_list_pdf,
        )
        from kiosk.reports.printing import Paper
        from kiosk.tui.printing import file_and_print

        app = self.kiosk
        desk = app.desk
        reports = app.settings.reports
        batch_id = batch.id

        def write_list(path: Path) -> None:
            write_disposal_list_pdf(
                disposal_paper(desk, batch_id), path, office=reports.office_name, font_file=reports.font_file
            )

        def write_certificate(path: Path) -> None:
            write_disposal_certificate_pdf(
                disposal_paper(desk, batch_id),
                path,
                office=reports.office_name,
                font_file=reports.font_file,
                certifying_post=reports.certifying_post,
            )

        listed = await file_and_print(
            app, Paper.DISPOSAL_LIST, str(batch_id), write_list, title=f"disposal list {batch_id}"
        )
        if listed is not None:
            self.filed.append(listed)
        if batch.certificate is None:
            return
        filed = await file_and_print(
            app,
            Paper.DISPOSAL_CERTIFICATE,
            batch.certificate.slug,
            write_certificate,
            title=f"disposal certificate {batch.certificate.slug}",
        )
        if filed is not None:
            self.filed.append(filed)

    def action_back(self) -> None:
        self.app.pop_screen()
