"""Build the kiosk from its settings: the devices (through the driver registry) and the ledger.

`KioskApp` itself discovers nothing; this is the one place that reads `settings.devices`.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

from drivers import registry
from drivers.contract import ScanDevice

if TYPE_CHECKING:
    from kiosk.config import DeviceSettings, Settings
    from kiosk.demo.sim import DemoRig
    from kiosk.desk.views import Clock, Ledger
    from kiosk.tui.app import KioskApp

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
    """The kiosk app for these settings, with its devices and (opened and upgraded) ledger."""
    from kiosk.desk.admin import open_ledger
    from kiosk.desk.views import utc_now
    from kiosk.tui.app import KioskApp

    # The running kiosk holds the ledger lock: `kiosk restore` refuses while it runs.
    ledger = ledger or open_ledger(settings, clock=clock or utc_now, hold=True)
    return KioskApp(
        devices=build_devices(settings),
        ledger=ledger,
        settings=settings,
        clock=clock,
        safe_io=build_safe_io(settings),
    )
