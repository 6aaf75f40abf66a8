"""保管庫利用中: the safe is open. Each scan takes a card out, puts it back or hands it over, and gets a
verdict at once. Closing is refused while a card taken out in this session is neither back nor issued."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from kiosk.desk import StorageError
from kiosk.domain.safe_door import Door, DoorOpen
from kiosk.domain.safe_session import ChecklistIncomplete, Override, ScanMode, SessionNotClear
from kiosk.domain.staff import Role, StaffMember, TwoPersonError
from kiosk.domain.status import CardStatus
from kiosk.domain.verdicts import NextStep, Verdict, VerdictCode
from kiosk.texts import next_step_text
from kiosk.tui.safe_text import plain
from kiosk.tui.screens.dialogs import CloseBlockedModal, EntryModal, OverrideReasonModal
from kiosk.tui.screens.scanning import ScanningScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.screens.two_person import second_person_and_checklist
from kiosk.tui.widgets import VerdictPanel

# What the session screen draws: names by staff id, the cards out, today's bookings and their states,
# and the override reason of each card out that was taken out without a booking.
Lists = tuple[dict[int, str], list[str], list[str], dict[str, CardStatus], dict[str, str]]

MODE_KEYS = {
    ScanMode.TAKE_OUT: "mode.take_out",
    ScanMode.PUT_BACK: "mode.put_back",
    ScanMode.HAND_OVER: "mode.hand_over",
}


class SessionScreen(ScanningScreen):
    """The open safe session; the mode (持出 / 返却 / 交付) says what a scan means."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key.help"),
        Binding("f2", "mode('take_out')", "key.take_out"),
        Binding("f3", "mode('put_back')", "key.put_back"),
        Binding("f4", "mode('hand_over')", "key.hand_over"),
        Binding("f5", "manual", "key.manual"),
        Binding("f6", "pick_list", "key.pick_list"),
        Binding("f7", "history", "key.history"),
        Binding("f8", "close_safe", "key.close_safe"),
        Binding("f9", "app.sign_in", "key.sign_in"),
        Binding("f10", "app.sign_out", "key.sign_out"),
    ]

    mode: reactive[ScanMode] = reactive(ScanMode.TAKE_OUT)

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('session.title')}"

    def compose_body(self) -> ComposeResult:
        yield Static("", id="mode")
        yield Static("", id="people")
        yield VerdictPanel(id="verdict")
        with Horizontal(id="lists"):
            yield Static("", id="out-list")
            yield Static("", id="pick-progress")

    def on_mount(self) -> None:
        self.verdict.clear(self.kiosk.t("session.scan_hint"))
        self.refresh_lists()
        self.watch_mode(self.mode)

    def watch_mode(self, mode: ScanMode) -> None:
        # A new mode is a new act: the counter forgets the last reads (on its thread, in order with scans).
        self.kiosk.submit(self.kiosk.counter.new_act)
        labels = self.query("#mode")
        if not labels:
            return  # not composed yet; on_mount shows it
        label = labels.first(Static)
        label.update(self.kiosk.t("session.mode", mode=self.kiosk.t(MODE_KEYS[mode])))
        for m in ScanMode:
            label.set_class(m is mode, f"-{m.value}")

    def action_mode(self, mode: str) -> None:
        self.mode = ScanMode(mode)

    # -- lists ----------------------------------------------------------------------------------

    def refresh_lists(self) -> None:
        """Read the session's lists on the ledger thread; draw them when they arrive."""
        app = self.kiosk
        session = app.session
        if session is None:
            return
        desk = app.desk

        def read() -> Lists:
            names = {}
            for sid in (session.operator_id, session.witness_id):
                member = desk.person(sid)
                if member is not None:
                    names[sid] = member.display
            out = desk.outstanding(session.id)
            booked = desk.pick_list()
            return names, out, booked, desk.pick_list_status(booked), desk.override_reasons(out)

        app.submit(read, self._draw_lists, read=True)

    def _draw_lists(self, lists: Lists) -> None:
        app = self.kiosk
        session = app.session
        if session is None or not self.is_mounted:
            return
        names, out, booked, states, overrides = lists
        t = app.t
        # Names are ledger data: plain Text, never markup.
        self.query_one("#people", Static).update(
            plain(
                t(
                    "session.people",
                    a=names.get(session.operator_id, "?"),
                    b=names.get(session.witness_id, "?"),
                    since=app.status.session_since or "",
                )
            )
        )
        text = Text(t("session.out_now") + f" ({len(out)})\n", style="bold")
        # A card taken out without a booking is marked, with the approved reason (予定外).
        for n, mid in enumerate(out[:12]):
            text.append(("\n" if n else "") + f"▲ {mid}")
            if mid in overrides:
                text.append(" " + t("override.mark_reason", reason=overrides[mid]), style="bold")
        if not out:
            text.append(t("session.none_out"))
        if len(out) > 12:
            text.append(f"\n… +{len(out) - 12}")
        self.query_one("#out-list", Static).update(text)
        done = sum(1 for s in states.values() if s in (CardStatus.OUT, CardStatus.ISSUED))
        progress = Text(t("session.picklist", done=done, total=len(booked)) + "\n", style="bold")
        for mid in booked[:12]:
            status = states.get(mid)
            mark = {"out": "▲", "issued": "★", "in_safe": "□"}.get(status.value if status else "", "・")
            progress.append(f"{mark} {mid} {t('card.' + status.value) if status else ''}\n")
        self.query_one("#pick-progress", Static).update(progress)

    # -- scans ----------------------------------------------------------------------------------

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.take_scan(text, device=device, source=source)
        return True

    def scan_value(self, text: str, *, device: str | None, source: str | None) -> None:
        """One scanned or typed value that is not a staff badge: an ID goes to the core."""
        app = self.kiosk
        if app.session is None:
            app.show_verdict("no_session")
            return
        if app.user is None:
            app.show_verdict("need_sign_in", app.t("signin.needed"))
            self.switch_user(None)
            return
        if self.mode is ScanMode.HAND_OVER:
            self.hand_over_flow(text, device, source)
            return
        self.record(text, device=device, source=source)

    def record(
        self,
        text: str,
        *,
        device: str | None,
        source: str | None,
        witness: StaffMember | None = None,
        override: Override | None = None,
    ) -> None:
        """Hand the scan to the core on the ledger thread (in arrival order); show the verdict after."""
        app = self.kiosk
        counter, actor, mode = app.counter, app.user, self.mode
        app.submit(
            lambda: counter.scan(
                text, actor=actor, mode=mode, device=device, source=source, witness=witness, override=override
            ),
            lambda verdict: self._recorded(verdict, device, source),
        )

    def _recorded(self, verdict: Verdict, device: str | None, source: str | None) -> None:
        app = self.kiosk
        self.present(verdict)
        if verdict.code is VerdictCode.NOT_ON_PICK_LIST and verdict.card is not None:
            self.override_flow(verdict.card.management_id, device, source)
        elif verdict.code is VerdictCode.NOT_ALLOWED and verdict.detail == "not_in_session" and app.user:
            self.join_flow()
        if verdict.ok:
            self.refresh_lists()
            app.refresh_counts()

    @work(group="witness")
    async def hand_over_flow(self, text: str, device: str | None, source: str | None) -> None:
        """交付: the witness confirms this hand-over now, with badge and PIN (never filled in)."""
        app = self.kiosk
        user = app.user
        if user is None:
            return
        # The core checks first that this card can be handed over at all: nobody is asked to witness an
        # act that cannot succeed. A card that cannot goes to the core without a witness, which records
        # the real refusal (or the alarm for a card already handed over) and says what to do next.
        try:
            refused = await app.call(lambda: app.desk.can_hand_over(text))
        except StorageError:
            app.show_verdict("ledger_read_error", app.t("error.ledger_read"))
            return
        if refused is not None:
            self.record(text, device=device, source=source)
            return
        witness = await app.push_screen_wait(SignInModal("signin.witness", exclude_id=user.id))
        if witness is None:
            app.show_verdict("need_witness", app.reason("need_witness"))
            return
        self.record(text, device=device, source=source, witness=witness)

    @work(exclusive=True, group="flow")
    async def join_flow(self) -> None:
        """A person who did not open the safe joins only when one of the two confirms (badge and PIN)."""
        app = self.kiosk
        joiner = app.user
        session = app.session
        if joiner is None or session is None:
            return
        member = await app.push_screen_wait(
            SignInModal("signin.join", exclude_id=joiner.id, prompt_values={"name": joiner.display})
        )
        if member is None:
            return
        try:
            await app.call(lambda: app.counter.join(joiner, member))
        except TwoPersonError as exc:
            app.show_verdict("not_allowed", app.explain(exc))
            return
        except ValueError as exc:
            app.show_verdict("wrong_status", app.explain(exc))
            return
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        app.show_verdict("joined", joiner.display)

    def present(self, verdict: Verdict) -> None:
        app = self.kiosk
        t = app.t
        card = verdict.card
        detail = ""
        code = verdict.code
        if code is VerdictCode.REFUSED_INPUT:
            detail = app.reason(verdict.detail)
        elif code in (VerdictCode.NOT_ALLOWED, VerdictCode.NEED_WITNESS):
            detail = app.reason(verdict.detail or code)
        elif card is not None:
            detail = f"{t('kind.' + card.kind)}  ／  {t('col.status')}: {t('card.' + card.status.value)}"
            if verdict.detail == "booked_by_taker":
                detail = app.reason("booked_by_taker") + "\n" + detail
        elif code is VerdictCode.UNKNOWN_ID:
            detail = t("history.none")
        step = next_step_text(verdict.next_step, app.language)
        if step and verdict.next_step is not NextStep.NEED_OVERRIDE:
            # Every refusal says what to do next (the override's own dialog follows at once).
            detail = f"{detail}\n{step}" if detail else step
        # A well-formed management ID (it passed the parser) may be shown, known card or not.
        app.show_verdict(code, detail, card_id=verdict.management_id)

    def handle_rejected(self, reason: str, *, device: str | None) -> bool:
        # A refused frame (IME on, 12 digits, garbage) is on record as a reason code only.
        app = self.kiosk
        counter, actor, mode = app.counter, app.user, self.mode

        def recorded(seq: int | None) -> None:
            if seq is None:
                app.show_verdict("ledger_error", app.t("error.ledger"))

        app.submit(lambda: counter.refusal(reason, actor=actor, mode=mode, device=device), recorded)
        return False

    # -- flows ----------------------------------------------------------------------------------

    def typed_id(self, text: str) -> None:
        self.take_scan(text, device=self.kiosk.desk.kiosk, source="manual")

    @work(exclusive=True, group="flow")
    async def override_flow(self, mid: str, device: str | None, source: str | None) -> None:
        """A card not on today's list (or booked by the taker): a supervisor's badge, PIN and a reason."""
        app = self.kiosk
        user = app.user
        if user is None:
            return
        supervisor = await app.push_screen_wait(
            SignInModal(
                "override.prompt", role=Role.SUPERVISOR, exclude_id=user.id, prompt_values={"id": mid}
            )
        )
        if supervisor is None:
            return
        chosen = await app.push_screen_wait(OverrideReasonModal(app.settings.session.override_reasons, mid))
        if not chosen:
            return
        reason, note = chosen
        self.mode = ScanMode.TAKE_OUT
        self.record(mid, device=device, source=source, override=Override(supervisor, reason, note))

    def action_help(self) -> None:
        from kiosk.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_pick_list(self) -> None:
        from kiosk.tui.screens.pick_list import PickListScreen

        self.app.push_screen(PickListScreen())

    def action_history(self) -> None:
        from kiosk.tui.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen())

    @work(exclusive=True, group="flow")
    async def action_close_safe(self) -> None:
        """保管庫を閉じる: nothing outstanding (or recorded missing by two), two people, the checklist."""
        app = self.kiosk
        session = app.session
        if session is None:
            return
        if app.safe.door is Door.OPEN and app.safe.online is not False:
            # Said at once, before anyone signs in; the core refuses (and records) it all the same.
            app.show_verdict("door_open", app.t("safe.door_open"))
            return
        user = await app.ensure_user()
        if user is None:
            return
        try:
            still_out = await app.call(app.counter.outstanding)
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        witness: StaffMember | None = None
        if still_out:
            app.ring(3)
            choice = await app.push_screen_wait(CloseBlockedModal(still_out))
            if choice != "missing":
                return
            witness = await app.push_screen_wait(SignInModal("signin.second", exclude_id=user.id))
            if witness is None:
                return
            note = await app.push_screen_wait(EntryModal(app.t("card.missing"), app.t("close.missing_note")))
            if not note:
                return
            second = witness
            try:
                await app.call(lambda: app.counter.record_missing(user, second, note))
            except (TwoPersonError, ValueError) as exc:
                app.show_verdict("two_person", app.explain(exc))
                return
            except StorageError:
                app.show_verdict("ledger_error", app.t("error.ledger"))
                return
            app.show_verdict("marked_missing", app.t("close.missing_done", n=len(still_out)))
            self.refresh_lists()
            app.refresh_counts()
        required = app.settings.session.closing_checklist
        pair = await second_person_and_checklist(app, user, "check.close_title", required, second=witness)
        if pair is None:
            return
        witness, confirmed = pair
        try:
            closed = await app.call(lambda: app.counter.close_safe(user, witness, confirmed))
        except DoorOpen:
            app.show_verdict("door_open", app.t("safe.door_open"))
            return
        except SessionNotClear as exc:
            app.show_verdict("wrong_status", app.t("close.refused", reason=", ".join(exc.outstanding)))
            return
        except (TwoPersonError, ChecklistIncomplete) as exc:
            app.show_verdict("two_person", app.explain(exc))
            return
        except ValueError as exc:
            app.show_verdict("no_session", app.explain(exc))
            app.refresh_session()
            return
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        app.session = None
        app.refresh_counts()
        app.pop_screen()
        app.show_verdict("session_closed", app.t("home.closed", id=closed.id))
