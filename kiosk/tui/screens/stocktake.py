"""点検 (stocktake): count every card in the safe against the ledger, from every source at once.

Barcode scans arrive through `handle_scan` (a shelf label `L:shelf-1` first sets where the following
cards are counted); a tray photo (webcam) and RFID inventory rounds (UHF reader) run in thread workers
that only post messages (`kiosk.tui.stocktake_devices`). The screen calls the ledger, which commits
each sighting before its verdict shows, so a stocktake left open by a crash resumes with all its counts.

Finishing: a person decides each card still missing (search again / record missing / found elsewhere,
with a note) — nothing is marked missing on its own — and two people sign.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, ProgressBar, Static

from kiosk.desk import StorageError
from kiosk.desk.views import SOURCE_BARCODE, SOURCE_RFID, SOURCE_TRAY, StocktakeError, StocktakeGlance
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import StaffMember, TwoPersonError
from kiosk.domain.stocktake import (
    WHOLE_SAFE,
    Decision,
    DecisionError,
    DueReason,
    DueStatus,
    MissingDecision,
    ResultLine,
    Sighting,
    StocktakeResult,
    StocktakeView,
    is_location_label,
)
from kiosk.domain.verdicts import BatchVerdict, FinishKind, StocktakeVerdict
from kiosk.texts import SIGHTING_LOOKS, place_label
from kiosk.tui.safe_text import cell, cells, plain, visible
from kiosk.tui.screens.base import KioskModal
from kiosk.tui.screens.dialogs import EntryModal
from kiosk.tui.screens.scanning import ScanningScreen
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.stocktake_devices import (
    RFID,
    TRAY,
    InstrumentFailed,
    RfidRoundRead,
    RfidRoundsDone,
    StocktakeInstrument,
    TrayPhotoTaken,
    run_rfid_rounds,
    take_tray_photo,
)
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from pathlib import Path

    from kiosk.tui.app import KioskApp

LIST_LINES = 18  # lines per list on screen (the report and F8 have them all)
REFRESH_S = 0.25  # counts and lists are re-read at most this often while scans pour in

DECISION_KEYS = {
    Decision.SEARCH_AGAIN: "st.decision.search_again",
    Decision.RECORD_MISSING: "st.decision.record_missing",
    Decision.FOUND_ELSEWHERE: "st.decision.found_elsewhere",
}

log = logging.getLogger(__name__)


def instruments(app: object, kind: str) -> list[StocktakeInstrument]:
    """The app's stocktake instruments of one kind (TRAY or RFID)."""
    links = getattr(app, "links", {})
    return [
        link.device
        for link in links.values()
        if isinstance(link.device, StocktakeInstrument) and link.device.kind == kind
    ]


def scans_per_minute(reads: int, started_at: datetime, now: datetime) -> float | None:
    """Sightings per minute since the stocktake started (None in its first seconds)."""
    seconds = (now - started_at).total_seconds()
    if seconds < 5:
        return None
    return reads * 60.0 / seconds


def due_notice(app: KioskApp, status: DueStatus) -> str | None:
    """The home screen's notice while a stocktake is due (interval, handover, never) or still open."""
    t = app.t
    if not status.due:
        return None
    if status.reason is DueReason.IN_PROGRESS:
        return t("st.due.in_progress")
    last = status.last_finished_on.isoformat() if status.last_finished_on else ""
    handover = status.handover_on.isoformat() if status.handover_on else ""
    return t(f"st.due.{status.reason.value}", last=last, handover=handover)


