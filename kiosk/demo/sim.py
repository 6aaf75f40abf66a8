"""The demo's simulated hardware: a serial scanner on the simulator hub (reached through its `sim://`
URL by the real serial driver) and a keyboard-wedge scanner typing into the terminal wedge.

The demo panel's keys call the actions below, so a newcomer can scan the next booked card, a random
card, an unknown ID, a 12-digit value or IME text, and pull the scanner's cable, without hardware.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from drivers.contract import ScanDevice
from drivers.damm import with_check_digit
from drivers.wedge import WedgeTiming
from drivers.wedge_device import KeyboardWedge
from kiosk.demo.seed import DEMO_STAFF, DemoStaff, demo_cabinet
from kiosk.desk import Desk
from kiosk.desk.views import Ledger
from kiosk.domain.status import CardStatus
from simulator.cabinet import Cabinet
from simulator.hub import SimHub

if TYPE_CHECKING:
    from kiosk.config import Settings

SCANNER = "scanner"
KEYBOARD = "keyboard"
WEDGE_SCANNER = "wedge-scanner"
SAFE = "safe"  # the simulated door/lock module on the hub
SAFE_IO = "safe-io"  # the kiosk's driver on it


@dataclass
class DemoRig:
    """The simulator hub and the devices the demo app reads, plus the demo's scripted scans."""

    desk: Desk
    hub: SimHub
    cabinet: Cabinet
    devices: list[ScanDevice]
    staff: Sequence[DemoStaff] = DEMO_STAFF
    rng: random.Random = field(default_factory=lambda: random.Random(2017))  # noqa: S311 - demo picks
    safe_io: Any | None = None  # the real driver (drivers.safe_io) on the simulated module

    # -- the safe's door and its module --------------------------------------------------------
    @property
    def safe_module(self) -> Any:
        """The simulated door/lock module (`simulator.safe_io.SimSafeModule`)."""
        return self.hub.device(SAFE)

    def door(self, action: str) -> str:
        """The F12 pad's door keys: "open", "close", "force", or "power" (module off / on); what was done."""
        module = self.safe_module
        if action == "open":
            module.open_door()
        elif action == "close":
            module.close_door()
        elif action == "force":
            module.force_door()
        elif action == "power":
            if module.powered:
                module.power_off()
                return "off"
            module.power_on()
            return "on"
        else:
            raise ValueError(f"no door action {action!r}")
        return action

    @property
    def wedge(self) -> KeyboardWedge:
        for device in self.devices:
            if isinstance(device, KeyboardWedge):
                return device
        raise LookupError("the demo has no keyboard wedge")

    # -- scans --------------------------------------------------------------------------------
    def scan(self, code: str) -> None:
        """The serial scanner reads `code` (bytes travel through the sim:// line to the real driver)."""
        self.hub.scan(SCANNER, code)

    def next_pick(self) -> str | None:
        """The next card on today's pick list that is still in the safe."""
        booked = self.desk.pick_list()
        states = self.desk.pick_list_status(booked)
        return next((mid for mid in booked if states.get(mid) is CardStatus.IN_SAFE), None)

    def card_out(self) -> str | None:
        """A card that is out now (to put back or hand over)."""
        ids = self.cabinet.all_ids()
        states = self.desk.pick_list_status(ids)
        return next((mid for mid in ids if states.get(mid) is CardStatus.OUT), None)

    def random_in_safe(self) -> str | None:
        """A card in the safe that is not booked today (taking it out needs an override)."""
        booked = set(self.desk.pick_list())
        ids = self.cabinet.all_ids()
        states = self.desk.pick_list_status(ids)
        candidates = [m for m in ids if states.get(m) is CardStatus.IN_SAFE and m not in booked]
        return self.rng.choice(candidates) if candidates else None

    def unknown_id(self) -> str:
        """A well-formed management ID that is not in the ledger."""
        known = set(self.cabinet.all_ids())
        while True:
            candidate = with_check_digit(f"9{self.rng.randrange(10**8):08d}")
            if candidate not in known:
                return candidate

    @staticmethod
    def twelve_digits() -> str:
        """A 12-digit value (the shape of an individual number), built at run time, never written down."""
        return "".join(str(i % 10) for i in range(3, 15))

    def ime_text(self) -> None:
        """The wedge scanner types with the IME on in kana mode: refused as IME text."""
        self.hub.fault(WEDGE_SCANNER, "scan_with_ime", self.next_pick() or self.cabinet.ids()[0])

    def toggle_scanner_cable(self) -> bool:
        """Unplug the serial scanner, or plug it back in; True when it is now plugged in."""
        line = self.hub.device(SCANNER)
        if getattr(line, "present", True):
            self.hub.unplug(SCANNER)
            return False
        self.hub.replug(SCANNER)
        return True

    def garbage(self) -> None:
        self.hub.garbage(SCANNER, b"\xff\xfe\x07\x00\r")

    def close(self) -> None:
        self.hub.close()


