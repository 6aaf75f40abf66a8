"""Where the safe's I/O module is and how it is wired: one URL, parsed into a `SafeIoTarget`.

    modbus-tcp://HOST[:PORT]?unit=1&door_input=0&relay=0&polarity=nc&poll_ms=100
    modbus-rtu:///dev/serial/by-id/usb-FTDI_...-if00-port0?baudrate=9600&parity=N&unit=1&door_input=0

The scheme names the transport: Modbus TCP (port 502 when omitted) or Modbus RTU on a serial device
(the path after `//`; a USB-RS485 adapter's stable `/dev/serial/by-id/` link is the one to use).
Query keys (all optional; the defaults are those of `SafeIoTarget`):

- `unit`: the module's Modbus device id (1-247; "slave id" in older manuals).
- `door_input`: the discrete input (function 2, from 0) the door contact is wired to; `none` when
  the door is read through the line-supervision input only.
- `polarity`: `nc` (normally closed: the contact conducts while the door is shut, so a cut wire
  reads as open; the safe default) or `no` (normally open: it conducts while the door is open).
- `relay`: the coil (function 1 to read, 5 to write, from 0) that drives the lock; `none` for a
  door contact without a lock.
- `lock`: `strike` (the coil energised releases the lock: fail-secure strikes and motor locks) or
  `maglock` (the coil energised holds the door: fail-safe magnetic locks).
- `poll_ms` (20-1000, default 100): how often the input is read. `debounce_ms` (0-2000, default 0): a
  new door state must hold this long before it is reported.
- `line_input`: the input register (function 4, from 0) of an end-of-line supervised loop, or
  `none`. `line` = `SHORT,CLOSED,OPEN`: the three ascending limits of the module's reading
  (below SHORT: shorted; below CLOSED: door closed; below OPEN: door open; from OPEN up: cut).
- `baudrate`, `parity` (N, E, O), `bytesize` (7, 8), `stopbits` (1, 2): RTU line settings.
- `timeout_ms` (50-5000, default 500): how long one request may wait for the answer.
- `reconnect_max_s` (0.5-60, default 5): the longest wait between attempts to reach a module that
  stopped answering (the wait starts at 0.25 s and doubles).

Every mistake raises `SafeIoSettingsError` (a `ValueError`) saying which key is wrong and what is
allowed. This module is plain Python: it imports neither pymodbus nor anything that does I/O.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from drivers.errors import DriverError

SCHEMES = ("modbus-tcp", "modbus-rtu")
DEFAULT_TCP_PORT = 502
BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class SafeIoSettingsError(DriverError, ValueError):
    """The safe I/O URL or one of its settings is wrong; the message names the key and what is allowed."""


class Polarity(enum.StrEnum):
    """How the door contact is wired (see `drivers.safe_io.sense.DoorSense`)."""

    NC = "nc"  # conducts while the door is shut
    NO = "no"  # conducts while the door is open


class LockKind(enum.StrEnum):
    """What energising the relay does to the lock."""

    STRIKE = "strike"  # coil on = released (fail-secure)
    MAGLOCK = "maglock"  # coil on = held (fail-safe)


@dataclass(frozen=True, slots=True)
class LineLimits:
    """Ascending limits of an end-of-line supervised loop's reading (the module's raw counts).

    value < `short` is a shorted loop, < `closed` the door closed, < `open` the door open, and
    anything from `open` up a cut loop. Double end-of-line wiring puts the readings in this order.
    """

    short: int = 1000
    closed: int = 4000
    open: int = 8000

    def __post_init__(self) -> None:
        if not 0 <= self.short < self.closed < self.open <= 65535:
            raise SafeIoSettingsError(
                # The values are not repeated: joined by commas they could read as one long digit run.
                "line limits must ascend within 0-65535: SHORT < CLOSED < OPEN"
            )


@dataclass(frozen=True, slots=True)
class SafeIoTarget:
    """The module's address and the safe's wiring, as parsed from a URL (see the module docstring)."""

    transport: str  # "tcp" or "rtu"
    host: str = ""  # tcp
    port: int = DEFAULT_TCP_PORT  # tcp
    device: str = ""  # rtu: the serial device path
    baudrate: int = 9600
    parity: str = "N"
    bytesize: int = 8
    stopbits: int = 1
    unit: int = 1
    door_input: int | None = 0
    polarity: Polarity = Polarity.NC
    relay: int | None = 0
    lock: LockKind = LockKind.STRIKE
    poll_ms: int = 100
    debounce_ms: int = 0
    line_input: int | None = None
    line: LineLimits = LineLimits()
    timeout_ms: int = 500
    reconnect_max_s: float = 5.0

    def __post_init__(self) -> None:
        _check(self)

    @property
    def where(self) -> str:
        """Where the module is, for messages: `10.0.0.5:502` or `/dev/ttyUSB0`."""
        return f"{self.host}:{self.port}" if self.transport == "tcp" else self.device

    @property
    def url(self) -> str:
        """The target as a URL again (every key spelled out), for logs and `kiosk doctor`."""
        base = (
            f"modbus-tcp://{self.host}:{self.port}"
            if self.transport == "tcp"
            else f"modbus-rtu://{self.device}"
        )
        query = {k: v for k, v in _query_values(self).items() if k not in _ADDRESS_KEYS}
        return base + "?" + "&".join(f"{k}={v}" for k, v in query.items())

    def with_options(self, **options: Any) -> SafeIoTarget:
        """A copy with `options` (the query keys, as values or strings) applied and checked."""
        return replace(self, **_coerce_all(options))


_ADDRESS_KEYS = {"transport", "host", "port", "device"}
_OPTIONAL_INTS = {"door_input", "relay", "line_input"}


def _query_values(target: SafeIoTarget) -> dict[str, str]:
    out: dict[str, str] = {}
    for f in fields(target):
        value = getattr(target, f.name)
        if isinstance(value, LineLimits):
            out[f.name] = f"{value.short},{value.closed},{value.open}"
        elif value is None:
            out[f.name] = "none"
        elif isinstance(value, enum.Enum):
            out[f.name] = str(value.value)
        else:
            out[f.name] = f"{value:g}" if isinstance(value, float) else str(value)
    return out


def _shown(text: str) -> str:
    """`text` quoted for a message, unless it holds digits enough to be part of an individual number:
    a message never repeats what could be one (the My Number guard's rule for every output)."""
    if sum(c.isdigit() for c in text) >= 6 or len(text) > 40:
        return "(a name not repeated here)"
    return repr(text)


def _range(key: str, value: int | float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise SafeIoSettingsError(f"{key} must be between {low:g} and {high:g} (got {value:g})")


def _check(t: SafeIoTarget) -> None:
    if t.transport not in ("tcp", "rtu"):
        raise SafeIoSettingsError(f"transport must be tcp or rtu (got {t.transport!r})")
    if t.transport == "tcp":
        if not t.host:
            raise SafeIoSettingsError("modbus-tcp needs a host: modbus-tcp://HOST[:PORT]")
        _range("port", t.port, 1, 65535)
    else:
        if not t.device.startswith("/"):
            raise SafeIoSettingsError(
                "modbus-rtu needs an absolute device path: modbus-rtu:///dev/serial/by-id/..."
            )
        if t.baudrate not in BAUDRATES:
            raise SafeIoSettingsError(f"baudrate must be one of {', '.join(map(str, BAUDRATES))}")
        if t.parity not in ("N", "E", "O"):
            raise SafeIoSettingsError("parity must be N, E or O")
        if t.bytesize not in (7, 8):
            raise SafeIoSettingsError("bytesize must be 7 or 8")
        if t.stopbits not in (1, 2):
            raise SafeIoSettingsError("stopbits must be 1 or 2")
    _range("unit", t.unit, 1, 247)
    for key in ("door_input", "relay", "line_input"):
        value = getattr(t, key)
        if value is not None:
            _range(key, value, 0, 65535)
    if t.door_input is None and t.line_input is None:
        raise SafeIoSettingsError(
            "the door needs an input: set door_input (a discrete input) or line_input (a supervised loop)"
        )
    _range("poll_ms", t.poll_ms, 20, 1000)
    _range("debounce_ms", t.debounce_ms, 0, 2000)
    _range("timeout_ms", t.timeout_ms, 50, 5000)
    _range("reconnect_max_s", t.reconnect_max_s, 0.5, 60)


def _coerce(key: str, raw: Any) -> Any:
    """One query value (a string from a URL, or a typed value from a configuration) to its type."""
    try:
        if key in _OPTIONAL_INTS:
            if raw is None or (isinstance(raw, str) and raw.lower() in ("none", "")):
                return None
            return _int(raw)
        if key in ("unit", "poll_ms", "debounce_ms", "timeout_ms", "baudrate", "bytesize", "stopbits"):
            return _int(raw)
        if key == "reconnect_max_s":
            return float(raw)
        if key == "polarity":
            return Polarity(str(raw).lower())
        if key == "lock":
            return LockKind(str(raw).lower())
        if key == "parity":
            value = {"none": "N", "even": "E", "odd": "O"}.get(str(raw).lower(), str(raw).upper())
            return value
        if key == "line":
            return _line(raw)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SafeIoSettingsError):
            raise
        raise SafeIoSettingsError(f"{key}: {_allowed(key)}") from None
    raise SafeIoSettingsError(f"unknown setting {key!r}; allowed: {', '.join(sorted(QUERY_KEYS))}")


def _int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise TypeError("a flag is not a number")
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 6:  # also keeps any long digit run out of messages and state
        raise ValueError("not a whole number")
    return int(text)


def _line(raw: Any) -> LineLimits:
    parts = raw if isinstance(raw, list | tuple) else str(raw).split(",")
    if len(parts) != 3:
        raise ValueError("three limits")
    return LineLimits(*(_int(p) for p in parts))


def _allowed(key: str) -> str:
    return {
        "polarity": "nc or no",
        "lock": "strike or maglock",
        "line": "three ascending whole numbers SHORT,CLOSED,OPEN",
        "reconnect_max_s": "a number of seconds",
    }.get(key, "a whole number" + (" or none" if key in _OPTIONAL_INTS else ""))


QUERY_KEYS = frozenset(
    {f.name for f in fields(SafeIoTarget)} - _ADDRESS_KEYS
)  # the keys a URL's query (or a configuration) may set


def _coerce_all(options: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(options) - QUERY_KEYS)
    if unknown:
        raise SafeIoSettingsError(
            f"unknown setting {_shown(unknown[0])}; allowed: {', '.join(sorted(QUERY_KEYS))}"
        )
    return {key: _coerce(key, value) for key, value in options.items()}


def parse_url(url: str, **options: Any) -> SafeIoTarget:
    """Parse a `modbus-tcp://` or `modbus-rtu://` URL; `options` add settings the query does not set.

    A key set both in the URL and in `options` is an error, so a setting lives in one place.
    """
    if not isinstance(url, str) or "://" not in url:
        raise SafeIoSettingsError(
            "a safe I/O URL looks like modbus-tcp://HOST:PORT?unit=1 or modbus-rtu:///dev/ttyUSB0?baudrate=9600"
        )
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise SafeIoSettingsError(
            f"unknown scheme {_shown(parts.scheme)}; use modbus-tcp://HOST:PORT or modbus-rtu:///dev/..."
        )
    try:
        pairs = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise SafeIoSettingsError("the URL's query must be KEY=VALUE pairs joined by &") from None
    query: dict[str, Any] = {}
    for key, value in pairs:
        if key in query:
            raise SafeIoSettingsError(f"{_shown(key)} is given twice in the URL")
        query[key] = value
    both = sorted(set(query) & set(options))
    if both:
        raise SafeIoSettingsError(f"{_shown(both[0])} is set both in the URL and in the settings: keep one")
    values = _coerce_all({**query, **options})
    if parts.scheme == "modbus-tcp":
        try:
            port = parts.port or DEFAULT_TCP_PORT
        except ValueError:
            raise SafeIoSettingsError("the port must be a number from 1 to 65535") from None
        if parts.path not in ("", "/"):
            raise SafeIoSettingsError("modbus-tcp URLs have no path: modbus-tcp://HOST:PORT?...")
        return SafeIoTarget("tcp", host=parts.hostname or "", port=port, **values)
    if parts.netloc:
        raise SafeIoSettingsError(
            "modbus-rtu takes a device path after three slashes: modbus-rtu:///dev/ttyUSB0"
        )
    return SafeIoTarget("rtu", device=parts.path, **values)
