"""`KioskApp`: wires devices, the ledger and the screens together; the screens own the flows.

The app discovers nothing: `kiosk.app_factory.make_app(settings)` builds the devices and how to open the
ledger, tests pass simulator devices, a temporary ledger and a frozen clock.

Start-up (`kiosk run`, `kiosk demo`): the home screen comes first, saying 起動確認中, and the ledger is
opened on the ledger thread behind it (SQLAlchemy, migrations, the start-up check against the anchors,
the open session). Until that has passed, every scan and every key that would touch the ledger is
refused with that message; a refused check stays on screen in red and every later act is refused. This
module therefore imports nothing of the core at load time: the core's imports happen on that thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
import termios
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive

from drivers.contract import DeviceStatus, ScanDevice
from kiosk.domain.card_state import OFFICE_TZ
from kiosk.domain.safe_door import Door, SafeState
from kiosk.domain.safe_session import ChecklistIncomplete, is_overdue
from kiosk.domain.staff import StaffMember
from kiosk.runtime import settle_heap
from kiosk.texts import device_reason_text, translate
from kiosk.tui.devices import DeviceLink, device_loop
from kiosk.tui.messages import (
    DeviceLost,
    DeviceStatusChanged,
    SafeIoReported,
    ScanArrived,
    ScanRejected,
    ScanTarget,
)
from kiosk.tui.safe_io_link import SafeIoLink, safe_io_loop
from kiosk.tui.safe_text import notify
from kiosk.tui.widgets import StatusSnapshot

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.demo.sim import DemoRig
    from kiosk.desk import Desk
    from kiosk.desk.alerts import AlerterThread
    from kiosk.desk.counter import Counter, Resumed
    from kiosk.desk.views import Ledger, SessionView

log = logging.getLogger(__name__)
T = TypeVar("T")

Clock = Callable[[], datetime]
ALARM_RING_EVERY_S = 5  # the forced-door alarm rings again this often until acknowledged
COUNTS_EVERY_S = 15  # counts change only through this kiosk's writes (refreshed then) or another kiosk's


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _warm_screens() -> None:
    """What the first badge or scan needs, imported on the reader thread behind the start rather than
    on the UI thread at the clerk's first scan."""
    import kiosk.tui.screens.session
    import kiosk.tui.screens.signin  # noqa: F401


@dataclass
class Opened:
    """What opening the ledger at start-up gives the app (returned by its `opener`, on the ledger
    thread): the ledger, which passed its start-up check, and what could only be built with it (the
    demo's rig and its simulated devices)."""

    ledger: Ledger
    devices: Sequence[ScanDevice] = ()
    demo: DemoRig | None = None
    safe_io: Any | None = None
    # Devices needed only later (the demo's stocktake camera and UHF reader: numpy, OpenCV, decoders),
    # built on the reader thread once scans are taken, so they do not hold up the start-up.
    later: Callable[[], Sequence[ScanDevice]] | None = None


