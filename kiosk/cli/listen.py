"""`kiosk listen KIND TARGET`: a device self-test that prints every scan and rejected frame.

    kiosk listen serial /dev/serial/by-id/usb-...-if00 --baud 115200 --json
    kiosk listen serial /dev/ttyUSB0 --framing stx-etx --symbology code128 --symbology qr
    kiosk listen evdev /dev/input/by-id/usb-...-event-kbd --layout jis --count 5
    kiosk listen wedge -            # a keyboard-wedge scanner typing into this terminal

Scans print as JSON lines `{"code", "symbology", "source", "at", "management_id"}` (`valid`,
`check_digit_wrong` or `not_an_id`: the Damm check digit is checked), rejected frames as
`{"rejected": REASON, "source", "at"}` (never the refused text), with a `"hint"` when the driver
diagnosed the cause (`line_settings`: "the bytes look like 7E1: set bytesize = 7, parity = even";
`code_id`, `stray_prefix`, `stray_suffix`: the affix and the setting to change); device status changes
go to stderr. It keeps running across unplug and replug until `--count` scans have arrived.

Serial framing: `--framing auto` (default) accepts CR, LF, CRLF, TAB and STX/ETX at once, so a scanner
may be switched between them (or several forms mixed on one line) without telling the kiosk;
`--terminator cr|lf|crlf|tab` or `--framing stx-etx` pins one form, which also rejects the others.

Other device kinds (camera, rfid-serial) join by adding an opener to `KINDS` with `register_kind`.

The safe's I/O module is not a scanner: `kiosk listen safe-io URL` (a `modbus-tcp://` or `modbus-rtu://`
URL, `--opt KEY=VALUE` for settings the URL does not carry) prints each door change
`{"door": "open"|"closed", "at"}` (`"initial": true` on the first reading after connecting), each loop
fault `{"line": "cut"|"shorted"|"closed"|"open", "fault", "value", "at"}`, the lock's state
`{"lock": "engaged"|"released", "reason", "at"}` and the module going `{"module": "offline", "reason",
"at"}` or `{"module": "online", "at"}`; `--count N` stops after N door lines. It never drives the relay.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from kiosk.cli import cli
from kiosk.cli.context import fail
from kiosk.cli.output import echo

if TYPE_CHECKING:
    from drivers.contract import DeviceStatus, ScanDevice


@dataclass
class ListenOptions:
    """Everything the command line said, for the kind's opener to pick from."""

    baud: int = 9600
    parity: str = "none"
    stopbits: float = 1
    bytesize: int = 8
    framing: str = "auto"
    terminator: str | None = None
    prefix: str = ""
    suffix: str = ""
    aim: str = "auto"
    code_id: str = "off"
    symbologies: tuple[str, ...] = ()
    gap: float = 0.5
    dedup_window: float = 1.5
    layout: str = "us"
    grab: bool = True
    max_key_gap_ms: int | None = None  # wedge/evdev: the longest gap between two keys of one scan
    uid_format: str | None = None  # wedge/evdev: an HF RFID pad typing UIDs in this format
    extra: dict[str, str] = field(default_factory=dict)  # --opt KEY=VALUE for other kinds
    on_status: Callable[[str, DeviceStatus], None] | None = None


Opener = Callable[[str, ListenOptions], "ScanDevice"]


def _rules(opts: ListenOptions, default_symbology: str) -> Any:
    try:
        return _make_rules(opts, default_symbology)
    except ValueError as exc:
        fail(str(exc))


def _make_rules(opts: ListenOptions, default_symbology: str) -> Any:
    from drivers.payload import PayloadRules
    from drivers.scan import Symbology

    return PayloadRules(
        prefix=opts.prefix,
        suffix=opts.suffix,
        aim=opts.aim,
        code_id=opts.code_id,
        symbologies=PayloadRules.allow(opts.symbologies) if opts.symbologies else None,
        default_symbology=Symbology(default_symbology),
    )


def serial_framing(framing: str, terminator: str | None) -> str:
    """`--framing` and `--terminator` to one `drivers.framing.Framing` value."""
    if framing == "stx-etx":
        if terminator:
            raise click.BadParameter("--terminator does not apply to --framing stx-etx")
        return "stx-etx"
    if terminator:
        return terminator
    return "crlf" if framing == "line" else "auto"


def _open_serial(target: str, opts: ListenOptions) -> ScanDevice:
    from drivers.serial_scanner import SerialScanner

    return SerialScanner(
        target,
        baudrate=opts.baud,
        parity=opts.parity,
        stopbits=opts.stopbits,
        bytesize=opts.bytesize,
        framing=serial_framing(opts.framing, opts.terminator),
        gap=opts.gap,
        rules=_rules(opts, "unknown"),
        dedup_window=opts.dedup_window,
        on_status=opts.on_status,
    )