async def start_or_resume(app: KioskApp) -> None:
    """F5 on the home screen: resume the open stocktake, or start one with two people (one an officer)."""
    t = app.t
    first = await app.ensure_user()
    if first is None:
        return
    try:
        current = await app.call(app.desk.open_stocktake)
    except StorageError:
        app.show_verdict("ledger_error", t("error.ledger"))
        return
    if current is not None:
        await app.push_screen(StocktakeScreen(current))
        app.show_verdict("st_resumed", t("st.resumed", id=current.id))
        return
    second = await app.push_screen_wait(SignInModal("st.start_second", exclude_id=first.id))
    if second is None:
        return
    if not (first.is_officer or second.is_officer):
        app.show_verdict("two_person", t("signin.need_officer"))
        return
    try:
        view = await app.call(lambda: app.counter.start_stocktake(first, second))
    except TwoPersonError as exc:
        app.show_verdict("two_person", app.explain(exc))
        return
    except StocktakeError as exc:
        app.show_verdict("wrong_status", app.explain(exc))
        return
    except StorageError:
        app.show_verdict("ledger_error", t("error.ledger"))
        return
    await app.push_screen(StocktakeScreen(view))
    app.show_verdict(
        "st_started", t("st.started", id=view.id, n=view.expected, a=first.display, b=second.display)
    )


