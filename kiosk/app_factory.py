"""Build the kiosk from its settings: the devices (through the driver registry) and the ledger.

`KioskApp` itself discovers nothing; this is the one place that reads `settings.devices`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drivers import registry
from drivers.contract import ScanDevice

if TYPE_CHECKING:
    from kiosk.config import DeviceSettings, Settings
    from kiosk.ledger.service import Clock, Ledger
    from kiosk.tui.app import KioskApp

TERMINAL_WEDGE = "keyboard"


def build_device(config: DeviceSettings) -> ScanDevice:
    """One configured device: its registered driver class with the configured options."""
    cls = registry.load(config.driver)
    options: dict[str, Any] = dict(config.options)
    device: ScanDevice = cls(name=config.name, **options)
    return device


def wedge_timing(settings: Settings) -> Any:
    """The terminal wedge's burst detection from [scan]."""
    from drivers.wedge import WedgeTiming

    return WedgeTiming(
        key_gap=max(0.1, settings.scan.wedge_max_key_gap_ms / 1000 * 1.5),
        mean_gap=settings.scan.wedge_max_key_gap_ms / 1000 * 0.6,
        min_length=settings.scan.wedge_min_length,
    )


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


def make_app(settings: Settings, *, ledger: Ledger | None = None, clock: Clock | None = None) -> KioskApp:
    """The kiosk app for these settings, with its devices and (opened and upgraded) ledger."""
    from kiosk.ledger.service import open_ledger, utc_now
    from kiosk.tui.app import KioskApp

    ledger = ledger or open_ledger(settings, clock=clock or utc_now)
    return KioskApp(devices=build_devices(settings), ledger=ledger, settings=settings, clock=clock)