class _ImeKeyboard:
    """A wedge scanner whose host has the IME on (kana input); joins the hub as `wedge-scanner`."""

    def __init__(self, name: str, wedge: KeyboardWedge) -> None:
        from simulator.keys import SimKeyboard

        self.name = name
        self.keyboard = SimKeyboard(name, ime="kana")
        self.keyboard.connect(wedge)

    def scan(self, code: str) -> None:
        self.keyboard.ime = "off"
        self.keyboard.scan(code)

    def scan_with_ime(self, code: str) -> None:
        self.keyboard.ime = "kana"
        self.keyboard.scan(code)

    def unplug(self) -> None:
        self.keyboard.unplug()

    def replug(self, new_path: str | None = None) -> None:
        self.keyboard.replug(new_path)

    def close(self) -> None:
        self.keyboard.close()


def _desk(ledger: Ledger, settings: Settings | None) -> Desk:
    from kiosk.config import Settings

    return Desk(ledger, settings or Settings())


def build_demo_rig(
    ledger: Ledger, *, wedge_timing: WedgeTiming | None = None, settings: Settings | None = None
) -> DemoRig:
    """The demo's hub, a serial scanner on `sim://`, and the terminal wedge (with a simulated wedge
    scanner typing into it)."""
    from drivers.serial_scanner import SerialScanner

    cabinet = demo_cabinet()
    desk = _desk(ledger, settings)
    # The tray follows the ledger: a card taken out or handed over at the counter is not in the safe.
    cabinet.follow = partial(follow_ledger, desk)
    hub = SimHub(cabinet)
    hub.add_serial(SCANNER)
    scanner = SerialScanner(hub.url(SCANNER), name=SCANNER)
    wedge = KeyboardWedge(KEYBOARD, timing=wedge_timing) if wedge_timing else KeyboardWedge(KEYBOARD)
    hub.attach(WEDGE_SCANNER, _ImeKeyboard(WEDGE_SCANNER, wedge))
    return DemoRig(
        desk=desk,
        hub=hub,
        cabinet=cabinet,
        devices=[scanner, wedge],
        safe_io=demo_safe_io(hub),
    )


def demo_safe_io(hub: SimHub) -> Any:
    """The safe's door/lock module, simulated on the hub (pymodbus's server on loopback TCP), and the
    real driver on it: the demo shows the door and lock on the status bar and the F12 pad moves them."""
    from drivers.safe_io.device import SafeIo, quiet_stack_logs

    quiet_stack_logs()
    module = hub.add_safe_io(SAFE)
    return SafeIo(module.url, name=SAFE_IO, poll_ms=50, reconnect_max_s=1.0)


def follow_ledger(desk: Desk, cabinet: Cabinet) -> None:
    """Put in the tray exactly the cabinet's cards the ledger has in the safe (保管中).

    A card out at the counter, handed over, cancelled into a disposal or recorded missing is not in the
    safe; a card put back is again. Cards removed behind the kiosk's back (F12 r) stay gone, so the
    stocktake still finds those missing. A card the ledger does not know is left where it is.
    """
    ids = cabinet.all_ids()
    states = desk.pick_list_status(ids)
    for mid in ids:
        status = states.get(mid)
        if status is CardStatus.IN_SAFE:
            cabinet.put_back(mid)
        elif status is not None:
            cabinet.take_out(mid)


def ensure_demo_day(ledger: Ledger, size: int = 6, *, settings: Settings | None = None) -> list[str]:
    """Book cards for today when nothing is booked (the seed books the day it ran; the demo runs later)."""
    desk = _desk(ledger, settings)
    if desk.pick_list():
        return []
    # The supervisor books (alone, as the table allows; a clerk would need a second person), so the
    # officers and clerks who open the safe may take the cards out.
    supervisor = desk.person_by_badge("S001")
    if supervisor is None:
        return []
    ids = demo_cabinet().ids()
    states = desk.pick_list_status(ids)
    chosen = [mid for mid in ids if states.get(mid) is CardStatus.IN_SAFE][:size]
    added, _ = desk.book(chosen, supervisor)
    return added
