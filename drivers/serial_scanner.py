"""Serial barcode scanners (RS-232 and USB-COM), opened only through `serial.serial_for_url`.

Real ports (`/dev/ttyACM0`, the stable `/dev/serial/by-id/...` link), pyserial's `loop://` and
`spy://`, and the simulator's `sim://` all run this same code::

    scanner = SerialScanner("/dev/serial/by-id/usb-Honeywell_...-if00", baudrate=115200, framing="auto")
    scanner.open()
    scan = scanner.read(timeout=0.5)  # Scan | None; raises FrameError / DeviceUnavailable

Bytes go through `LineFramer` (framing, partial-frame timeout), then `decode_payload` (prefix/suffix,
AIM identifier, guard, allow-list), then the `Deduplicator`. Unplug: `SerialException`, `OSError`
and `termios.error` are caught, the port closed, the partial frame dropped, and later reads poll the
configured path until it comes back (see `drivers.device`).
"""

from __future__ import annotations

import logging
import os
import termios
import time
from collections.abc import Mapping
from typing import Any

import serial

from drivers import damm
from drivers.device import DEFAULT_RECONNECT_INTERVAL, ReconnectingDevice, StatusCallback
from drivers.errors import FrameError
from drivers.framing import (
    DEFAULT_GAP,
    DEFAULT_MAX_LENGTH,
    REASON_GLITCH,
    Bursts,
    Dropped,
    Framing,
    LineFramer,
    RawFrame,
)
from drivers.line_check import LineCheck
from drivers.payload import PayloadRules, decode_payload, text_from_bytes
from drivers.reasons import explain
from drivers.scan import DEFAULT_DEDUP_WINDOW, Scan, utc_now
from drivers.text import REASON_MYNUMBER
from drivers.uart import LineSettings

log = logging.getLogger(__name__)

_GLITCH_BYTES = 4  # bad bytes a burst may hold and still carry a scan (a power-up glitch before it)

PARITIES = {"none": "N", "even": "E", "odd": "O", "mark": "M", "space": "S"}


def is_url(target: str) -> bool:
    """True for a pyserial URL (`loop://`, `sim://...`), False for a device path."""
    return "://" in target


class _KeepInputSerial(serial.Serial):
    """A port whose `open()` keeps the bytes already waiting (pyserial's flushes them).

    A scanner replugged a moment before a scan: the scan reached the tty between the link appearing
    and the open, and flushing it would lose it without a word.
    """

    _opening = False

    def open(self) -> None:
        self._opening = True
        try:
            super().open()
        finally:
            self._opening = False

    def _reset_input_buffer(self) -> None:
        if not self._opening:
            serial.Serial._reset_input_buffer(self)  # type: ignore[attr-defined]


