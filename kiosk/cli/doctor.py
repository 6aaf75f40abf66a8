"""`kiosk doctor`: what the site technician runs first. Finds the scanners, cameras and readers plugged
into this machine and the ones the configuration names, opens each, and says in one line what is wrong
and what to do; for a scanner it hears, it prints the `[[devices]]` stanza that configures it.

    kiosk doctor                 # discover and check everything, listen 5 s on each serial scanner
    kiosk doctor --listen 10     # longer: time to scan a label on each scanner in turn
    kiosk doctor --json          # one JSON object per finding

Found: serial ports (`/dev/serial/by-id/*`, and `ttyACM*` / `ttyUSB*` without a by-id link), keyboard
input devices (`/dev/input/by-id/*-event-kbd`), cameras (`/dev/v4l/by-id/*`, `/dev/video*`), and each
`[[devices]]` entry. A scan heard is shown by symbology and length only, never its text; a serial
scanner whose bytes do not match the port's settings is named with the setting that would (the line
diagnosis of `drivers.line_check`), and the stanza then carries that setting.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext
from kiosk.cli.output import echo


@dataclass
class Finding:
    """One device checked: what it is, where, its status ("ok", "absent", ...), one line of advice."""

    kind: str
    path: str
    status: str
    advice: str
    name: str = ""
    stanza: str = ""
    heard: list[str] = field(default_factory=list)  # "code128, 10 characters" per scan heard


def _by_id(root: Path, pattern: str) -> list[Path]:
    return sorted(root.glob(pattern)) if root.is_dir() else []


def discover_serial(dev: Path) -> list[Path]:
    """Serial ports: the stable by-id links first, then ttyACM/ttyUSB nodes no link points to."""
    links = _by_id(dev / "serial" / "by-id", "*")
    targets = {p.resolve() for p in links}
    nodes = [p for p in sorted([*dev.glob("ttyACM*"), *dev.glob("ttyUSB*")]) if p.resolve() not in targets]
    return [*links, *nodes]


def discover_keyboards(dev: Path) -> list[Path]:
    return _by_id(dev / "input" / "by-id", "*-event-kbd")


def discover_cameras(dev: Path) -> list[Path]:
    links = _by_id(dev / "v4l" / "by-id", "*-video-index0")
    targets = {p.resolve() for p in links}
    nodes = [p for p in sorted(dev.glob("video*")) if p.resolve() not in targets]
    return [*links, *nodes]


def _slug(path: str) -> str:
    base = Path(path).name.removeprefix("usb-")
    return re.sub(r"[^A-Za-z0-9]+", "-", base).strip("-").lower()[:32] or "scanner"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))


def stanza(name: str, driver: str, options: dict[str, Any]) -> str:
    """The `[[devices]]` table that configures a device."""
    return f'[[devices]]\nname = "{name}"\ndriver = "{driver}"\noptions = {_toml(options)}'


_SET = re.compile(r'set (code_id|prefix|suffix) = "([^"]*)"')


def _listen(device: Any, seconds: float) -> tuple[list[Any], list[Any]]:
    """Read for `seconds`: the scans and the rejections heard."""
    from drivers.errors import DeviceUnavailable, FrameError

    scans: list[Any] = []
    rejected: list[Any] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            scan = device.read(min(0.25, max(0.0, end - time.monotonic())))
        except FrameError as exc:
            rejected.append(exc)
            continue
        except DeviceUnavailable:
            break
        if scan is not None:
            scans.append(scan)
    return scans, rejected


def check_serial(path: str, seconds: float, *, baudrate: int = 9600, name: str = "") -> Finding:
    """Open a serial port, listen, and say what was heard (with the stanza for a scanner heard)."""
    from drivers.errors import DeviceUnavailable
    from drivers.serial_scanner import SerialScanner

    scanner = SerialScanner(path, baudrate=baudrate, dedup_window=0, reconnect_interval=60.0)
    try:
        scanner.open()
    except DeviceUnavailable:
        return Finding("serial", path, scanner.last_error, _open_advice(scanner.last_error, path), name)
    try:
        scans, rejected = _listen(scanner, seconds)
    finally:
        scanner.close()
    options: dict[str, Any] = {"url": path, "baudrate": baudrate, "framing": "auto"}
    rules: dict[str, str] = {}
    advice = ""
    unsure = False  # the bytes say the line is set wrong but not to what: no stanza to paste
    diagnosis = scanner.line.last_diagnosis
    if diagnosis is not None and any(exc.reason == "line_settings" for exc in rejected):
        advice = diagnosis.text
        guess = diagnosis.settings
        if guess is not None:
            options.update(baudrate=guess.baudrate, bytesize=guess.bytesize, parity=guess.parity)
            if guess.stopbits != 1:
                options["stopbits"] = guess.stopbits
        else:
            unsure = True
    for exc in rejected:
        # Only a setting the diagnosis singled out is written as `set key = "value"`.
        for key, value in _SET.findall(exc.detail or ""):
            rules[key] = value
            advice = advice or exc.detail
        if exc.reason in ("code_id_unknown", "wrong_terminator") and not advice:
            advice = exc.detail
            unsure = True
    if rules:
        options["rules"] = rules
    heard = [f"{s.symbology.value}, {len(s.code)} characters" for s in scans]
    if unsure and not scans:
        return Finding("serial", path, "heard a scanner set differently", advice, name, "", heard)
    if scans or advice:
        status = "heard a scanner" if scans else "heard a scanner set differently"
        if not advice:
            advice = f"heard {len(scans)} scan(s); add the stanza below to the configuration"
        elif not scans:
            advice += "; the stanza below has the setting the bytes suggest: confirm with kiosk listen"
        return Finding(
            "serial", path, status, advice, name, stanza(name or _slug(path), "serial", options), heard
        )
    if rejected:
        reasons = ", ".join(sorted({e.reason for e in rejected}))
        return Finding(
            "serial", path, "rejected frames", f"frames refused ({reasons}): run kiosk listen", name
        )
    return Finding(
        "serial", path, "ok", f"opens; nothing heard in {seconds:g} s: scan a label while it listens", name
    )


def _open_advice(reason: str, path: str) -> str:
    if reason == "path absent":
        return "not there: plug the device in, or correct the path (see the ports found above)"
    if reason == "permission denied":
        return "add the kiosk's user to the dialout (serial) or input (keyboard) group, then log in again"
    if reason.startswith("busy"):
        return "another program has it open (a running kiosk, ModemManager, a terminal): stop it first"
    return f"cannot open {path}: {reason}"


def check_keyboard(path: str, seconds: float) -> Finding:
    from drivers import registry
    from drivers.errors import DeviceUnavailable, DriverNotUsable

    try:
        cls = registry.load("evdev")
    except DriverNotUsable as exc:
        return Finding("keyboard", path, "driver missing", str(exc))
    scanner = cls(path, dedup_window=0, reconnect_interval=60.0)
    try:
        scanner.open()
    except DeviceUnavailable:
        return Finding("keyboard", path, scanner.last_error, _open_advice(scanner.last_error, path))
    try:
        scans, _rejected = _listen(scanner, seconds)
    finally:
        scanner.close()
    if scans:
        text = stanza(_slug(path), "evdev", {"path": path, "layout": "us"})
        heard = [f"{s.symbology.value}, {len(s.code)} characters" for s in scans]
        return Finding(
            "keyboard", path, "heard a scanner", "a wedge scanner: add the stanza below", "", text, heard
        )
    return Finding("keyboard", path, "ok", "opens (a keyboard, or a scanner nobody scanned with)")


def check_camera(path: str) -> Finding:
    from drivers import registry
    from drivers.errors import DeviceUnavailable, DriverNotUsable

    try:
        cls = registry.load("camera")
    except DriverNotUsable as exc:
        return Finding("camera", path, "driver missing", str(exc))
    camera = cls(path, lost_after=2.0, reconnect_interval=60.0)
    try:
        camera.open()
        camera.read(1.0)
    except DeviceUnavailable as exc:
        camera.close()
        return Finding("camera", path, "no frames", f"opens but delivers no frames ({exc}): another program?")
    camera.close()
    text = stanza(_slug(path), "camera", {"source": path})
    return Finding("camera", path, "ok", "delivers frames; add the stanza below for the counter", "", text)


def check_configured(ctx: CliContext, seconds: float) -> list[Finding]:
    from kiosk.config import ConfigError, load_settings

    try:
        # Not ctx.settings: a wrong configuration is a finding here, and discovery goes on.
        settings = load_settings(ctx.config_file, db_url=ctx.db_url)
    except ConfigError as exc:
        return [Finding("config", str(ctx.config_file or "config/kiosk.toml"), "invalid", str(exc))]
    out = []
    for device in settings.devices:
        options = device.options
        target = str(options.get("url") or options.get("path") or options.get("source") or "")
        if not device.enabled:
            out.append(
                Finding("configured", target, "disabled", "enabled = false in the configuration", device.name)
            )
        elif device.driver == "serial":
            out.append(
                check_serial(target, seconds, baudrate=int(options.get("baudrate", 9600)), name=device.name)
            )
        else:
            out.append(_open_configured(device))
    return out


def _open_configured(device: Any) -> Finding:
    from drivers.device import why_unavailable
    from drivers.errors import DriverError
    from kiosk.app_factory import build_device
    from kiosk.config import ConfigError

    target = str(
        device.options.get("url") or device.options.get("path") or device.options.get("source") or ""
    )
    try:
        built = build_device(device)
    except (ConfigError, DriverError, ValueError) as exc:
        return Finding("configured", target, "invalid", str(exc), device.name)
    try:
        inner = getattr(built, "device", built)
        inner.open()
    except (DriverError, OSError) as exc:
        reason = getattr(inner, "last_error", "") or why_unavailable(exc)
        return Finding("configured", target, reason, _open_advice(reason, target), device.name)
    finally:
        with contextlib.suppress(DriverError, OSError):
            built.close()
    return Finding("configured", target, "ok", f"driver {device.driver} opens it", device.name)


@cli.command()
@click.option("--listen", "seconds", type=click.FloatRange(0, 120), default=5.0, show_default=True,
              help="Seconds to listen on each serial port and keyboard for a scan.")  # fmt: skip
@click.option("--dev", "dev_root", type=click.Path(path_type=Path), default=Path("/dev"), hidden=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding.")
@click.option("--no-config", is_flag=True, help="Only discover; do not check the configured devices.")
@click.pass_obj
def doctor(ctx: CliContext, seconds: float, dev_root: Path, as_json: bool, no_config: bool) -> None:
    """Find and check the scanners, cameras and readers; one line of advice each."""
    findings: list[Finding] = []
    configured: set[str] = set()
    if not no_config:
        findings += check_configured(ctx, seconds)
        configured = {f.path for f in findings}

    def show(f: Finding) -> None:
        if as_json:
            echo(json.dumps({k: v for k, v in asdict(f).items() if v not in ("", [])}, ensure_ascii=False))
            return
        label = f"{f.kind:<10} {f.name + ' ' if f.name else ''}{f.path}"
        echo(f"{label}: {f.status}")
        echo(f"    -> {f.advice}")
        for h in f.heard:
            echo(f"    heard: {h}")
        if f.stanza:
            echo("\n".join("    " + line for line in f.stanza.splitlines()))

    for f in findings:
        show(f)
    checks: list[tuple[str, Any]] = []
    checks += [(str(p), lambda p=p: check_serial(str(p), seconds)) for p in discover_serial(dev_root)]
    checks += [(str(p), lambda p=p: check_keyboard(str(p), seconds)) for p in discover_keyboards(dev_root)]
    checks += [(str(p), lambda p=p: check_camera(str(p))) for p in discover_cameras(dev_root)]
    found_any = bool(findings)
    for path, check in checks:
        if path in configured:
            continue  # checked above under its configured name
        found_any = True
        result: list[Finding] = []
        worker = threading.Thread(target=lambda c=check, r=result: r.append(c()), daemon=True)
        worker.start()
        worker.join(seconds + 10)
        show(
            result[0]
            if result
            else Finding("device", path, "hung", "opening it did not return: unplug and replug")
        )
    if not found_any:
        show(
            Finding(
                "devices", str(dev_root), "none found", "no serial port, keyboard or camera: check the cables"
            )
        )
