"""A headless kiosk station: device threads feed scans, the main thread turns each into a verdict.

The same shape as the Textual app (one thread per device that only hands items over; the owner of the
flow calls the application core), without a screen: `Station.pump()` takes what the devices read and
gives each to the same `kiosk.desk.counter.Counter` the screens use. A verdict is
*posted* when `Station.emit(outcome)` is called, which happens only after the service returned, i.e.
after the ledger committed (SQLite `synchronous=FULL`). A scan the ledger could not take is posted as
`ledger_error` (never ok) and nothing about it is in the ledger.

Imports stay light (no Textual, no OpenCV): `kiosk sim run` is started hundreds of times by the crash test.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from drivers.contract import DeviceStatus, ScanDevice
from drivers.errors import DeviceUnavailable, FrameError
from drivers.scan import Scan
from kiosk.desk import Desk, StorageError
from kiosk.desk.admin import StorageFault
from kiosk.desk.counter import Counter
from kiosk.desk.views import SOURCE_BARCODE, SessionView, StocktakeError
from kiosk.domain.safe_session import ScanMode
from kiosk.domain.staff import StaffMember

log = logging.getLogger(__name__)

LEDGER_ERROR = "ledger_error"
DEVICE_LOST = "device_lost"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One verdict (or device event) as the kiosk would show it.

    `kind`: scan (a management ID or badge read), rejected (a frame the driver refused: `detail` is the
    reason code, never the text), device (lost / back), step (a kiosk act: session opened, round counted).
    `ok` is green on the screen; `recorded` says an event was committed (`seq` names it).
    """

    n: int
    kind: str
    code: str
    ok: bool
    device: str | None = None
    card: str | None = None
    seq: int | None = None
    detail: str = ""
    step: int | None = None

    @property
    def recorded(self) -> bool:
        return self.seq is not None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def matches(self, expected: str) -> bool:
        """`expected` is a code, `code:detail`, or alternatives joined by `|`."""
        alternatives = {e.strip() for e in expected.split("|")}
        return self.code in alternatives or f"{self.code}:{self.detail}" in alternatives


Item = tuple[str, Scan | FrameError | DeviceUnavailable | DeviceStatus, float]