class SerialScanner(ReconnectingDevice):
    """A serial scanner at `url` (a device path or any pyserial URL).

    Line settings: `baudrate`, `bytesize` (5-8), `parity` ("N", "E", "O", "M", "S" or "none", "even",
    ...), `stopbits` (1, 1.5, 2). Framing: `framing` (see `drivers.framing.Framing`; "auto" accepts CR,
    LF, CRLF, TAB and STX/ETX at once), `gap` (a partial frame older than this is dropped),
    `max_length`. Payload: `rules` (prefix, suffix, AIM handling, symbology allow-list; see
    `PayloadRules`). `dedup_window` seconds for double reads (0 = off). `reconnect_interval` between
    attempts to reopen after an unplug; `on_status(name, status)` hears every status change.
    """

    _lost_errors = (OSError, termios.error)

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        baudrate: int = 9600,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        framing: Framing | str = Framing.AUTO,
        gap: float = DEFAULT_GAP,
        max_length: int = DEFAULT_MAX_LENGTH,
        rules: PayloadRules | Mapping[str, Any] | None = None,
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
        reconnect_interval: float = DEFAULT_RECONNECT_INTERVAL,
        on_status: StatusCallback | None = None,
    ) -> None:
        super().__init__(
            name or url, dedup_window=dedup_window, reconnect_interval=reconnect_interval, on_status=on_status
        )
        self.url = url
        self.settings: dict[str, Any] = {
            "baudrate": baudrate,
            "bytesize": bytesize,
            "parity": PARITIES.get(parity.lower(), parity.upper()),
            "stopbits": stopbits,
        }
        self.framer = LineFramer(framing, gap=gap, max_length=max_length)
        self.rules = PayloadRules.coerce(rules)
        self.bursts = Bursts()
        self.line = LineCheck(
            LineSettings(baudrate, bytesize, self.settings["parity"], stopbits), self.bursts, source=self.name
        )
        self._held: list[Scan | FrameError] = []  # scans waiting for their burst to end (see `_frames`)
        # pyserial's stubs type serial_for_url as SerialBase, which lacks in_waiting; every real class has it.
        self._port: Any = None

    def _connect(self) -> None:
        # Poll the stable path itself: a replugged adapter may come back as another ttyUSBn, but its
        # /dev/serial/by-id link (or the configured path) names it again.
        if not is_url(self.url) and not os.path.exists(self.url):
            raise FileNotFoundError(f"{self.url} is absent")
        if is_url(self.url):
            port = serial.serial_for_url(self.url, do_not_open=True, timeout=0, **self.settings)
        else:
            port = _KeepInputSerial(None, timeout=0, **self.settings)
            port.port = self.url
            port.exclusive = True  # a second program (or kiosk) on the same scanner would steal bytes
        port.open()
        self._port = port
        self.framer.reset()
        self.bursts.reset()
        self.line.reset()

    def _watch_path(self) -> str | None:
        return None if is_url(self.url) else self.url

    def _disconnect(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            port.close()

    def _drop_partial(self) -> int:
        self._held.clear()
        return sum(ev.length for ev in self.framer.reset() if isinstance(ev, Dropped))

    def _read_chunk(self, timeout: float, now: float) -> list[Scan | FrameError]:
        port = self._port
        if port is None:  # closed under us
            raise OSError("port closed")
        if port.timeout != timeout:  # pyserial reconfigures the port (termios) on every assignment
            port.timeout = timeout
        waiting = port.in_waiting
        data = port.read(waiting or 1)
        if not data:
            return []
        if port.in_waiting:  # the rest of a burst arrived while we woke up
            data += port.read(port.in_waiting)
        # The bytes arrived now, not when the read began: a read that waited 0.1 s for the first byte
        # of a scan must not make that byte look 0.1 s older than the second (a pause inside a frame).
        now = time.monotonic()
        out = self._release(now)
        if self.bursts.feed(data, now) or self.line.active:
            self.line.feed(data, now)  # the evidence of a bad line (a healthy one never gets here)
        return out + self._frames(self.framer.feed(data, now), now)

    def _poll(self, now: float) -> list[Scan | FrameError]:
        return self._release(now) + self._frames(self.framer.poll(now), now)

    def _release(self, now: float) -> list[Scan | FrameError]:
        """Scans held until their burst ended: pieces of a bad burst are refused, the rest delivered."""
        if not self._held or not self.bursts.over(now):
            return []
        held, self._held = self._held, []
        bad = self.bursts.bad > _GLITCH_BYTES
        out: list[Scan | FrameError] = []
        for item in held:
            answer: Scan | FrameError | None = item
            if isinstance(item, Scan):
                if bad and not damm.is_management_id(item.code):
                    answer = self.line.fragment(now)
                else:
                    self._good(now)
            if answer is not None:
                out.append(answer)
        return out

    def _frames(self, events: list[RawFrame | Dropped], now: float) -> list[Scan | FrameError]:
        """Frames to scans and rejections; a bad line's rejections become one `line_settings`."""
        out: list[Scan | FrameError] = []
        for ev in events:
            item: Scan | FrameError | None
            if isinstance(ev, Dropped):
                if ev.reason == REASON_GLITCH:
                    log.info("%s: ignored %d byte(s) of power-up glitch", self.name, ev.length)
                    continue
                if ev.reason == "partial_timeout" and not self.line.active:
                    self._warn_partial(ev)
                item = FrameError(ev.reason, self.name, ev.detail or explain(ev.reason))
            else:
                item = self._decode(ev)
            if isinstance(item, FrameError):
                # A dropped frame is judged by when its last byte came (a late poll must not make
                # the bad bytes look old).
                when, frame = (ev.at, None) if isinstance(ev, Dropped) else (now, ev.data)
                item = self.line.review(item, when, frame)
            elif self._held:
                self._held.append(item)  # behind a held scan: the order of scans is kept
                item = None
            elif damm.is_management_id(item.code):
                self._good(now)  # ten digits with their check digit: a whole scan, not a piece
            elif self.bursts.bad > _GLITCH_BYTES:
                # Text that decoded inside a burst of bad bytes (a wrong baud rate can frame an "H"):
                # a piece of a scan, never a scan.
                item = self.line.fragment(now)
            else:
                # Anything else waits for its burst to end, so that bad bytes after it can still show
                # it to be a fragment.
                self._held.append(item)
                item = None
            if item is not None and self._held:
                self._held.append(item)
            elif item is not None:
                out.append(item)
        return out

    def _good(self, now: float) -> None:
        """A scan was accepted: it ends a bad-line episode (a healthy line has none to end)."""
        if self.line.active:
            self.line.good(now)

    def _decode_bytes(self, data: bytes) -> Scan | FrameError:
        try:
            text = text_from_bytes(data, self.name)
            return decode_payload(text, self.rules, source=self.name, at=utc_now(), raw=data)
        except FrameError as exc:
            return exc

    def _decode(self, ev: RawFrame) -> Scan | FrameError:
        """The frame's scan or rejection. A first frame with a `suspect` head (bytes before a pause):
        the whole when it is well formed, the rest when only the rest is (the head was a glitch), the
        whole's rejection otherwise. Of two well-formed readings, a management ID wins over a code that
        is not one, else the whole; an individual number in the whole refuses both."""
        whole = self._decode_bytes(ev.data)
        if not ev.suspect or (isinstance(whole, FrameError) and whole.reason == REASON_MYNUMBER):
            return whole
        rest = self._decode_bytes(ev.data[ev.suspect :])
        if isinstance(rest, FrameError):
            return whole
        if isinstance(whole, Scan) and (
            damm.is_management_id(whole.code) or not damm.is_management_id(rest.code)
        ):
            return whole
        log.info("%s: ignored %d byte(s) of power-up glitch before the first scan", self.name, ev.suspect)
        return rest

    def _warn_partial(self, ev: Dropped) -> None:
        log.warning(
            "%s: dropped a partial frame of %d bytes (no terminator within %.2f s)",
            self.name,
            ev.length,
            self.framer.gap,
        )
