"""`kiosk doctor`: what the site technician runs first. Finds the scanners, cameras and readers plugged
into this machine and the ones the configuration names, opens each, and says in one line what is wrong
and what to do; for a scanner it hears, it prints the `[[devices]]` stanza that configures it.

    kiosk doctor                 # discover and check everything, listen 5 s on each serial scanner
    kiosk doctor --listen 10     # longer: time to scan a label on each scanner in turn
    kiosk doctor --json          # one JSON object per finding

The safe's I/O module (`[safe_io]`, when configured) is reached and read once: the door, the lock and
the supervised loop as it saw them, or one line saying why it did not answer and what to check.

Found: serial ports (`/dev/serial/by-id/*`, and `ttyACM*` / `ttyUSB*` without a by-id link), keyboard
input devices (`/dev/input/by-id/*-event-kbd`), cameras (`/dev/v4l/by-id/*`, `/dev/video*`), and each
`[[devices]]` entry. A scan heard is shown by symbology and length only, never its text; a serial
scanner whose bytes do not match the port's settings is named with the setting that would (the line
diagnosis of `drivers.line_check`), and the stanza then carries that setting.

It also checks what the kiosk relies on: the configuration, the ledger (opened with the start-up
check) and the CUPS queues named in `[printers]` (`--test-page QUEUE` prints a test page). An install
script can rely on the exit code:

    0  the configuration is valid and every configured device, printer and the ledger answer
    1  something configured does not answer (one line each, with what to do)
    2  the configuration is invalid
    4  nothing is configured (no configuration file): copy the example or run `kiosk install`

The checks are a list of small functions (`CHECKS`), each taking the run and returning its findings;
a finding with `problem=True` is something configured that does not answer.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli import cli
from kiosk.cli.context import CliContext, fail
from kiosk.cli.output import echo

if TYPE_CHECKING:
    from kiosk.config import Settings

EXIT_OK, EXIT_PROBLEM, EXIT_INVALID, EXIT_UNCONFIGURED = 0, 1, 2, 4


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
    problem: bool = False  # something configured that does not answer: doctor exits non-zero


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


def _open_advice(reason: str, path: str, found: list[Path] | None = None) -> str:
    if reason == "path absent":
        if found:
            here = ", ".join(str(p) for p in found[:4]) + (" …" if len(found) > 4 else "")
            return f"not there: plug the device in, or correct the path (found here: {here})"
        return "not there: plug the device in (no such device is plugged into this PC), or correct the path"
    if reason == "permission denied":
        return (
            "add the kiosk's user to the dialout (serial), input (keyboard) or video (camera) group"
            " (kiosk install does), then log in again"
        )
    if reason == "does not open":
        return (
            "it is there but does not open: another program (a running kiosk?) may have it; unplug and replug"
        )
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
    except DeviceUnavailable:
        camera.close()
        if not Path(path).exists():
            return Finding("camera", path, "path absent", _open_advice("path absent", path))
        return Finding(
            "camera", path, "no frames", "opens but delivers no frames: another program may be using it"
        )
    camera.close()
    text = stanza(_slug(path), "camera", {"source": path})
    return Finding("camera", path, "ok", "delivers frames; add the stanza below for the counter", "", text)


def check_configured(settings: Settings, seconds: float, found: dict[str, list[Path]]) -> list[Finding]:
    """Every `[[devices]]` entry opened (serial scanners also listened to); each that does not answer
    is a problem."""
    out = []
    for device in settings.devices:
        options = device.options
        target = str(options.get("url") or options.get("path") or options.get("source") or "")
        if not device.enabled:
            out.append(
                Finding("configured", target, "disabled", "enabled = false in the configuration", device.name)
            )
            continue
        if device.driver == "serial":
            finding = check_serial(
                target, seconds, baudrate=int(options.get("baudrate", 9600)), name=device.name
            )
        else:
            finding = _open_configured(device)
        if finding.status == "path absent":
            finding.advice = _open_advice("path absent", target, found.get(_kind_of(device.driver), []))
        finding.kind = "configured"
        finding.problem = finding.status not in _ANSWERS
        out.append(finding)
    return out


# A configured device "answers" when it opens (heard or not: nobody may be scanning right now); one
# whose bytes do not fit its configured settings is a problem, its advice saying what to set.
_ANSWERS = {"ok", "heard a scanner"}


def _kind_of(driver: str) -> str:
    return {"evdev": "keyboard", "camera": "camera"}.get(driver, "serial")


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
        if target.startswith("/") and not Path(target).exists():
            reason = "path absent"
        elif reason in (type(exc).__name__, "DeviceUnavailable"):
            reason = "does not open"  # a camera says only that it cannot open: say so in words
        return Finding("configured", target, reason, _open_advice(reason, target), device.name)
    finally:
        with contextlib.suppress(DriverError, OSError):
            built.close()
    return Finding("configured", target, "ok", f"driver {device.driver} opens it", device.name)


# -- the safe's I/O module ([safe_io]) ----------------------------------------------------------


def check_safe_io(section: Any) -> Finding:
    """Reach the configured safe I/O module, read it once, and say what it saw or what to check."""
    import drivers.safe_io as safe_io

    target = section.target()
    where = target.where
    usable, why = safe_io.is_usable()
    if not usable:
        return Finding("safe-io", where, "driver missing", why, "safe_io")
    from drivers.errors import DeviceUnavailable
    from drivers.safe_io.device import SafeIo, quiet_stack_logs

    quiet_stack_logs()
    device = SafeIo(target, name="safe_io")
    try:
        device.open()
    except DeviceUnavailable:
        reason = device.last_error
        return Finding("safe-io", where, "offline", f"{reason}: {_safe_io_advice(reason, target)}", "safe_io")
    finally:
        device.close()
    return _safe_io_reading(device, target, where)


def _safe_io_reading(device: Any, target: Any, where: str) -> Finding:
    seen = []
    if device.door is not None:
        source = (
            f"discrete input {target.door_input}, polarity {target.polarity.value}"
            if target.door_input is not None
            else f"the loop on input register {target.line_input}"
        )
        seen.append(f"door {device.door.value} ({source})")
    if device.lock is not None:
        seen.append(f"lock {device.lock.value} (coil {target.relay}, {target.lock.value})")
    line = device.line
    if line is not None:
        seen.append(f"loop {line.value} (input register {target.line_input})")
    text = "; ".join(seen)
    if line is not None and line.is_fault:
        return Finding(
            "safe-io",
            where,
            f"loop {line.value}",
            f"{text}: check the door contact's wiring and its end-of-line resistors,"
            " then the limits with kiosk listen safe-io",
            "safe_io",
        )
    return Finding(
        "safe-io",
        where,
        "ok",
        f"{text}; open and close the door with kiosk listen safe-io running",
        "safe_io",
    )


def _safe_io_advice(reason: str, target: Any) -> str:
    if target.transport == "tcp":
        if reason == "cannot connect":
            return (
                "nothing accepts connections there: check the module's power, network cable, address and port"
            )
        if reason == "no answer":
            return f"it accepts connections but does not answer unit {target.unit}: check unit"
    else:
        if reason.startswith("cannot open"):
            return (
                "the RS-485 adapter is absent or busy: plug it in, check the path (ls /dev/serial/by-id),"
                " the dialout group, and that no other program has it open"
            )
        if reason == "no answer":
            return (
                f"nothing answered as unit {target.unit}: check the module's power, the A/B wiring,"
                f" unit, baudrate ({target.baudrate}) and parity ({target.parity})"
            )
    if reason.startswith("module refused"):
        return "the module is there but refused the request: correct the [safe_io] setting named"
    return "check the module's power and its cable, then run kiosk doctor again"


# -- the checks: small functions over one run ------------------------------------------------------


@dataclass
class DoctorRun:
    """What every check sees: the configuration (or why it is not usable) and what is plugged in."""

    config_file: Path
    settings: Settings | None
    config_error: str | None
    seconds: float
    dev_root: Path
    found: dict[str, list[Path]]  # "serial" / "keyboard" / "camera" → paths discovered
    no_config: bool = False
    checked: set[str] = field(default_factory=set)  # paths already checked under a configured name


Check = Callable[[DoctorRun], list[Finding]]


def check_configuration(run: DoctorRun) -> list[Finding]:
    """The configuration file: present and valid."""
    if run.config_error is not None:
        return [Finding("config", str(run.config_file), "invalid", run.config_error, problem=True)]
    if not run.config_file.exists():
        advice = (
            "no configuration: kiosk install writes /etc/kiosk/kiosk.toml, or copy config/kiosk.example.toml"
        )
        return [Finding("config", str(run.config_file), "absent", advice, problem=True)]
    return [Finding("config", str(run.config_file), "ok", "valid")]


def check_ledger(run: DoctorRun) -> list[Finding]:
    """The ledger opens and passes the start-up check."""
    if run.settings is None:
        return []
    from kiosk.desk.installation import check_ledger as answer

    result = answer(run.settings)
    if not result.ok:
        return [Finding("ledger", result.where, "does not answer", result.detail, problem=True)]
    return [Finding("ledger", result.where, "ok", result.detail)]


def check_devices(run: DoctorRun) -> list[Finding]:
    """Every configured device; an input device is needed unless the terminal takes wedge scans."""
    if run.settings is None:
        return []
    findings = check_configured(run.settings, run.seconds, run.found)
    run.checked |= {f.path for f in findings}
    enabled = [d for d in run.settings.devices if d.enabled]
    if not enabled and not run.settings.kiosk.terminal_wedge:
        findings.append(
            Finding(
                "devices", "[[devices]]", "none configured",
                "no input device and [kiosk] terminal_wedge = false: add the [[devices]] stanza doctor"
                " prints for a scanner it hears",
                problem=True,
            )
        )  # fmt: skip
    return findings


def check_printers(run: DoctorRun) -> list[Finding]:
    """Every CUPS queue found, and each configured one: there, enabled, accepting jobs."""
    from kiosk.appliance.printers import PrinterError, queue_state, queues

    configured = {}
    if run.settings is not None:
        p = run.settings.printers
        configured = {role: name for role, name in (("labels", p.labels), ("reports", p.reports)) if name}
    try:
        found = queues()
    except PrinterError as exc:
        if not configured:  # nothing to print to yet: a note, so the technician knows before it is
            return [Finding("printer", "CUPS", "not available", f"{exc} (label and A4 printing)")]
        return [
            Finding("printer", name, "no CUPS", str(exc), role, problem=True)
            for role, name in configured.items()
        ]
    out = []
    for role, name in configured.items():
        state = queue_state(name)
        if state is None:
            here = ", ".join(found) or "none"
            advice = (
                f"CUPS has no such queue (queues here: {here}): add it with lpadmin or fix [printers] {role}"
            )
            out.append(Finding("printer", name, "absent", advice, role, problem=True))
        elif not state.enabled:
            out.append(
                Finding("printer", name, "disabled", f"{state.detail}: cupsenable {name}", role, problem=True)
            )
        elif not state.accepting:
            out.append(Finding("printer", name, "not accepting", f"cupsaccept {name}", role, problem=True))
        else:
            advice = f"{state.detail}; kiosk doctor --test-page {name} prints a test page"
            out.append(Finding("printer", name, "ok", advice, role))
    for name in found:
        if name not in configured.values():
            out.append(
                Finding("printer", name, "found", "a CUPS queue: name it in [printers] labels or reports")
            )
    return out


def check_discovered(run: DoctorRun) -> list[Finding]:
    """Everything plugged in that the configuration does not name: open it, listen, suggest a stanza."""
    checks: list[tuple[str, Callable[[], Finding]]] = []
    checks += [(str(p), partial(check_serial, str(p), run.seconds)) for p in run.found["serial"]]
    checks += [(str(p), partial(check_keyboard, str(p), run.seconds)) for p in run.found["keyboard"]]
    checks += [(str(p), partial(check_camera, str(p))) for p in run.found["camera"]]
    out = []
    for path, check in checks:
        if path in run.checked:
            continue  # checked above under its configured name
        result: list[Finding] = []
        worker = threading.Thread(target=lambda c=check, r=result: r.append(c()), daemon=True)
        worker.start()
        worker.join(run.seconds + 10)
        out.append(
            result[0]
            if result
            else Finding("device", path, "hung", "opening it did not return: unplug and replug")
        )
    if not checks:
        out.append(
            Finding(
                "devices",
                str(run.dev_root),
                "none found",
                "no serial port, keyboard or camera: check the cables",
            )
        )
    return out


# In order; other checks (the safe's I/O module, …) append themselves here.
def check_safe_module(run: DoctorRun) -> list[Finding]:
    """The safe's I/O module, where `[safe_io]` names one: read once; offline or a cut loop is a problem."""
    if run.settings is None or run.settings.safe_io is None:
        return []
    finding = check_safe_io(run.settings.safe_io)
    finding.problem = finding.status != "ok"
    return [finding]