class StocktakeScreen(ScanningScreen):
    """The open stocktake: progress, the verdict of each scan, and the lists a person must look at."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key.help"),
        Binding("f3", "tray", "key.tray"),
        Binding("f4", "rfid", "key.rfid"),
        Binding("f5", "manual", "key.manual"),
        Binding("f8", "finish", "key.finish"),
        Binding("f9", "app.sign_in", "key.sign_in"),
        Binding("f10", "app.sign_out", "key.sign_out"),
        Binding("escape", "back", "key.back"),
    ]

    def __init__(self, stocktake: StocktakeView) -> None:
        super().__init__()
        self.stocktake = stocktake
        # What the screen shows: the counts and the first lines of each list (never a whole list).
        self.glance: StocktakeGlance | None = None
        self._reading = False  # a glance is being read on the reader thread
        self._again = False  # something changed while it was read: read once more when it arrives
        self.last_read_s = 0.0  # how long the last glance took to read
        self.locations: dict[str, str | None] = {}  # device -> shelf/slot it is counting
        self.busy: str | None = None  # TRAY or RFID while an instrument works
        self.rfid_stop = threading.Event()
        self.rfid_round = 0
        self.rfid_counted = 0  # cards newly counted by the current RFID run
        self._refresh_pending = False
        self.names = ("…", "…")  # the two who started it, read with the first reconciliation
        # Decisions from a finish that ended in "search again" (they stand for the next attempt).
        self.kept_decisions: dict[str, MissingDecision] = {}

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('st.title', id=self.stocktake.id)}"

    def compose_body(self) -> ComposeResult:
        yield Static("", id="st-info")
        with Horizontal(id="st-progress"):
            yield ProgressBar(total=max(1, self.stocktake.expected), show_eta=False, id="st-bar")
            yield Static("", id="st-counts")
        yield VerdictPanel(id="verdict")
        with Horizontal(id="st-lists"):
            yield Static(self.kiosk.t("loading"), id="st-missing")
            yield Static(self.kiosk.t("loading"), id="st-other")

    def on_mount(self) -> None:
        # The counter counts into this stocktake (also after a restart: resume), set on its own thread.
        counter, stocktake_id = self.kiosk.counter, self.stocktake.id
        self.kiosk.submit(lambda: counter.use_stocktake(stocktake_id))
        self.verdict.clear(self.kiosk.t("st.hint"))
        self.refresh_all()

    # -- showing ----------------------------------------------------------------------------------

    def refresh_all(self) -> None:
        """Re-read the glance (counts and the first lines of each list) on the reader thread; redraw
        what changed when it arrives.

        Never a whole reconcile here: at the start of a 100,000-card stocktake every card is missing,
        and building that list several times a second starves the UI thread (the GIL) even off it.
        """
        if self._reading:
            self._again = True
            return
        self._reading = True
        app = self.kiosk
        desk = app.desk
        sid, op, wit = self.stocktake.id, self.stocktake.operator_id, self.stocktake.witness_id
        need_names = self.names == ("…", "…")

        def read() -> tuple[StocktakeGlance, tuple[str, str] | None, float]:
            t0 = time.monotonic()
            names = None
            if need_names:
                a, b = desk.person(op), desk.person(wit)
                names = (visible(a.display) if a else "?", visible(b.display) if b else "?")
            return desk.stocktake_glance(sid, LIST_LINES), names, time.monotonic() - t0

        def failed(exc: BaseException) -> None:
            # The next scan (or refresh) tries again; say once what went wrong.
            self._reading = self._refresh_pending = False
            app.ledger_failed(exc, reading=True)

        app.submit(read, self._glanced, read=True, failed=failed)

    def _glanced(self, found: tuple[StocktakeGlance, tuple[str, str] | None, float]) -> None:
        self._reading = False
        self._refresh_pending = False
        glance, names, self.last_read_s = found
        if self._again:
            self._again = False
            self.schedule_refresh()
        if not self.is_mounted or not self.query("#st-info"):
            return  # closed, or not composed yet: the next refresh draws it
        before, self.glance = self.glance, glance
        if names is not None:
            self.names = names
            self._show_info()
        # Only what changed is redrawn: a repeat read or a flood of scans elsewhere in the list
        # leaves the list widgets alone.
        if before is None or (before.progress, before.sources) != (glance.progress, glance.sources):
            self._show_counts()
        if before is None or (before.progress.missing, before.missing) != (
            glance.progress.missing,
            glance.missing,
        ):
            self._show_missing()
        if before is None or _others(before) != _others(glance):
            self._show_others()

    def schedule_refresh(self) -> None:
        """Redraw soon. A flood of scans costs one glance per REFRESH_S (or per the glance's own
        duration, when that is longer), not one per scan; a change during a read is read once more."""
        if self._reading:
            self._again = True
            return
        if not self._refresh_pending:
            self._refresh_pending = True
            self.set_timer(max(REFRESH_S, self.last_read_s), self.refresh_all)

    def _show_info(self) -> None:
        t = self.kiosk.t
        a, b = self.names
        since = self.stocktake.started_at.astimezone(OFFICE_TZ).strftime("%Y-%m-%d %H:%M")
        text = Text(t("st.people", a=a, b=b, since=since) + "\n")
        where = ", ".join(
            visible(f"{loc or t('st.whole_safe')} ({dev})") for dev, loc in sorted(self.locations.items())
        )
        text.append(t("st.location", where=where or t("st.whole_safe")), style="bold")
        if self.busy == TRAY:
            text.append("   📷 " + t("st.tray_running"), style="bold reverse")
        elif self.busy == RFID:
            text.append("   📡 " + t("st.rfid_running", round=self.rfid_round), style="bold reverse")
        self.query_one("#st-info", Static).update(text)

    def _show_counts(self) -> None:
        glance = self.glance
        if glance is None:
            return
        t = self.kiosk.t
        p = glance.progress
        self.query_one("#st-bar", ProgressBar).update(total=max(1, p.expected), progress=p.found)
        rate = scans_per_minute(p.reads, self.stocktake.started_at, self.kiosk.clock())
        text = Text()
        text.append(t("st.found", found=p.found, expected=p.expected), style="bold")
        text.append("   " + t("st.missing_count", n=p.missing), style="bold")
        text.append("\n" + t("st.rate", rate=f"{rate:.0f}" if rate is not None else "—"))
        sources = "  ".join(f"{t('st.source.' + s)} {n}" for s, n in sorted(glance.sources.items()))
        if sources:
            text.append("  ／ " + sources)
        self.query_one("#st-counts", Static).update(text)

    def _show_missing(self) -> None:
        glance = self.glance
        if glance is None:
            return
        t = self.kiosk.t
        n = glance.progress.missing
        missing = Text(t("st.list.missing", n=n) + "\n", style="bold")
        if not n:
            missing.append(t("st.none"))
        for line in glance.missing[:LIST_LINES]:
            # Cards recorded only as "in the safe" need no place on the list; a shelf or slot does.
            place = "" if line.expected_location in (None, WHOLE_SAFE) else line.expected_location
            missing.append(visible(f"□ {line.management_id}  {place}") + "\n")
        if n > LIST_LINES:
            missing.append(f"… +{n - LIST_LINES}")
        self.query_one("#st-missing", Static).update(missing)

    def _show_others(self) -> None:
        glance = self.glance
        if glance is None:
            return
        t = self.kiosk.t
        p = glance.progress
        other = Text()
        sections: list[tuple[str, int, Sequence[ResultLine], Callable[[ResultLine], str]]] = [
            ("st.list.unexpected", p.unexpected, glance.unexpected, self._unexpected_line),
            ("st.list.unknown", p.unknown, glance.unknown, lambda r: f"✖ {r.management_id}"),
            ("st.list.misplaced", p.misplaced, glance.misplaced, self._misplaced_line),
            (
                "st.list.duplicates",
                p.duplicates,
                glance.duplicates,
                lambda r: f"＝ {r.management_id} ×{r.times}",
            ),
        ]
        budget = max(2, LIST_LINES // 4)
        for key, n, lines, fmt in sections:
            other.append(t(key, n=n) + "\n", style="bold")
            for line in lines[:budget]:
                other.append(visible(fmt(line)) + "\n")
            if n > budget:
                other.append(f"  … +{n - budget}\n")
        self.query_one("#st-other", Static).update(other)

    def _unexpected_line(self, line: ResultLine) -> str:
        status = self.kiosk.t("card." + line.ledger_status.value) if line.ledger_status else "?"
        return f"！ {line.management_id}  {self.kiosk.t('st.ledger_says', status=status)}"

    def _misplaced_line(self, line: ResultLine) -> str:
        lang = self.kiosk.language
        was, seen = place_label(line.expected_location, lang), place_label(line.seen_location, lang)
        return f"↔ {line.management_id}  {was} → {seen}"

    # -- barcode scans ---------------------------------------------------------------------------

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        self.take_scan(text, device=device, source=source)
        return True

    def may_be_badge(self, text: str, *, source: str | None) -> bool:
        if source == "rfid_epc" or is_location_label(text):
            return False
        return super().may_be_badge(text, source=source)

    def scan_value(self, text: str, *, device: str | None, source: str | None) -> None:
        if source == "rfid_epc":
            # A UHF reader read continuously (not one of our instruments): one tag, counted by its binding.
            self.record_batch([], [text], source=SOURCE_RFID, device=device)
            return
        self.record_scan(text, device=device, source=SOURCE_BARCODE)

    def record_scan(self, text: str, *, device: str | None, source: str) -> None:
        """Count one scanned or typed ID (or take a shelf label) on the ledger thread; show its verdict."""
        counter, actor = self.kiosk.counter, self.kiosk.user
        self.kiosk.submit(
            lambda: counter.count(text, actor=actor, device=device, source=source),
            lambda verdict: self._counted(verdict, device),
        )

    def _counted(self, verdict: StocktakeVerdict, device: str | None) -> None:
        if verdict.code is Sighting.LOCATION:
            self.locations[device or "?"] = verdict.location
            self._show_info()
        self.present(verdict)
        self.schedule_refresh()

    def present(self, verdict: StocktakeVerdict) -> None:
        app = self.kiosk
        t = app.t
        code = SIGHTING_LOOKS[verdict.code]
        detail = ""
        if verdict.code is Sighting.REFUSED:
            detail = app.reason(verdict.detail)
        elif verdict.code is Sighting.LOCATION:
            detail = t("st.location_set", where=verdict.location or t("st.whole_safe"))
        elif verdict.code is Sighting.MISPLACED:
            detail = t(
                "st.misplaced_detail",
                expected=place_label(verdict.expected_location, app.language),
                seen=place_label(verdict.location, app.language),
            )
        elif verdict.code is Sighting.DUPLICATE:
            detail = t("st.duplicate_detail", times=verdict.times)
        elif verdict.code is Sighting.UNEXPECTED and verdict.ledger_status is not None:
            detail = t("st.ledger_says", status=t("card." + verdict.ledger_status.value))
        elif verdict.code is Sighting.FOUND and verdict.location:
            detail = t("st.at", where=verdict.location)
        app.show_verdict(code, detail, card_id=verdict.management_id)

    def handle_rejected(self, reason: str, *, device: str | None) -> bool:
        # A refused frame (12 digits, IME on, garbage) is on record as a reason code only.
        app = self.kiosk
        counter, actor = app.counter, app.user

        def recorded(seq: int | None) -> None:
            if seq is None:
                app.show_verdict("ledger_error", app.t("error.ledger"))

        mode = ScanMode.TAKE_OUT  # unused while a stocktake is open: the refusal is a stocktake scan's
        app.submit(lambda: counter.refusal(reason, actor=actor, mode=mode, device=device), recorded)
        return False

    # -- tray photos and RFID rounds ------------------------------------------------------------

    def record_batch(
        self,
        codes: Sequence[str],
        tags: Sequence[str],
        *,
        source: str,
        device: str | None,
        then: Callable[[BatchVerdict], None] | None = None,
    ) -> None:
        """Count a tray photo's codes or an RFID round's new tags (one transaction) and show the tally."""
        counter, actor = self.kiosk.counter, self.kiosk.user
        codes, tags = list(codes), list(tags)

        def counted(batch: BatchVerdict) -> None:
            self.present_batch(batch)
            self.schedule_refresh()
            if then is not None:
                then(batch)

        self.kiosk.submit(
            lambda: counter.count_many(codes, tags=tags, actor=actor, source=source, device=device), counted
        )

    def present_batch(self, batch: BatchVerdict) -> None:
        app = self.kiosk
        t = app.t
        parts = [
            f"{t('st.short.' + s.value)} {len(batch.ids(s))}"
            for s in (
                Sighting.FOUND,
                Sighting.MISPLACED,
                Sighting.UNEXPECTED,
                Sighting.UNKNOWN,
                Sighting.DUPLICATE,
            )
            if batch.ids(s)
        ]
        refused = sum(batch.refused.values())
        if refused:
            parts.append(f"{t('st.short.refused')} {refused}")
        if batch.unbound_tags:
            parts.append(f"{t('st.short.unbound')} {len(batch.unbound_tags)}")
        trouble = any(batch.ids(s) for s in (Sighting.MISPLACED, Sighting.UNEXPECTED, Sighting.UNKNOWN))
        code = "st_batch_warn" if trouble or refused else "st_batch"
        title = t("st.batch_title." + batch.source, n=batch.counted)
        app.show_verdict(code, "  ".join(parts) or t("st.batch_nothing"), title=title)

    def _instrument(self, kind: str) -> StocktakeInstrument | None:
        found = instruments(self.kiosk, kind)
        if not found:
            self.kiosk.show_verdict("device_problem", self.kiosk.t("st.no_instrument." + kind))
            return None
        return found[0]

    def action_tray(self) -> None:
        """撮影: a tray photo with the webcam, decoded in a worker thread."""
        if self.busy is not None:
            self.kiosk.notify(self.kiosk.t("st.busy"), severity="warning")
            return
        camera = self._instrument(TRAY)
        if camera is None:
            return
        self.busy = TRAY
        self._show_info()
        self.run_worker(
            partial(take_tray_photo, camera, self.post_message),
            name=f"tray:{camera.name}",
            group="stocktake-instrument",
            thread=True,
            exit_on_error=False,
        )

    def action_rfid(self) -> None:
        """RFID一括読取: inventory rounds until K rounds in a row add no tag (F4 again stops them)."""
        if self.busy == RFID:
            self.rfid_stop.set()
            return
        if self.busy is not None:
            self.kiosk.notify(self.kiosk.t("st.busy"), severity="warning")
            return
        reader = self._instrument(RFID)
        if reader is None:
            return
        self.busy = RFID
        self.rfid_round = 0
        self.rfid_counted = 0
        self.rfid_stop = threading.Event()
        self._show_info()
        self.run_worker(
            partial(
                run_rfid_rounds,
                reader,
                self.post_message,
                quiet_rounds=self.kiosk.settings.stocktake.rfid_quiet_rounds,
                stop=self.rfid_stop,
            ),
            name=f"rfid:{reader.name}",
            group="stocktake-instrument",
            thread=True,
            exit_on_error=False,
        )

    def on_tray_photo_taken(self, message: TrayPhotoTaken) -> None:
        self.busy = None
        self._show_info()
        coarse = message.coarse
        if coarse is None:
            self.record_batch(message.codes, [], source=SOURCE_TRAY, device=message.device)
            return
        # Too small to read: say so, with the resolution or nearness it needs, after counting what
        # was read anyway (the advice must be the last word on the screen, not the tally).
        w, h = coarse.size
        advice = self.kiosk.t(
            "st.tray_coarse",
            labels=coarse.labels,
            width=math.ceil(w * coarse.factor),
            height=math.ceil(h * coarse.factor),
            factor=f"{coarse.factor:.1f}",
        )

        def advise(_batch: BatchVerdict | None = None) -> None:
            self.kiosk.show_verdict("st_tray_coarse", advice)

        if message.codes:
            self.record_batch(message.codes, [], source=SOURCE_TRAY, device=message.device, then=advise)
        else:
            advise()

    def on_rfid_round_read(self, message: RfidRoundRead) -> None:
        self.rfid_round = message.round
        if message.new_tags:

            def tally(batch: BatchVerdict) -> None:
                self.rfid_counted += batch.counted

            self.record_batch([], message.new_tags, source=SOURCE_RFID, device=message.device, then=tally)
        self._show_info()

    def on_rfid_rounds_done(self, message: RfidRoundsDone) -> None:
        self.busy = None
        self._show_info()
        t = self.kiosk.t
        self.kiosk.show_verdict(
            "st_batch",
            t("st.rfid_done", rounds=message.rounds, seen=message.seen),
            title=t("st.batch_title.rfid", n=self.rfid_counted),
        )

    def on_instrument_failed(self, message: InstrumentFailed) -> None:
        self.busy = None
        self._show_info()
        self.kiosk.show_verdict("device_problem", self.kiosk.reason(message.reason), title=None)

    # -- other keys ------------------------------------------------------------------------------

    def action_help(self) -> None:
        from kiosk.tui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_back(self) -> None:
        """Back to the home screen; the stocktake stays open (F5 there resumes it)."""
        if self.busy is not None:
            self.kiosk.notify(self.kiosk.t("st.busy"), severity="warning")
            return
        self.app.pop_screen()

    def typed_id(self, text: str) -> None:
        self.record_scan(text, device=self.kiosk.desk.kiosk, source="manual")

    @work(exclusive=True, group="flow")
    async def action_finish(self) -> None:
        """点検完了: a decision for each missing card, then two people sign."""
        app = self.kiosk
        t = app.t
        if self.busy is not None:
            app.notify(t("st.busy"), severity="warning")
            return
        user = await app.ensure_user()
        if user is None:
            return
        try:
            # Every missing card, for the decisions: on the ledger thread, after every scan before F8.
            result = await app.call(lambda: app.desk.reconcile(self.stocktake.id))
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        decisions: dict[str, MissingDecision] = {}
        if result.missing:
            chosen = await app.push_screen_wait(DecideMissingModal(result.missing, self.kept_decisions))
            if chosen is None:
                return
            decisions = chosen
        witness = await app.push_screen_wait(SignInModal("st.sign_second", exclude_id=user.id))
        if witness is None:
            return
        await self.sign(user, witness, decisions)

    async def sign(
        self, user: StaffMember, witness: StaffMember, decisions: dict[str, MissingDecision]
    ) -> None:
        app = self.kiosk
        t = app.t
        try:
            outcome = await app.call(lambda: app.counter.finish_stocktake(decisions, user, witness))
        except DecisionError as exc:
            app.show_verdict("st_undecided", t("st.decision_error." + exc.reason, n=len(exc.cards)))
            self.refresh_all()
            return
        except TwoPersonError as exc:
            app.show_verdict(
                "two_person",
                app.t("signin.need_officer") if exc.reason == "need_officer" else app.explain(exc),
            )
            return
        except StocktakeError as exc:
            app.show_verdict("wrong_status", app.explain(exc))
            return
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        if outcome.kind is FinishKind.SEARCH_AGAIN or outcome.result is None:
            # Finishing is all or nothing: keep the other decisions for the next F8.
            self.kept_decisions = dict(decisions)
            app.show_verdict("st_search_again", t("st.search_again_done", n=len(outcome.search_again)))
            self.refresh_all()
            return
        result = outcome.result
        app.refresh_counts()
        reports = await app.call(self.write_reports)
        view = await app.call(lambda: app.desk.get_stocktake(self.stocktake.id)) or self.stocktake
        await app.push_screen_wait(StocktakeDoneModal(view, result, decisions, reports, (user, witness)))
        app.pop_screen()
        app.show_verdict("st_finished", t("st.finished", id=self.stocktake.id))

    def write_reports(self) -> list[str]:
        """The stocktake report, filed as PDF in the reports folder and printed, and beside it as CSV.

        Returns the lines the finished dialog shows: each file kept, and whether the paper printed.
        """
        from kiosk.reports.fonts import FontMissing
        from kiosk.reports.printing import Paper, PrintProblem, file_paper, paper_path
        from kiosk.reports.stocktake_report import write_stocktake_report

        app = self.kiosk
        desk, settings, sid = app.desk, app.settings, self.stocktake.id
        # OSError: the report file itself could not be written (the ledger's failures are StorageError).
        failures = (FontMissing, StocktakeError, StorageError, OSError)
        lines: list[str] = []
        pdf: Path | None = None
        try:
            filed = file_paper(
                settings,
                Paper.STOCKTAKE_REPORT,
                str(sid),
                lambda path: write_stocktake_report(desk, sid, path, font_file=settings.reports.font_file),
            )
        except failures:
            lines.append(app.t("print.not_written"))
        else:
            pdf = filed.pdf
            lines.append(str(filed.pdf))
            if filed.printed:
                lines.append(app.t("st.report_printed", queue=filed.queue))
            elif filed.problem is PrintProblem.NO_PRINTER:
                lines.append(app.t("st.report_not_printed"))
            else:
                log.warning("stocktake report %s kept, not printed: %s", sid, filed.detail)
                lines.append(app.t("st.report_print_failed", queue=filed.queue))
        try:
            # Beside its PDF, under the same name.
            csv = (pdf or paper_path(settings, Paper.STOCKTAKE_REPORT, str(sid))).with_suffix(".csv")
            write_stocktake_report(desk, sid, csv)
        except failures:
            return lines
        lines.append(str(csv))
        return lines


class DecideMissingModal(KioskModal[dict[str, MissingDecision] | None]):
    """A person decides each missing card: S search again, M record missing (note), F found elsewhere
    (note). Enter is refused while a card has no decision."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("s", "decide('search_again')", "st.decision.search_again"),
        Binding("m", "decide('record_missing')", "st.decision.record_missing"),
        Binding("f", "decide('found_elsewhere')", "st.decision.found_elsewhere"),
        Binding("enter", "confirm", "st.decide_confirm"),
    ]

    def __init__(
        self, missing: Sequence[ResultLine], previous: Mapping[str, MissingDecision] | None = None
    ) -> None:
        super().__init__()
        self.missing = list(missing)
        still = {line.management_id for line in self.missing}
        # Decisions made before a "search again" stand; the cards searched for are decided anew.
        self.decisions: dict[str, MissingDecision] = {
            mid: d
            for mid, d in (previous or {}).items()
            if mid in still and d.decision is not Decision.SEARCH_AGAIN
        }

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(classes="dialog", id="st-decide"):
            yield Static(t("st.decide_title", n=len(self.missing)), classes="dialog-title")
            yield Static(t("st.decide_help"), classes="label")
            yield DataTable(id="st-decisions", cursor_type="row", zebra_stripes=True)
            yield Static("", id="message")
            yield Static(t("st.decide_keys"), classes="hint")

    def on_mount(self) -> None:
        t = self.kiosk.t
        table = self.query_one(DataTable)
        table.add_column(t("col.id"), key="id")
        table.add_column(t("st.col.expected_at"), key="where")
        table.add_column(t("st.col.decision"), key="decision", width=18)
        table.add_column(t("st.col.note"), key="note", width=34)
        for line in self.missing:
            known = self.decisions.get(line.management_id)
            decision = t(DECISION_KEYS[known.decision]) if known else "―"
            note = known.note if known else ""
            table.add_row(
                *cells(
                    line.management_id,
                    place_label(line.expected_location, self.kiosk.language),
                    decision,
                    note,
                ),
                key=line.management_id,
            )
        table.focus()

    def _current(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.missing:
            return None
        return self.missing[min(table.cursor_row, len(self.missing) - 1)].management_id

    @work(exclusive=True, group="decide")
    async def action_decide(self, decision: str) -> None:
        mid = self._current()
        if mid is None:
            return
        choice = Decision(decision)
        note = ""
        if choice is not Decision.SEARCH_AGAIN:
            t = self.kiosk.t
            entered = await self.kiosk.push_screen_wait(
                EntryModal(t(DECISION_KEYS[choice]), t("st.note_prompt." + choice.value, id=mid))
            )
            if not entered:
                return
            note = entered
        self.decisions[mid] = MissingDecision(choice, note)
        table = self.query_one(DataTable)
        table.update_cell(mid, "decision", cell(self.kiosk.t(DECISION_KEYS[choice])))
        table.update_cell(mid, "note", cell(note))
        if table.cursor_row < len(self.missing) - 1:
            table.move_cursor(row=table.cursor_row + 1)
        self._say("")

    def action_confirm(self) -> None:
        undecided = [line.management_id for line in self.missing if line.management_id not in self.decisions]
        if undecided:
            self._say(self.kiosk.t("st.undecided", n=len(undecided)), error=True)
            self.kiosk.ring(2)
            return
        self.dismiss(dict(self.decisions))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        # Enter on the table is the same as Enter on the dialog.
        event.stop()
        self.action_confirm()

    def _say(self, text: str, *, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(plain(("✖ " if error else "") + text))
        message.set_class(error, "-error")


class StocktakeDoneModal(KioskModal[None]):
    """The signed result (点検結果): counts, decisions, who signed, and where the report was written."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        Binding("enter", "cancel", "key.back", show=False),
    ]

    def __init__(
        self,
        view: StocktakeView,
        result: StocktakeResult,
        decisions: dict[str, MissingDecision],
        reports: Sequence[str],
        people: tuple[StaffMember, StaffMember],
    ) -> None:
        super().__init__()
        self.view = view
        self.result = result
        self.decisions = decisions
        self.reports = list(reports)
        self.people = people

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        r = self.result
        lines = [
            t("st.done_people", a=self.people[0].display, b=self.people[1].display),
            t("st.found", found=r.found, expected=r.expected),
            t(
                "st.done_lists",
                misplaced=len(r.misplaced),
                unexpected=len(r.unexpected),
                unknown=len(r.unknown),
            ),
        ]
        for mid, d in sorted(self.decisions.items()):
            lines.append(f"  {mid}: {t(DECISION_KEYS[d.decision])}  {d.note}")
        lines.append("")
        if self.reports:
            lines.append(t("st.report_written"))
            lines += [f"  {p}" for p in self.reports]
        lines.append(t("st.report_cli", id=self.view.id))
        with Vertical(classes="dialog"):
            yield Static("✔ " + t("st.done_title", id=self.view.id), classes="dialog-title")
            yield Static(plain("\n".join(lines)), id="st-done")
            yield Static(t("st.done_hint"), classes="hint")


def _others(glance: StocktakeGlance) -> tuple[object, ...]:
    """What the right-hand list shows, to tell whether it changed."""
    p = glance.progress
    return (
        p.unexpected,
        p.unknown,
        p.misplaced,
        p.duplicates,
        glance.unexpected,
        glance.unknown,
        glance.misplaced,
        glance.duplicates,
    )