class Station:
    """Devices, the ledger and the state a kiosk screen holds (session, stocktake, mode, people)."""

    def __init__(self, desk: Desk, emit: Callable[[Outcome], None]) -> None:
        self.desk = desk
        self.counter = Counter(desk)
        # What a screen holds: the person signed in and the scan mode, passed with each scan.
        self.user: StaffMember | None = None
        self.mode = ScanMode.TAKE_OUT
        self.emit_to = emit
        self.devices: dict[str, ScanDevice] = {}
        self.inbox: queue.Queue[Item] = queue.Queue()
        # A hand-over's witness confirms at that moment: called once per hand-over scan (a fresh sign-in).
        self.confirm_witness: Callable[[], StaffMember | None] | None = None
        self.outcomes: list[Outcome] = []
        self._offline: set[str] = set()  # devices recorded offline (on the chain once per outage)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._db_fault = StorageFault(desk.ledger)
        self.step: int | None = None
        self.last_arrival = 0.0

    # -- verdicts ---------------------------------------------------------------------------------
    def emit(self, kind: str, code: str, ok: bool, **fields: Any) -> Outcome:
        outcome = Outcome(len(self.outcomes) + 1, kind, code, ok, step=self.step, **fields)
        self.outcomes.append(outcome)
        self.emit_to(outcome)
        return outcome

    # -- devices ----------------------------------------------------------------------------------
    def attach(self, name: str, device: ScanDevice, *, reader: bool = True) -> None:
        """Open a device; with `reader`, a thread reads it and hands every item to the inbox."""
        self.devices[name] = device
        try:
            device.open()
        except DeviceUnavailable:
            log.warning("%s: absent at start; its reader keeps trying", name)
        if reader:
            thread = threading.Thread(target=self._read_loop, args=(name, device), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _read_loop(self, name: str, device: ScanDevice) -> None:
        # Like the UI's device worker: read, hand over, never touch the ledger.
        while not self._stop.is_set():
            try:
                scan = device.read(0.1)
            except FrameError as exc:
                self.inbox.put((name, exc, time.perf_counter()))
                continue
            except DeviceUnavailable as exc:
                self.inbox.put((name, exc, time.perf_counter()))
                continue
            if scan is not None:
                self.inbox.put((name, scan, time.perf_counter()))

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        for device in self.devices.values():
            try:
                device.close()
            except (DeviceUnavailable, OSError) as exc:
                log.debug("closing %s: %s", device.name, exc)
        self.clear_db_fault()

    def pump(self, timeout: float) -> Outcome | None:
        """Handle the next item a device read (waiting up to `timeout`); None when nothing came."""
        try:
            name, item, at = self.inbox.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
        self.last_arrival = at  # when the driver handed the item over (perf_counter), for the bench
        return self.handle(name, item)

    def handle(self, name: str, item: Scan | FrameError | DeviceUnavailable | DeviceStatus) -> Outcome | None:
        if isinstance(item, Scan):
            if name in self._offline:
                # It reads again: back online (the driver reconnected); on the chain once.
                self._offline.discard(name)
                self.desk.record_device(name, online=True)
            return self.handle_text(item.code, device=name, source=item.symbology.value)
        if isinstance(item, FrameError):
            return self.handle_rejected(item.reason, device=name)
        if isinstance(item, DeviceUnavailable):
            if name not in self._offline:
                self._offline.add(name)
                self.desk.record_device(name, online=False, reason=str(item)[:120])
            return self.emit("device", DEVICE_LOST, False, device=name)
        return None

    # -- the flows (in the core's Counter, as on the screens) -------------------------------------
    def open_safe(self, operator: StaffMember, witness: StaffMember, confirmed: Sequence[str]) -> SessionView:
        """Open the safe; the opener is the one signed in, scanning in take-out mode (as at the screen)."""
        session = self.counter.open_safe(operator, witness, confirmed)
        self.user, self.mode = operator, ScanMode.TAKE_OUT
        return session

    def resume(self) -> None:
        """After a restart: pick up the open session and the open stocktake from the ledger."""
        found = self.counter.resume()
        if found.session is not None:
            # Nobody is signed in after a restart: the opener signs in again (as at the screen).
            self.emit("step", "session_resumed", True, detail=f"session {found.session.id}")
        if found.stocktake is not None:
            self.emit("step", "stocktake_resumed", True, detail=f"stocktake {found.stocktake.id}")

    def handle_text(self, text: str, *, device: str | None, source: str | None) -> Outcome:
        """One scanned or typed value: counted in the open stocktake, else applied in the open session."""
        counter = self.counter
        if counter.stocktake_id is not None:
            return self._stocktake_scan(text, device=device, source=source)
        witness = None
        if self.mode is ScanMode.HAND_OVER and counter.session is not None and self.confirm_witness:
            try:
                witness = self.confirm_witness()
            except StorageError as exc:
                return self.emit("scan", LEDGER_ERROR, False, device=device, detail=type(exc).__name__)
        try:
            verdict = counter.scan(
                text, actor=self.user, mode=self.mode, device=device, source=source, witness=witness
            )
        except StorageError as exc:
            log.error("ledger refused a scan (%s): not recorded", type(exc).__name__)
            return self.emit("scan", LEDGER_ERROR, False, device=device, detail=type(exc).__name__)
        card = verdict.management_id  # it passed the parser: a well-formed management ID, safe to show
        return self.emit(
            "scan", verdict.code, verdict.ok, device=device, card=card, seq=verdict.seq, detail=verdict.detail
        )

    def _stocktake_scan(self, text: str, *, device: str | None, source: str | None) -> Outcome:
        try:
            v = self.counter.count(text, actor=self.user, device=device, source=SOURCE_BARCODE)
        except StocktakeError as exc:
            return self.emit("scan", exc.reason, False, device=device)
        except StorageError as exc:
            log.error("ledger refused a stocktake scan (%s): not recorded", type(exc).__name__)
            return self.emit("scan", LEDGER_ERROR, False, device=device, detail=type(exc).__name__)
        seq = v.seq
        if seq is None and v.management_id is not None:
            # A repeat sighting raised the counter of the first one: that event is its record.
            seq = self._first_seq(v.management_id)
        return self.emit(
            "scan", v.code.value, v.ok, device=device, card=v.management_id, seq=seq, detail=v.detail
        )

    def _first_seq(self, mid: str) -> int | None:
        assert self.counter.stocktake_id is not None
        return self.desk.first_sighting_seq(self.counter.stocktake_id, mid)

    def handle_rejected(self, reason: str, *, device: str | None) -> Outcome:
        """A frame the driver refused: on record as a reason code only (like the session screen)."""
        seq = self.counter.refusal(reason, actor=self.user, mode=self.mode, device=device)
        if seq is None:
            return self.emit("rejected", LEDGER_ERROR, False, device=device, detail="StorageError")
        return self.emit("rejected", REJECTED, False, device=device, seq=seq, detail=reason)

    # -- database faults (fault matrix) -----------------------------------------------------------
    def set_db_fault(self, fault: str) -> None:
        """Make the ledger refuse writes: `readonly` or `full` (see `kiosk.desk.admin.StorageFault`)."""
        self._db_fault.set(fault)

    def clear_db_fault(self) -> None:
        self._db_fault.clear()