class KioskApp(App[None]):
    """The kiosk at the safe. Construct with devices, a ledger, settings and (for tests) a clock."""

    CSS_PATH = "kiosk.tcss"
    TITLE = "Card safe kiosk"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f12", "demo_pad", "key.demo", show=False, priority=True),
        # The forced-door alarm is acknowledged from any screen (a supervisor, with a reason).
        Binding("f11", "acknowledge_alarm", "key.ack_alarm", show=False, priority=True),
        Binding("ctrl+q", "quit", "key.quit", show=False, priority=True),
    ]

    status: reactive[StatusSnapshot] = reactive(StatusSnapshot, init=False)

    # The ledger and the core over it: given at construction, or set once `opener` has run at start-up.
    ledger: Ledger
    desk: Desk
    counter: Counter

    def __init__(
        self,
        *,
        devices: Sequence[ScanDevice],
        settings: Settings,
        ledger: Ledger | None = None,
        opener: Callable[[], Opened] | None = None,
        clock: Clock | None = None,
        demo: DemoRig | None = None,
        expects_demo: bool = False,
        training: bool | None = None,
        safe_io: Any | None = None,
    ) -> None:
        """Either `ledger` (opened and checked by the caller: tests, tools) or `opener` (run on the
        ledger thread once the home screen is up: the kiosk's own start). `expects_demo`: the opener
        brings the demo's rig (its panel is drawn from the start)."""
        super().__init__()
        if (ledger is None) == (opener is None):
            raise TypeError("KioskApp takes a ledger or an opener (one of the two)")
        self._opener = opener
        # While the start-up check runs nothing may reach the ledger; `refusal`: it refused the ledger.
        self.checking = opener is not None
        self.refusal: str | None = None
        self.refusal_code = 0  # the exit status `kiosk run` ends with after a refusal (3, or 2)
        self._after_start: list[Callable[[], object]] = []  # ledger work that waits for the check
        # What the opener opened, as soon as it has (the ledger thread): released after the run even
        # when the kiosk was closed before the app could take it up.
        self.opened: Opened | None = None
        # The app is closing: what the start-up threads hand over now (devices) is not started.
        self._stopping = False
        self.settings = settings
        self.clock: Clock = clock or (ledger.clock if ledger is not None else _utc_now)
        self.demo = demo
        self.expects_demo = expects_demo or demo is not None
        self.training = settings.kiosk.training if training is None else training
        self.language: str = settings.kiosk.language
        self.links: dict[str, DeviceLink] = {d.name: DeviceLink(d) for d in devices}
        # The safe's door/lock module (`drivers.safe_io.device.SafeIo`), when the site has one.
        self.safe_link = SafeIoLink(safe_io) if safe_io is not None else None
        self.safe = SafeState()  # the door, lock and alarms as the core last reported them
        if ledger is not None:
            self._use_ledger(ledger)
        # Every ledger call runs here, one at a time and in order, never on the UI thread: the screen
        # stays live during a 100,000-card reconcile, and scans are committed in the order they came.
        self._ledger_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        # Long reads (a stocktake's reconcile, the lists) run beside the writes, so a scan's verdict
        # never waits behind a 100,000-card reconcile (SQLite WAL: readers do not block the writer).
        self._reader_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-read")
        self.last_activity = self.clock()
        self.bells_rung: list[int] = []  # the bell pattern of each verdict, for tests and the demo log
        self._counts = (0, 0)
        self._ticks = 0
        self._overdue_alerted = False
        self.alerts: AlerterThread | None = None
        self._device_problem: str | None = None  # the device whose disconnect the verdict panel shows

    def _use_ledger(self, ledger: Ledger) -> None:
        """The application core, and the station state the screens share with the headless runner."""
        from kiosk.desk import Desk
        from kiosk.desk.counter import Counter

        self.ledger = ledger
        self.desk = Desk(ledger, settings=self.settings)
        self.counter = Counter(self.desk)

    # -- the UI's state --------------------------------------------------------------------------

    # The person signed in and the open session are the UI thread's: the screens read them, and pass
    # the person to the counter with each call (the counter's own state lives on the ledger thread).
    user: StaffMember | None = None
    session: SessionView | None = None

    # -- the ledger worker ----------------------------------------------------------------------

    def submit(
        self,
        work: Callable[[], T],
        then: Callable[[T], None] | None = None,
        *,
        read: bool = False,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Future[T]:
        """Run `work` on the ledger thread (`read`: on the reader thread); `then(result)` runs on the UI
        thread afterwards. A failure is shown as a verdict (or given to `failed`, on the UI thread,
        instead); `then` is then not called.
        """
        future = (self._reader_thread if read else self._ledger_thread).submit(work)
        if then is not None or failed is not None:
            loop = asyncio.get_running_loop()
            # The callback runs in the caller's context (Textual's active app and screen), and is
            # only scheduled, never waited for: the ledger thread never blocks on the UI.
            context = contextvars.copy_context()

            def done(f: Future[T]) -> None:
                if f.cancelled():
                    return
                exc = f.exception()
                try:
                    if exc is not None:
                        shown = failed or partial(self.ledger_failed, reading=read)
                        loop.call_soon_threadsafe(shown, exc, context=context)
                    elif then is not None:
                        loop.call_soon_threadsafe(then, f.result(), context=context)
                except RuntimeError:
                    log.debug("the app closed before a ledger result could be shown")

            future.add_done_callback(done)
        return future

    async def call(self, work: Callable[[], T]) -> T:
        """Await `work` run on the ledger thread (for the flows that are async workers)."""
        return await asyncio.wrap_future(self.submit(work))

    def ledger_failed(self, exc: BaseException, *, reading: bool = False) -> None:
        """Show a failed ledger call as a verdict (storage: the one Japanese line; else its message).

        `reading`: the call only read, so the clerk is told it could not be read, not that something
        was not recorded (which would send them looking for a write that never was).
        """
        from kiosk.desk import StorageError

        if self.refusal is not None:
            # The ledger was refused at start-up: nothing reached it; the refusal stays on screen.
            log.debug("ledger call after a refused start: %s", type(exc).__name__)
            return
        if isinstance(exc, StorageError):
            log.error("ledger call failed: %s", getattr(exc, "reason", type(exc).__name__))
            if exc.code == "replaced":
                # The kiosk stops recording (every later unit is refused the same way).
                self.show_verdict("ledger_error", self.t("error.ledger_replaced"))
            elif reading:
                self.show_verdict("ledger_read_error", self.t("error.ledger_read"))
            else:
                self.show_verdict("ledger_error", self.t("error.ledger"))
            return
        log.error("ledger call failed: %s", type(exc).__name__)
        self.show_verdict("wrong_status", self.explain(exc))

    # -- language -------------------------------------------------------------------------------

    def t(self, key: str, **values: object) -> str:
        """Screen text in the current language."""
        return translate(self.language, key, **values)

    def set_language(self, language: str) -> None:
        """Switch the screen language and redraw every screen."""
        if language == self.language:
            return
        self.language = language
        for screen in self.screen_stack:
            screen.refresh(recompose=True)
        self.refresh_status()

    # -- start and stop -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.title = self.t("app.title")
        from kiosk.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen())
        self.set_interval(1.0, self.tick)
        self.refresh_status()
        if self._opener is None:
            self._ledger_ready()
            return
        # The configured devices read from now on: a scan during the check reaches the app and is
        # refused with the reason (never dropped unseen by a port nobody has open).
        for name in self.links:
            self.start_device(name)
        # After the first frame: the home screen is drawn before the core's imports compete for the GIL.
        self.call_after_refresh(self._open_ledger)

    def _open_ledger(self) -> None:
        """Open the ledger on the ledger thread (first in its queue, so every later ledger call runs
        after it): imports, migrations, the start-up check, and the core over it."""
        opener = self._opener
        assert opener is not None

        def open_ledger() -> Opened:
            opened = self.opened = opener()
            self._use_ledger(opened.ledger)
            return opened

        self.submit(open_ledger, self._ledger_opened, failed=self._start_refused)

    def _ledger_opened(self, opened: Opened) -> None:
        """The start-up check passed (UI thread): the demo's rig and devices join, then the usual start."""
        if self._stopping:
            return  # closed during the check: the caller releases what was opened (`opened`)
        if opened.demo is not None:
            from kiosk.tui.widgets import DemoPanel

            self.demo = opened.demo
            for screen in self.screen_stack:
                for panel in screen.query(DemoPanel):
                    panel.refresh(recompose=True)
        for device in opened.devices:
            self.links[device.name] = DeviceLink(device)
        if opened.safe_io is not None:
            self.safe_link = SafeIoLink(opened.safe_io)
        self._ledger_ready()

    def _after_check(self) -> None:
        """Once scans are taken: on the reader thread, what the first badge needs and the devices that
        could wait (neither holds up the start nor the ledger thread)."""
        self._reader_thread.submit(_warm_screens)
        if self._opener is not None and self.ledger is not None:
            # The kiosk's own start (not a test's ledger): the WAL grown once now, so that the day's
            # first commits overwrite it rather than grow it (on its own connection: a scan waits at
            # most for its rolled-back write, ~50 ms, never for its fsync).
            from kiosk.desk.admin import grow_wal

            self._reader_thread.submit(grow_wal, self.ledger)
        later = self.opened.later if self.opened is not None else None
        if later is not None:
            self.submit(later, self._add_devices, read=True, failed=self._later_failed)

    def _add_devices(self, devices: Sequence[ScanDevice]) -> None:
        for device in devices:
            self.links[device.name] = DeviceLink(device)
            self.start_device(device.name)
        self.refresh_status()

    def _later_failed(self, exc: BaseException) -> None:
        log.warning("devices built after the start failed: %s", type(exc).__name__)

    def _start_refused(self, exc: BaseException) -> None:
        """The ledger could not be opened or the start-up check refused it: the red refusal stays, and
        every scan and act is refused (`kiosk run` exits with its status when the kiosk is closed)."""
        self.checking = False
        self.refusal = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        self.refusal_code = int(getattr(exc, "code", 3))
        self._after_start.clear()
        log.error("the kiosk cannot use the ledger: %s", self.refusal)
        self.show_refusal()

    def show_refusal(self) -> None:
        """The start-up refusal in red (Japanese, with the line the supervisor's runbook reads)."""
        self.show_verdict("start_refused", self.t("start.refused") + "\n" + (self.refusal or ""))

    def usable(self) -> bool:
        """Whether the ledger may be used now; if not, says why (checking, or refused) and rings."""
        if self.refusal is not None:
            self.show_refusal()
            return False
        if self.checking:
            self.show_verdict("start_wait", self.t("start.wait"))
            return False
        return True

    def _ledger_ready(self) -> None:
        """The ledger is open and checked: the counts, the open session, then the devices and alerts."""
        from kiosk.desk.alerts import start_alerter
        from kiosk.tui.screens.home import HomeScreen
        from kiosk.tui.screens.session import SessionScreen

        self.refresh_counts()
        # Behind the opening in the ledger thread's queue, in the order they came.
        for waiting in self._after_start:
            self.submit(waiting)
        self._after_start.clear()

        def resumed(found: Resumed | None = None) -> None:
            self.session = found.session if found is not None else None
            if self.checking:
                # Open for use only now, with the screen of what is open at this kiosk on top.
                self.checking = False
                for screen in self.screen_stack:
                    if isinstance(screen, HomeScreen):
                        screen.started()
                self._after_check()
            if self.session is not None:
                # A restart with a session still open resumes it: the safe is physically open.
                self.push_screen(SessionScreen())
            # Start-up is done: its objects leave the collector's walk (a pause of 50 ms in a scan).
            settle_heap()
            # Only now the devices (those of `kiosk run` read since the mount, and were refused until
            # here): a scan must find the screen of what is open at this kiosk.
            for name in self.links:
                self.start_device(name)
            self.start_safe_io()
            self.refresh_status()

        def not_resumed(exc: BaseException) -> None:
            log.error("cannot read the open session: %s", getattr(exc, "reason", type(exc).__name__))
            self.session = None
            resumed()

        # Once, at start: what the ledger says is open at this kiosk (on the ledger thread, where the
        # counter's state changes, ahead of any write).
        self.submit(self.counter.resume, resumed, failed=not_resumed)
        self.refresh_status()
        # Alerts by e-mail/webhook ([alerts]): a thread of their own, never the UI or the ledger thread.
        self.alerts = start_alerter(self.desk, clock=self.clock)

    def on_unmount(self) -> None:
        self._stopping = True
        if self.alerts is not None:
            self.alerts.stop()
        for link in self.links.values():
            link.stop.set()
        if self.safe_link is not None:
            self.safe_link.stop.set()
        self._ledger_thread.shutdown(wait=True, cancel_futures=False)
        self._reader_thread.shutdown(wait=True, cancel_futures=True)

    # -- devices --------------------------------------------------------------------------------

    @property
    def terminal_wedge(self) -> Any | None:
        """The device fed by this terminal's key events (a `KeyboardWedge`), if configured."""
        for link in self.links.values():
            if hasattr(link.device, "feed_key") and hasattr(link.device, "feed_paste"):
                return link.device
        return None

    def start_device(self, name: str) -> None:
        """Start (or restart) the worker thread of one device."""
        link = self.links[name]
        link.timer = None
        if link.running or link.stop.is_set() or self._stopping:
            return
        if link.failures:
            self._set_device_status(name, DeviceStatus.RECONNECTING)
        link.running = True
        self.run_worker(
            partial(device_loop, link, self.post_message),
            name=f"device:{name}",
            group="devices",
            thread=True,
            exit_on_error=False,
        )

    def on_device_status_changed(self, message: DeviceStatusChanged) -> None:
        link = self.links.get(message.device)
        if link is None:
            return
        if message.status is DeviceStatus.ONLINE:
            if link.failures:
                # Back after being offline: on the chain, so the supervisor's alert clears.
                self.record_device(message.device, online=True)
                self.clear_device_problem(message.device)
            link.failures = 0
        self._set_device_status(message.device, message.status)

    def on_device_lost(self, message: DeviceLost) -> None:
        link = self.links.get(message.device)
        if link is None:
            return
        link.running = False
        was_online = link.status is DeviceStatus.ONLINE
        link.failures += 1
        if was_online or link.failures == 1:
            self.record_device(message.device, online=False, reason=message.detail or "offline")
        self._set_device_status(message.device, DeviceStatus.OFFLINE)
        if was_online:
            log.warning("%s lost: %s", message.device, message.detail)
            self.show_verdict("device_problem", self.reason("device_lost"), title=None, device=message.device)
            self._device_problem = message.device
        elif link.failures == 1:
            # Absent from the start (unplugged, wrong path, no permission): say why, once.
            why = device_reason_text(message.detail, self.language)
            self.show_verdict("device_problem", f"{message.device}: {why}", title=None)
            self._device_problem = message.device
        if not link.stop.is_set():
            link.timer = self.set_timer(link.next_delay(), partial(self.start_device, message.device))

    # -- the safe's door and lock ---------------------------------------------------------------

    def start_safe_io(self) -> None:
        """Hand the module to the core (which reads the state on record), then start its reader thread."""
        link = self.safe_link
        if link is None:
            return

        def watched(state: SafeState) -> None:
            self.show_safe(state)
            self.run_worker(
                partial(safe_io_loop, link, self.post_message),
                name=f"device:{link.name}",
                group="devices",
                thread=True,
                exit_on_error=False,
            )

        self.submit(lambda: self.desk.watch_safe(link.device, module=link.name), watched)

    def on_safe_io_reported(self, message: SafeIoReported) -> None:
        # The core decides what the report means (forced? recorded?), in order on the ledger thread.
        event = message.event
        self.submit(lambda: self.desk.observe_safe(event), self.safe_outcome)

    def safe_outcome(self, outcome: Any) -> None:
        """Show what the core recorded for a report of the module (`SafeOutcome`)."""
        from kiosk.domain.events import EventKind

        if outcome is None:
            return
        recorded = set(outcome.recorded)
        self.show_safe(outcome.state)
        if outcome.alarm_raised:
            log.warning("safe door forced: alarm shown")
            self.show_verdict("door_alarm", self.t("alarm.forced", since=self.status.door_alarm_since or ""))
        elif EventKind.SAFE_DOOR_LEFT_OPEN in recorded:
            self.show_verdict(
                "door_left_open", self.t("alarm.left_open", limit=int(self.desk.door_open_limit_s))
            )
        elif EventKind.SAFE_IO_OFFLINE in recorded:
            self.show_verdict("module_offline", self.t("alarm.offline"))
        elif EventKind.SAFE_IO_ONLINE in recorded and self.safe.online is True:
            notify(self, self.t("alarm.online"))

    def show_safe(self, state: SafeState) -> None:
        """The door, lock and alarm on every screen (status bar and banner)."""
        self.safe = state
        self.refresh_status()

    @work(exclusive=True, group="alarm")
    async def action_acknowledge_alarm(self) -> None:
        """F11: a supervisor acknowledges the forced-door alarm, with a reason (on record)."""
        if not self.usable():
            return
        from kiosk.desk import NotAllowed, StorageError
        from kiosk.domain.management_id import Refusal
        from kiosk.domain.staff import Role
        from kiosk.tui.screens.dialogs import EntryModal
        from kiosk.tui.screens.signin import SignInModal

        if not self.safe.alarms:
            # No door alarm: the other alert a supervisor ends here is a restore (issue 22).
            await self.acknowledge_restore()
            return
        member = await self.push_screen_wait(SignInModal("alarm.supervisor", role=Role.SUPERVISOR))
        if member is None:
            return
        reason = await self.push_screen_wait(
            EntryModal(self.t("alarm.ack_title"), self.t("alarm.ack_reason"))
        )
        if not reason:
            return
        try:
            state = await self.call(lambda: self.desk.acknowledge_door_alarm(member, reason))
        except (NotAllowed, Refusal) as exc:
            self.show_verdict("not_allowed", str(exc))
            return
        except StorageError:
            self.show_verdict("ledger_error", self.t("error.ledger"))
            return
        self.show_safe(state)
        self.show_verdict("alarm_acknowledged", self.t("alarm.acknowledged"))

    async def acknowledge_restore(self) -> None:
        """F11 with no door alarm: a supervisor acknowledges the oldest restore not yet acknowledged
        (its alert on the daily close and the supervisor's page ends; on record)."""
        from kiosk.desk import NotAllowed, StorageError
        from kiosk.domain.staff import Role
        from kiosk.tui.screens.signin import SignInModal

        try:
            pending = await self.call(self.desk.unacknowledged_restores)
        except StorageError:
            self.show_verdict("ledger_read_error", self.t("error.ledger"))
            return
        if not pending:
            notify(self, self.t("alarm.none"))
            return
        oldest = pending[0]
        when = oldest.at.astimezone(OFFICE_TZ).strftime("%m/%d %H:%M")
        self.show_verdict("restore_pending", self.t("restore.ack_prompt", time=when, dropped=oldest.dropped))
        member = await self.push_screen_wait(
            SignInModal(
                "restore.supervisor",
                role=Role.SUPERVISOR,
                prompt_values={"time": when, "dropped": oldest.dropped},
                clear_verdict=False,  # the restore's facts stay in view while the supervisor signs in
            )
        )
        if member is None:
            return
        try:
            await self.call(lambda: self.desk.acknowledge_restore(member, oldest.seq))
        except NotAllowed as exc:
            self.show_verdict("not_allowed", self.reason(exc.reason))
            return
        except ValueError:
            notify(self, self.t("alarm.none"))  # acknowledged meanwhile, at another kiosk
            return
        except StorageError:
            self.show_verdict("ledger_error", self.t("error.ledger"))
            return
        self.show_verdict("restore_ok", self.t("restore.acknowledged", left=len(pending) - 1))

    def clear_device_problem(self, device: str) -> None:
        """The device that was lost is back: its disconnect verdict goes (a stale alarm teaches nothing)."""
        from kiosk.tui.widgets import VerdictPanel

        if self._device_problem != device:
            return
        self._device_problem = None
        for screen in reversed(self.screen_stack):
            panels = screen.query(VerdictPanel)
            if panels:
                panel = panels.first()
                if panel.code == "device_problem":
                    panel.reset()
                break
        notify(self, self.t("device.back", device=device))

    def record_device(self, device: str, *, online: bool, reason: str = "") -> None:
        """A device going offline or coming back, on the chain (the supervisor's alert). During the
        start-up check it waits for the ledger; after a refused start there is no ledger to write."""
        if self.refusal is not None:
            return

        def record() -> None:
            self.desk.record_device(device, online=online, reason=reason)

        if self.checking:
            self._after_start.append(record)
        else:
            self.submit(record)

    def _set_device_status(self, name: str, status: DeviceStatus) -> None:
        self.links[name].status = status
        self.refresh_status()

    # -- scans ----------------------------------------------------------------------------------

    def on_scan_arrived(self, message: ScanArrived) -> None:
        self.note_activity()
        self.route_scan(message.scan.code, device=message.device, source=message.scan.symbology.value)

    def route_scan(self, text: str, *, device: str | None, source: str | None) -> None:
        """Give a scan to the screen on top (a modal waiting for a badge, the session screen, …).

        During the start-up check a scan is refused at once, with the reason: what it means depends on
        what the ledger says is open, and a verdict seconds later, for a card already put down, could
        be read as the verdict of the next one. The clerk scans it again when the screen says ready.
        """
        if not self.usable():
            log.info("scan from %s refused: the start-up check has not passed", device or "keyboard")
            return
        screen = self.screen
        if not isinstance(screen, ScanTarget) or not screen.handle_scan(text, device=device, source=source):
            self.notify(self.t("scan.not_here"), severity="warning")
            self.ring(2)

    def on_scan_rejected(self, message: ScanRejected) -> None:
        self.note_activity()
        screen = self.screen
        if not isinstance(screen, ScanTarget) or not screen.handle_rejected(
            message.reason, device=message.device
        ):
            code = "device_problem" if message.reason in DEVICE_REASONS else "refused_input"
            self.show_verdict(code, self.reason(message.reason), device=message.device)

    def explain(self, exc: BaseException) -> str:
        """Why an act was refused, in the screen's language: the catalogue's words for the exception's
        reason code (a two-person rule, an unconfirmed checklist …), never an English message on a
        Japanese screen (the message stays for the English screen and the log)."""
        if self.language == "en":
            return str(exc)
        if isinstance(exc, ChecklistIncomplete):
            return self.t("check.incomplete")
        code = getattr(exc, "reason", None)
        if isinstance(code, str) and code:
            return self.reason(code)
        return self.t("error.generic", reason=self.t("error.not_now"))

    def reason(self, code: str) -> str:
        from kiosk.texts import reason_text

        return reason_text(code, self.language)

    def show_verdict(
        self, code: str, detail: str = "", *, card_id: str | None = None, title: str | None = None, **_: Any
    ) -> None:
        """Show a verdict on the top-most screen that has a verdict panel, and ring its bell pattern."""
        from kiosk.texts import look
        from kiosk.tui.widgets import VerdictPanel

        for screen in reversed(self.screen_stack):
            panels = screen.query(VerdictPanel)
            if panels:
                panels.first().show(code, detail, card_id=card_id, title=title)
                break
        else:
            notify(self, detail or code)
        self.ring(look(code).bells)

    def reset_verdict(self) -> None:
        """The top verdict panel goes back to its hint (a dialog that asks for input is opening)."""
        from kiosk.tui.widgets import VerdictPanel

        for screen in reversed(self.screen_stack):
            panels = screen.query(VerdictPanel)
            if panels:
                panels.first().reset()
                return

    def ring(self, times: int) -> None:
        """The terminal bell, `times` times (a distinct pattern per kind of verdict)."""
        self.bells_rung.append(times)
        for i in range(times):
            if i == 0:
                self.bell()
            else:
                self.set_timer(0.18 * i, self.bell)

    # -- people ---------------------------------------------------------------------------------

    def note_activity(self) -> None:
        self.last_activity = self.clock()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.Paste):
            self.note_activity()
        await super().on_event(event)

    def sign_in(self, member: StaffMember) -> None:
        self.user = member
        self.note_activity()
        self.refresh_status()

    def sign_out(self, reason_key: str = "signin.signed_out") -> None:
        if self.user is None:
            return
        self.user = None
        self.refresh_status()
        self.show_verdict("info", self.t(reason_key), title=self.t(reason_key))

    @work(exclusive=True, group="flow")
    async def action_sign_in(self) -> None:
        if self.usable():
            await self.ensure_user(force=True)

    async def ensure_user(
        self, *, force: bool = False, badge: str | None = None, clear_verdict: bool = True
    ) -> StaffMember | None:
        """The signed-in member of staff; asks for a badge and PIN first when nobody is (in a worker).

        `clear_verdict=False`: the caller cleared the verdict when the badge was read (a scan behind
        the badge may already have its own verdict, which stays).
        """
        from kiosk.tui.screens.signin import SignInModal

        if self.user is not None and not force:
            return self.user
        member = await self.push_screen_wait(
            SignInModal("signin.first", badge=badge, clear_verdict=clear_verdict)
        )
        if member is not None:
            self.sign_in(member)
            self.show_verdict("signed_in", member.display)
        return member

    def action_sign_out(self) -> None:
        self.sign_out()

    # -- status ---------------------------------------------------------------------------------

    def refresh_counts(self) -> None:
        if getattr(self, "desk", None) is None or self.refusal is not None:
            return  # no ledger yet (the start-up check), or none at all (refused)

        def counted(counts: tuple[int, int]) -> None:
            self._counts = counts
            self.refresh_status()

        self.submit(self.desk.status_counts, counted, read=True)

    def refresh_session(self) -> None:
        """Read again what is open at this kiosk (the counter's state too, on the ledger thread)."""

        def found(now: Resumed) -> None:
            self.session = now.session
            self.refresh_status()

        self.submit(self.counter.resume, found)

    def refresh_status(self) -> None:
        now = self.clock()
        overdue = None
        if self.session is not None and is_overdue(
            self.session.opened_at, now, self.settings.session.max_open_minutes
        ):
            overdue = int((now - self.session.opened_at).total_seconds() // 60)
        self.status = StatusSnapshot(
            devices=tuple((name, link.status) for name, link in self.links.items()),
            device_reasons=tuple((name, link.reason) for name, link in self.links.items() if link.reason),
            session_id=self.session.id if self.session else None,
            session_since=self.session.opened_at.astimezone(OFFICE_TZ).strftime("%H:%M")
            if self.session
            else "",
            user=self.user.display if self.user else None,
            in_safe=self._counts[0],
            out=self._counts[1],
            clock=now.astimezone(OFFICE_TZ).strftime("%m/%d %H:%M:%S"),
            overdue_minutes=overdue,
            language=self.language,
            safe_watched=self.safe_link is not None,
            safe_online=self.safe.online,
            door=self.safe.door.value if self.safe.door is not None else None,
            lock=self.safe.lock.value if self.safe.lock is not None else None,
            door_alarm_since=self.safe.alarm.at.astimezone(OFFICE_TZ).strftime("%H:%M:%S")
            if self.safe.alarm is not None
            else None,
        )

    def _terminal_gone(self) -> bool:
        if self.is_headless:
            return False
        stdin = sys.__stdin__
        if stdin is None:
            return True
        try:
            termios.tcgetattr(stdin.fileno())
        except (termios.error, OSError, ValueError):
            return True
        return False

    def tick(self) -> None:
        """Once a second: the clock, idle sign-out and the overdue-session alert."""
        if self._terminal_gone():
            # The terminal hung up (tmux or the SSH session closed) but no SIGHUP reached us, e.g. when
            # started under `make`: without this, Textual's input thread spins on the dead tty forever.
            log.warning("the terminal went away; the kiosk exits")
            self.exit()
            return
        self._ticks += 1
        if self._ticks % COUNTS_EVERY_S == 0:
            self.refresh_counts()
        now = self.clock()
        idle = (now - self.last_activity).total_seconds()
        if self.user is not None and idle >= self.settings.kiosk.idle_signout_seconds:
            self.sign_out("signin.idle_out")
        self.refresh_status()
        overdue = self.status.overdue_minutes is not None
        if overdue and not self._overdue_alerted:
            self.ring(3)
        self._overdue_alerted = overdue
        self.watch_door()

    def watch_door(self) -> None:
        """Each second: the forced-door alarm rings again every few seconds until acknowledged, and the
        core is asked whether the door has now been open too long (recorded once per opening)."""
        if self.safe_link is None or self.checking or self.refusal is not None:
            return
        if self.safe.alarms and self._ticks % ALARM_RING_EVERY_S == 0:
            self.ring(3)
        if self.safe.door is Door.OPEN and not self.safe.left_open_recorded:
            self.submit(self.desk.check_door_left_open, self.safe_outcome)

    # -- demo -----------------------------------------------------------------------------------

    def action_demo_pad(self) -> None:
        if self.demo is None:
            if self.expects_demo:
                self.usable()  # the rig comes with the ledger: say why the pad is not there yet
            return
        from kiosk.tui.screens.demo import DemoPadModal

        if not isinstance(self.screen, DemoPadModal):
            self.push_screen(DemoPadModal())


# Frame rejections that point at the device or its set-up rather than at what was scanned.
DEVICE_REASONS = frozenset(
    {
        "garbage",
        "control_bytes",
        "modem_probe",
        "partial_timeout",
        "unterminated",
        "overlong",
        "outside_frame",
        "no_terminator",
        "syn_dropped",
        "unknown_key",
        "aim_missing",
        "prefix_missing",
        "suffix_missing",
        "layout_us_scanner_jis_host",
        "layout_jis_scanner_us_host",
        # Issue 14: set-up diagnoses from the drivers.
        "line_settings",
        "code_id",
        "code_id_missing",
        "stray_prefix",
        "stray_suffix",
        "keys_too_slow",
        "keypad_keys",
    }
)