CHECKS: list[Check] = [
    check_configuration,
    check_ledger,
    check_devices,
    check_safe_module,
    check_printers,
    check_discovered,
]


def exit_code(run: DoctorRun, findings: list[Finding]) -> int:
    """0 ready, 1 something configured does not answer, 2 invalid configuration, 4 nothing configured."""
    if run.config_error is not None:
        return EXIT_INVALID
    if not run.no_config and not run.config_file.exists():
        return EXIT_UNCONFIGURED
    return EXIT_PROBLEM if any(f.problem for f in findings) else EXIT_OK


def _show(f: Finding, as_json: bool) -> None:
    if as_json:
        echo(json.dumps({k: v for k, v in asdict(f).items() if v not in ("", [], False)}, ensure_ascii=False))
        return
    # One line per finding: what, where, its state and what to do.
    mark = "PROBLEM" if f.problem else "ok" if f.status == "ok" else "note"
    echo(f"{mark:<8}{f.kind} {f.name + ' ' if f.name else ''}{f.path}: {f.status}: {f.advice}")
    for h in f.heard:
        echo(f"    heard: {h}")
    if f.stanza:
        echo("\n".join("    " + line for line in f.stanza.splitlines()))


@cli.command()
@click.option(
    "--listen",
    "seconds",
    type=click.FloatRange(0, 120),
    default=5.0,
    show_default=True,
    help="Seconds to listen on each serial port and keyboard for a scan.",
)
@click.option("--dev", "dev_root", type=click.Path(path_type=Path), default=Path("/dev"), hidden=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per finding, then a summary.")
@click.option("--no-config", is_flag=True, help="Only discover; do not check the configuration.")
@click.option(
    "--test-page",
    "test_page",
    metavar="QUEUE",
    default=None,
    help="Print a test page on this CUPS queue and exit.",
)
@click.pass_obj
def doctor(
    ctx: CliContext, seconds: float, dev_root: Path, as_json: bool, no_config: bool, test_page: str | None
) -> None:  # fmt: skip
    """Check the configuration, the ledger, the devices and printers; one line of advice each.

    Exit 0 when everything configured answers, 1 when something does not, 2 for an invalid
    configuration, 4 when nothing is configured.
    """
    if test_page is not None:
        _print_test_page(ctx, test_page)
        return
    from kiosk.config import DEFAULT_CONFIG_FILE, ConfigError, load_settings

    config_file = Path(ctx.config_file or os.environ.get("KIOSK_CONFIG_FILE") or DEFAULT_CONFIG_FILE)
    settings: Settings | None = None
    error: str | None = None
    # OpenCV narrates every camera it cannot open on stderr; the findings say it in one line.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    if not no_config and config_file.exists():
        try:
            # Not ctx.settings: a wrong configuration is a finding here, and discovery goes on.
            settings = load_settings(ctx.config_file, db_url=ctx.db_url)
        except ConfigError as exc:
            error = str(exc)
    found = {
        "serial": discover_serial(dev_root),
        "keyboard": discover_keyboards(dev_root),
        "camera": discover_cameras(dev_root),
    }
    run = DoctorRun(config_file, settings, error, seconds, dev_root, found, no_config=no_config)
    checks = [check_discovered] if no_config else CHECKS
    findings: list[Finding] = []
    for check in checks:
        for finding in check(run):
            _show(finding, as_json)
            findings.append(finding)
    code = exit_code(run, findings)
    problems = sum(f.problem for f in findings)
    if as_json:
        echo(json.dumps({"kind": "summary", "exit": code, "problems": problems}))
    else:
        words = {
            EXIT_OK: "ready",
            EXIT_PROBLEM: f"{problems} problem(s)",
            EXIT_INVALID: "invalid configuration",
            EXIT_UNCONFIGURED: "nothing configured",
        }
        echo(f"doctor: {words[code]} (exit {code})")
    sys.exit(code)


def _print_test_page(ctx: CliContext, queue: str) -> None:
    from kiosk.appliance.printers import PrinterError, print_test_page
    from kiosk.reports.fonts import FontMissing

    settings = ctx.settings
    try:
        job = print_test_page(queue, settings.reports.font_file, settings.kiosk.name)
    except (PrinterError, FontMissing) as exc:
        fail(str(exc), code=EXIT_PROBLEM)
    echo(f"sent a test page to {queue} (CUPS job {job}): check that the Japanese prints")
