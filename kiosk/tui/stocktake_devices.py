"""The stocktake's instruments: the webcam's tray photo and the UHF reader's inventory rounds.

Both need the device to themselves for a while (a 4K still, a series of rounds), so they are not read
continuously like a scanner. `StocktakeInstrument` wraps such a device: as a `ScanDevice` it joins the
app's devices (opened, reconnected and shown in the status bar by the usual worker) but never yields a
scan; the stocktake screen runs `take_tray_photo` or `run_rfid_rounds` in a thread worker when a person
presses the key. Those functions only post messages (below); the screen calls the ledger.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable, DriverError, FrameError
from drivers.rfid import RfidStocktake
from drivers.scan import Scan

if TYPE_CHECKING:
    from drivers.decode import TrayCheck

log = logging.getLogger(__name__)

TRAY = "tray"  # a camera with capture_tray()
RFID = "rfid"  # a UHF reader with inventory(round)
READ_IDLE = 0.2  # seconds the idle read waits (the app's worker checks its stop flag in between)


class StocktakeInstrument:
    """A camera or UHF reader kept for stocktakes: a `ScanDevice` that never yields a scan.

    `kind` is TRAY or RFID (from what the device can do). One lock serialises open/close and the
    stocktake's use, so the app's device worker and the stocktake worker never use the port at once.
    """

    def __init__(self, device: Any, *, name: str | None = None) -> None:
        if hasattr(device, "capture_tray"):
            self.kind = TRAY
        elif hasattr(device, "inventory"):
            self.kind = RFID
        else:
            raise TypeError(f"{type(device).__name__} takes neither tray photos nor inventory rounds")
        self.device = device
        self.name: str = name or str(device.name)
        self.lock = threading.Lock()

    @property
    def status(self) -> DeviceStatus:
        status: DeviceStatus = self.device.status
        return status

    def open(self) -> None:
        with self.lock:
            self.device.open()

    def read(self, timeout: float | None = None) -> Scan | None:
        """Never a scan. Raises `DeviceUnavailable` once a stocktake found the device gone, so the app
        shows it offline and reopens it with its usual backoff."""
        if self.device.status is DeviceStatus.OFFLINE:
            raise DeviceUnavailable(f"{self.name}: gone")
        time.sleep(READ_IDLE if timeout is None else min(timeout, READ_IDLE))
        return None

    def close(self) -> None:
        with self.lock:
            self.device.close()


# -- what the workers post --------------------------------------------------------------------


@dataclass
class TrayPhotoTaken(Message):
    """A tray photo was taken and decoded: the codes read (management IDs and location labels)."""

    device: str
    codes: list[str]
    coarse: TrayCheck | None = None  # the labels were too small in this photo for any decoder


@dataclass
class RfidRoundRead(Message):
    """One inventory round ended: the tags new in this round, and where the accumulator stands."""

    device: str
    round: int
    new_tags: list[str]
    seen: int
    quiet: int


@dataclass
class RfidRoundsDone(Message):
    """The rounds stopped: `quiet` rounds without a new tag (or the round limit, or a stop)."""

    device: str
    rounds: int
    seen: int
    failed_rounds: int


@dataclass
class InstrumentFailed(Message):
    """The camera or reader could not do it (gone, no still, no answer). `reason` is a stable code."""

    device: str
    reason: str


Post = Callable[[Message], object]


def take_tray_photo(instrument: StocktakeInstrument, post: Post) -> None:
    """Take one tray photo and post the codes read in it (runs in a thread worker)."""
    try:
        with instrument.lock:
            scans = instrument.device.capture_tray()
    except DeviceUnavailable:
        post(InstrumentFailed(instrument.name, "device_lost"))
        return
    except (DriverError, OSError) as exc:
        log.warning("%s: tray photo failed (%s)", instrument.name, type(exc).__name__)
        post(InstrumentFailed(instrument.name, "device_lost"))
        return
    coarse = getattr(instrument.device, "tray_coarse", None)
    post(TrayPhotoTaken(instrument.name, [s.code for s in scans], coarse))


def run_rfid_rounds(
    instrument: StocktakeInstrument, post: Post, *, quiet_rounds: int, stop: threading.Event
) -> None:
    """Inventory rounds until `quiet_rounds` rounds in a row add no tag; post each round's new tags."""
    tally = RfidStocktake(quiet_rounds=quiet_rounds)
    while not tally.done and not stop.is_set():
        try:
            with instrument.lock:
                reads = instrument.device.inventory(tally.rounds + 1)
        except FrameError:
            # A round lost to a CRC error or a cut-off frame: it does not count as quiet.
            tally.add_failed_round()
            continue
        except (DeviceUnavailable, OSError):
            post(InstrumentFailed(instrument.name, "device_lost"))
            return
        new = sorted({r.epc for r in reads} - tally.seen())
        tally.add_round(reads)
        post(RfidRoundRead(instrument.name, tally.rounds, new, len(tally.tags), tally.quiet))
    post(RfidRoundsDone(instrument.name, tally.rounds, len(tally.tags), tally.failed_rounds))
