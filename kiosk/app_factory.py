"""Build the kiosk from its settings: the devices (through the driver registry) and the ledger.

`KioskApp` itself discovers nothing; this is the one place that reads `settings.devices`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers import registry
from drivers.contract import ScanDevice

if TYPE_CHECKING:
    from kiosk.config import DeviceSettings, Settings
    from kiosk.demo.sim import DemoRig
    from kiosk.desk.views import Clock, Ledger
    from kiosk.tui.app import KioskApp, Opened

TERMINAL_WEDGE = "keyboard"


def build_device(config: DeviceSettings) -> ScanDevice:
    """One configured device: its registered driver class with the configured options.

    A camera or UHF reader with the option `stocktake = true` is kept for stocktakes (tray photos,
    inventory rounds on a key press) instead of being read continuously.
    """
    from kiosk.config import ConfigError

    try:
        cls = registry.load(config.driver)
    except KeyError as exc:
        raise ConfigError(f"devices '{config.name}': {exc.args[0]}") from None
    options: dict[str, Any] = dict(config.options)
    for_stocktake = bool(options.pop("stocktake", False))
    allowed = _driver_options(cls)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        # Name the key and what the driver takes, instead of a bare TypeError from its constructor.
        raise ConfigError(
            f"devices '{config.name}' (driver {config.driver}): unknown option(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(allowed)}"
        )
    device: ScanDevice = cls(name=config.name, **options)
    if for_stocktake:
        from kiosk.tui.stocktake_devices import StocktakeInstrument

        return StocktakeInstrument(device)
    return device


def _driver_options(cls: type[Any]) -> list[str]:
    """The keyword options a driver's constructor takes from the configuration."""
    params = inspect.signature(cls.__init__).parameters.values()
    internal = {"self", "name", "on_status", "clock", "opener"}
    return sorted(
        p.name
        for p in params
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in internal
    )


DEMO_CAMERA = "webcam"
DEMO_UHF = "uhf"


def demo_stocktake_devices(rig: DemoRig) -> list[ScanDevice]:
    """The demo's webcam and UHF reader over the demo cabinet (simulator on the rig's hub), kept for
    stocktakes: the real `Camera` driver renders and decodes tray photos, the real `UhfReader` talks
    the binary protocol to a simulated reader on a pty (with some missed and repeated answers)."""
    from drivers.camera import Camera
    from drivers.rfid_uhf import UhfReader
    from kiosk.tui.stocktake_devices import StocktakeInstrument

    webcam = rig.hub.add_camera(DEMO_CAMERA, seed=2017)
    uhf = rig.hub.add_uhf(DEMO_UHF, seed=2017, miss_rate=0.08, duplicate_rate=0.05)
    camera = Camera(webcam, name=DEMO_CAMERA, check_frozen=False)
    reader = UhfReader(uhf.path, name=DEMO_UHF, response_timeout=0.5)
    return [StocktakeInstrument(camera), StocktakeInstrument(reader)]


def wedge_timing(settings: Settings) -> Any:
    """The terminal wedge's burst detection from [scan]."""
    from drivers.wedge import WedgeTiming

    return WedgeTiming.for_max_key_gap(settings.scan.wedge_max_key_gap_ms, settings.scan.wedge_min_length)


def build_devices(settings: Settings) -> list[ScanDevice]:
    """Every enabled [[devices]] entry, plus the terminal keyboard wedge unless one is configured."""
    from drivers.wedge_device import KeyboardWedge

    devices = [build_device(d) for d in settings.devices if d.enabled]
    if settings.kiosk.terminal_wedge and not any(isinstance(d, KeyboardWedge) for d in devices):
        devices.append(
            KeyboardWedge(
                TERMINAL_WEDGE, timing=wedge_timing(settings), dedup_window=settings.scan.double_read_window_s
            )
        )
    return devices


SAFE_IO = "safe-io"


def build_safe_io(settings: Settings) -> Any | None:
    """The safe's door/lock module from `[safe_io]` (None without the section: the kiosk runs as before)."""
    section = settings.safe_io
    if section is None:
        return None
    from drivers.safe_io.device import SafeIo, quiet_stack_logs

    quiet_stack_logs()
    return SafeIo(section.target(), name=SAFE_IO)


def make_app(settings: Settings, *, ledger: Ledger | None = None, clock: Clock | None = None) -> KioskApp:
    """The kiosk app for these settings, with its devices; the ledger is opened (upgraded and checked)
    by the app once its home screen is up, unless one is given."""
    from kiosk.tui.app import KioskApp

    devices = build_devices(settings)
    safe_io = build_safe_io(settings)
    if ledger is not None:
        return KioskApp(devices=devices, ledger=ledger, settings=settings, clock=clock, safe_io=safe_io)
    opener = kiosk_opener(settings, clock)
    return KioskApp(devices=devices, opener=opener, settings=settings, clock=clock, safe_io=safe_io)


def kiosk_opener(settings: Settings, clock: Clock | None = None) -> Callable[[], Opened]:
    """How `kiosk run` opens its ledger, on the app's ledger thread: upgraded, the start-up check, and
    the ledger lock held for the kiosk's lifetime (`kiosk restore` refuses meanwhile). Every failure
    is one `OpenRefused` (the start-up check's refusal with code 3), which the app shows in red."""

    def opener() -> Opened:
        from kiosk.desk.admin import open_ledger, opening
        from kiosk.desk.views import utc_now
        from kiosk.tui.app import Opened

        with opening(settings.ledger.url):
            return Opened(open_ledger(settings, clock=clock or utc_now, hold=True))

    return opener


def make_demo_app(settings: Settings, *, delivery_folder: Path | None = None) -> KioskApp:
    """`kiosk demo`'s app: the home screen at once; behind it, on the ledger thread, the demo ledger
    opened (made and seeded the first time), today's bookings, the demo delivery file in
    `delivery_folder`, and the simulator's devices, which need the ledger (the rig reads the cabinet);
    its stocktake camera and UHF reader join once the kiosk takes scans."""
    from kiosk.tui.app import KioskApp

    def opener() -> Opened:
        from kiosk.demo.seed import seed_demo
        from kiosk.demo.sim import build_demo_rig, ensure_demo_day
        from kiosk.desk import Desk, admin
        from kiosk.tui.app import Opened

        with admin.opening(settings.ledger.url):
            ledger = admin.open_ledger(settings, create=True)  # the demo makes its own throw-away ledger
            if not Desk(ledger, settings).staff_count(active_only=False):
                admin.seed_fast(ledger, seed_demo)
            ensure_demo_day(ledger, settings=settings)
        if delivery_folder is not None:
            from kiosk.demo.delivery import ensure_demo_delivery

            ensure_demo_delivery(delivery_folder)
        rig = build_demo_rig(ledger, wedge_timing=wedge_timing(settings), settings=settings)
        # The simulated webcam and UHF reader for stocktakes (tray photo / RFID keys) join the devices
        # once the kiosk takes scans (they are for a stocktake, and bring numpy, OpenCV and decoders).
        return Opened(
            ledger,
            devices=rig.devices,
            demo=rig,
            safe_io=rig.safe_io,
            later=lambda: demo_stocktake_devices(rig),
        )

    return KioskApp(
        devices=[], opener=opener, settings=settings, expects_demo=True, training=settings.kiosk.training
    )