def _open_evdev(target: str, opts: ListenOptions) -> ScanDevice:
    from drivers import registry
    from drivers.errors import DriverNotUsable

    try:
        scanner_cls = registry.load("evdev")
    except DriverNotUsable as exc:
        fail(str(exc))
    device: ScanDevice = scanner_cls(
        target,
        layout=opts.layout,
        grab=opts.grab,
        rules=_rules(opts, "keyboard"),
        dedup_window=opts.dedup_window,
        max_key_gap_ms=opts.max_key_gap_ms,
        on_status=opts.on_status,
        uid_format=opts.uid_format,
    )
    return device


class _TerminalWedge:
    """The terminal as a wedge scanner: stdin in cbreak mode feeds a `KeyboardWedge` from a thread.

    The kiosk UI feeds the same decoder from Textual key events; this is the self-test's stand-in.
    """

    def __init__(self, opts: ListenOptions) -> None:
        from drivers.wedge_device import KeyboardWedge

        rules = _rules(opts, "keyboard")
        self._wedge = KeyboardWedge(
            "terminal",
            rules=rules,
            dedup_window=opts.dedup_window,
            max_key_gap_ms=opts.max_key_gap_ms,
            uid_format=opts.uid_format,
        )
        self.name = self._wedge.name
        self._saved: Any = None
        self._stop = False
        self._on_status = opts.on_status

    @property
    def status(self) -> DeviceStatus:
        return self._wedge.status

    def open(self) -> None:
        import sys
        import termios
        import threading
        import tty

        fd = sys.stdin.fileno()
        if sys.stdin.isatty():
            self._saved = termios.tcgetattr(fd)
            tty.setcbreak(fd, termios.TCSANOW)  # keys one by one, no echo; keep type-ahead
        self._wedge.open()
        if self._on_status is not None:
            self._on_status(self.name, self._wedge.status)
        threading.Thread(target=self._pump, args=(fd,), daemon=True).start()

    def _pump(self, fd: int) -> None:
        import os
        import time

        while not self._stop:
            data = os.read(fd, 256)
            if not data:
                return
            now = time.monotonic()  # one timestamp per chunk, as coarse as a terminal's
            for ch in data.decode("utf-8", errors="replace"):
                self._wedge.feed(ch, now)

    def read(self, timeout: float | None = None) -> Any:
        return self._wedge.read(timeout)

    def close(self) -> None:
        import sys
        import termios

        self._stop = True
        self._wedge.close()
        if self._saved is not None:
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None


def _open_wedge(target: str, opts: ListenOptions) -> ScanDevice:
    if target != "-":
        fail("the wedge self-test reads this terminal: TARGET must be -")
    return _TerminalWedge(opts)


KINDS: dict[str, Opener] = {"serial": _open_serial, "evdev": _open_evdev, "wedge": _open_wedge}


def register_kind(kind: str, opener: Opener) -> None:
    """Add a device kind to `kiosk listen` (the camera and RFID drivers call this)."""
    KINDS[kind] = opener


def iso_utc(at: datetime) -> str:
    """`2026-04-01T09:30:00.123Z`: milliseconds and `Z`, not `+00:00`, so that the time's digits never
    run to 12 in a row (the My Number guard's shape; `05:25:24.123+00:00` would make 13)."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def management_id_check(code: str) -> tuple[str, str]:
    """Whether a scanned code is a management ID: `("valid" | "check_digit_wrong" | "not_an_id", words)`.

    A 10-digit value whose Damm check digit is wrong is a misread, a mistyped label or another
    numbering scheme; the self-test says so instead of printing it like a good scan.
    """
    from drivers import damm

    if len(code) == 10 and code.isascii() and code.isdigit():
        if damm.is_valid(code):
            return "valid", "a management ID: Damm check digit correct"
        return (
            "check_digit_wrong",
            "NOT a management ID: the Damm check digit is wrong (misread or misprinted)",
        )
    return "not_an_id", f"not a management ID: {len(code)} characters, an ID is 10 digits"


def _now() -> str:
    return iso_utc(datetime.now(UTC))


@cli.command()
@click.argument("kind")
@click.argument("target")
@click.option("--baud", type=int, default=9600, show_default=True, help="Serial: baud rate.")
@click.option(
    "--parity", type=click.Choice(["none", "even", "odd", "mark", "space"]), default="none", show_default=True
)
@click.option("--stopbits", type=click.Choice(["1", "1.5", "2"]), default="1", show_default=True)
@click.option("--bytesize", type=click.IntRange(5, 8), default=8, show_default=True)
@click.option(
    "--framing",
    type=click.Choice(["auto", "line", "stx-etx"]),
    default="auto",
    show_default=True,
    help="Serial: auto accepts CR, LF, CRLF, TAB and STX/ETX at once.",
)
@click.option(
    "--terminator",
    type=click.Choice(["cr", "lf", "crlf", "tab"]),
    default=None,
    help="Serial: accept only this line terminator (implies --framing line).",
)
@click.option("--prefix", default="", help="Prefix the scanner is configured to send (required, stripped).")
@click.option("--suffix", default="", help="Suffix the scanner is configured to send (required, stripped).")
@click.option("--aim", type=click.Choice(["auto", "require", "off"]), default="auto", show_default=True)
@click.option(
    "--code-id",
    type=click.Choice(["off", "zebra", "honeywell", "datalogic", "datalogic-eu", "denso"]),
    default="off",
    show_default=True,
    help="The vendor Code ID the scanner sends before each code (stripped; names the symbology).",
)
@click.option("--symbology", "symbologies", multiple=True, help="Accept only these (repeatable): code128...")
@click.option("--gap", type=float, default=0.5, show_default=True, help="Drop a partial frame after SECS.")
@click.option("--dedup-window", type=float, default=1.5, show_default=True, help="Double-read window, 0=off.")
@click.option("--layout", type=click.Choice(["us", "jis"]), default="us", help="evdev keymap [default: us]")
@click.option("--no-grab", is_flag=True, help="evdev: do not grab the device exclusively.")
@click.option(
    "--max-key-gap-ms",
    type=click.IntRange(1, 1000),
    default=None,
    help="wedge/evdev: the inter-key gap a scan may have (a slower scanner is reported as keys_too_slow).",
)
@click.option(
    "--uid-format",
    type=click.Choice(["hex", "hex-reversed", "decimal", "decimal-reversed"]),
    default=None,
    help="wedge/evdev: the device is an HF RFID pad typing tag UIDs in this format (read as UIDs, "
    "never as management IDs).",
)
@click.option("--opt", "extra", multiple=True, help="KEY=VALUE option for other device kinds (repeatable).")
@click.option("--count", type=click.IntRange(min=0), default=0, help="Stop after N scans (0: until Ctrl-C).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def listen(
    kind: str,
    target: str,
    baud: int,
    parity: str,
    stopbits: str,
    bytesize: int,
    framing: str,
    terminator: str | None,
    prefix: str,
    suffix: str,
    aim: str,
    code_id: str,
    symbologies: tuple[str, ...],
    gap: float,
    dedup_window: float,
    layout: str,
    no_grab: bool,
    max_key_gap_ms: int | None,
    uid_format: str | None,
    extra: tuple[str, ...],
    count: int,
    as_json: bool,
) -> None:
    """Self-test a scanner: print each scan and each rejected frame as it arrives.

    KIND is serial (TARGET a device path or pyserial URL), evdev (TARGET an input device path) or
    wedge (TARGET "-": a keyboard-wedge scanner typing into this terminal); safe-io (TARGET the
    module's modbus-tcp:// or modbus-rtu:// URL) prints the safe's door, loop, lock and module events.
    """
    if kind == SAFE_IO_KIND:
        listen_safe_io(target, extra, count=count, as_json=as_json)
        return
    from drivers.errors import DeviceUnavailable, FrameError
    from drivers.reasons import explain
    from drivers.scan import Symbology

    if kind not in KINDS:
        fail(f"unknown device kind {kind!r}; known: {', '.join(sorted([*KINDS, SAFE_IO_KIND]))}")
    try:
        symbology_names = [Symbology(s).value for s in symbologies]
    except ValueError:
        fail(f"unknown symbology; known: {', '.join(s.value for s in Symbology)}")
    pairs = [e.partition("=") for e in extra]
    if any(not sep for _k, sep, _v in pairs):
        fail("--opt takes KEY=VALUE")

    def on_status(name: str, status: DeviceStatus) -> None:
        echo(f"kiosk: {name}: {status.value}", err=True)

    opts = ListenOptions(
        baud=baud,
        parity=parity,
        stopbits=float(stopbits) if stopbits == "1.5" else int(stopbits),
        bytesize=bytesize,
        framing=framing,
        terminator=terminator,
        prefix=prefix,
        suffix=suffix,
        aim=aim,
        code_id=code_id,
        symbologies=tuple(symbology_names),
        gap=gap,
        dedup_window=dedup_window,
        layout=layout,
        grab=not no_grab,
        max_key_gap_ms=max_key_gap_ms,
        uid_format=uid_format,
        extra={k: v for k, _sep, v in pairs},
        on_status=on_status,
    )
    if code_id != "off":
        from drivers.code_id import VENDOR_NAMES, aim_advice

        echo(f"kiosk: reading {VENDOR_NAMES[code_id]} Code IDs; {aim_advice()}", err=True)
    device = KINDS[kind](target, opts)
    try:
        device.open()
    except DeviceUnavailable as exc:
        echo(f"kiosk: {exc}; waiting for it", err=True)
    seen = 0
    try:
        while not count or seen < count:
            try:
                scan = device.read(0.5)
            except FrameError as exc:
                # A diagnosis (line settings, a stray prefix, a Code ID) carries its own hint; the
                # hint names settings and affixes, never the refused text.
                hint = exc.detail if exc.detail and exc.detail != explain(exc.reason) else ""
                if as_json:
                    record = {"rejected": exc.reason, "source": exc.source, "at": _now()}
                    echo(json.dumps({**record, "hint": hint} if hint else record))
                else:
                    echo(f"{_now()} rejected {exc.reason}: {hint or explain(exc.reason)}")
                continue
            except DeviceUnavailable as exc:
                echo(f"kiosk: {exc}; waiting for it to come back", err=True)
                continue
            if scan is None:
                if getattr(device, "exhausted", False):
                    break  # a camera reading a video file or an image directory reached its end
                continue
            seen += 1
            at = iso_utc(scan.at)
            verdict, words = management_id_check(scan.code)
            if as_json:
                record = {"code": scan.code, "symbology": scan.symbology.value, "source": scan.source}
                echo(json.dumps({**record, "at": at, "management_id": verdict}, ensure_ascii=False))
            else:
                echo(f"{at} {scan.symbology.value:<10} {scan.code}  ({words})")
    except KeyboardInterrupt:
        pass  # Ctrl-C ends the self-test; an inventory still prints its summary
    finally:
        tally = getattr(device, "tally", None)  # an RFID inventory: what each tag did in all rounds
        device.close()
    if tally:
        for epc, t in sorted(tally.items()):
            if as_json:
                summary = {"tag": epc, "rounds": t.rounds, "reads": t.reads, "best_rssi": t.best_rssi}
                echo(json.dumps(summary))
            else:
                echo(f"tag {epc} rounds={t.rounds} reads={t.reads} best_rssi={t.best_rssi}")


# -- kiosk listen safe-io: the safe's door contact and lock (not a scanner) -------------------------

SAFE_IO_KIND = "safe-io"


def safe_io_record(event: Any) -> dict[str, Any]:
    """One safe I/O event as the JSON object `kiosk listen safe-io --json` prints."""
    from drivers.safe_io import DoorChanged, LineChanged, LockChanged

    record: dict[str, Any]
    if isinstance(event, DoorChanged):
        record = {"door": event.door.value}
        if event.initial:
            record["initial"] = True
    elif isinstance(event, LineChanged):
        record = {"line": event.line.value, "fault": event.fault, "value": event.value}
    elif isinstance(event, LockChanged):
        record = {"lock": event.lock.value, "reason": event.reason}
    else:
        record = {"module": event.status.value}
        if event.reason:
            record["reason"] = event.reason
    return {**record, "at": iso_utc(event.at)}


def _safe_io_line(record: dict[str, Any]) -> str:
    at = record["at"]
    if "door" in record:
        return f"{at} door {record['door']}" + (" (first reading)" if record.get("initial") else "")
    if "line" in record:
        what = "FAULT " if record["fault"] else ""
        return f"{at} line {what}{record['line']} (reading {record['value']})"
    if "lock" in record:
        return f"{at} lock {record['lock']} ({record['reason']})"
    reason = record.get("reason")
    return f"{at} module {record['module']}" + (f": {reason}" if reason else "")


def listen_safe_io(url: str, extra: tuple[str, ...], *, count: int, as_json: bool) -> None:
    """Print the safe I/O module's events until `count` door lines (0: until Ctrl-C)."""
    import drivers.safe_io as safe_io

    usable, why = safe_io.is_usable()
    if not usable:
        fail(why)
    from drivers.errors import DeviceUnavailable
    from drivers.safe_io.device import SafeIo, quiet_stack_logs

    pairs = [e.partition("=") for e in extra]
    if any(not sep for _k, sep, _v in pairs):
        fail("--opt takes KEY=VALUE")
    quiet_stack_logs()  # the driver reports each outage once; pymodbus would log every retry
    try:
        options: dict[str, Any] = {k: v for k, _sep, v in pairs}
        device = SafeIo(url, **options)
    except safe_io.SafeIoSettingsError as exc:
        fail(str(exc))
    try:
        device.open()
    except DeviceUnavailable as exc:
        echo(f"kiosk: {exc}; waiting for it", err=True)
    doors = 0
    try:
        while not count or doors < count:
            event = device.read(0.5)
            if event is None:
                continue
            record = safe_io_record(event)
            echo(json.dumps(record) if as_json else _safe_io_line(record))
            if "door" in record:
                doors += 1
    except KeyboardInterrupt:
        pass
    finally:
        device.close()
