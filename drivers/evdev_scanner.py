"""Keyboard-wedge scanners on Linux kiosks through evdev: an exclusive grab of the scanner's own input
device, our own keycode map (US or JIS, the scanner's keyboard country), kernel timestamps.

The event -> character logic is pure (`EvdevKeyDecoder`, fed `(type, code, value, timestamp)`), and
`EvdevWedgeDecoder` chains it into the wedge decoder, so both are tested without a device. The
`evdev` package is imported lazily (`is_usable()`); `EvdevScanner` takes an `opener` so the simulator
can stand in for `/dev/input/event*`.
"""

from __future__ import annotations

import errno
import select
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from drivers.device import DEFAULT_RECONNECT_INTERVAL, ReconnectingDevice, StatusCallback
from drivers.errors import DriverNotUsable, FrameError
from drivers.keymaps import KEY_CAPSLOCK as _KEY_CAPSLOCK
from drivers.keymaps import KEYMAPS, SHIFT_KEYS, SILENT_KEYS, Layout
from drivers.payload import PayloadRules
from drivers.reasons import REASON_SYN_DROPPED, REASON_UNKNOWN_KEY, explain
from drivers.scan import DEFAULT_DEDUP_WINDOW, Scan, Symbology
from drivers.wedge import EVDEV_TIMING, TypedText, WedgeDecoder, WedgeTiming

EV_SYN = 0x00
EV_KEY = 0x01
EV_MSC = 0x04
SYN_REPORT = 0
SYN_DROPPED = 3
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2
SWALLOWED = "swallowed"  # marker: a key-down discarded after SYN_DROPPED


def is_usable() -> tuple[bool, str]:
    """Whether the `evdev` package imports here (Linux only)."""
    try:
        import evdev  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the machine
        return False, f"the evdev package is missing ({exc}); install it: pip install evdev (Linux only)"
    return True, ""


class EvdevKeyDecoder:
    """Pure: input events in, `(char, t)` out. Tracks Shift and Caps Lock; key-down only.

    `feed(type, code, value, t)` returns a list of `(char, t)` and may return the string
    `"syn_dropped"`, `"unknown_key"` or `"swallowed"` (a key-down discarded after SYN_DROPPED, until
    the next SYN_REPORT as the kernel documents) as a marker that the current code is invalid.
    """

    def __init__(self, layout: Layout | str = Layout.US) -> None:
        self.layout = Layout(layout)
        self._map = KEYMAPS[self.layout]
        self._shift: set[int] = set()
        self._caps = False
        self._dropping = False  # after SYN_DROPPED, until the next SYN_REPORT

    def reset(self) -> None:
        self._shift.clear()
        self._caps = False
        self._dropping = False

    def feed(self, type_: int, code: int, value: int, t: float) -> list[tuple[str, float]] | str:
        if type_ == EV_SYN:
            if code == SYN_DROPPED:
                self._dropping = True
                self._shift.clear()  # key state is unknown now
                return REASON_SYN_DROPPED
            if code == SYN_REPORT and self._dropping:
                self._dropping = False
            return []
        if type_ != EV_KEY:
            return []
        if self._dropping:
            # Until the next SYN_REPORT events are unreliable; a lost key-down would shorten a code.
            return SWALLOWED if value == KEY_DOWN and code not in SHIFT_KEYS else []
        if code in SHIFT_KEYS:
            if value == KEY_UP:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return []
        if value != KEY_DOWN:
            return []  # releases and autorepeat type nothing
        if code == _KEY_CAPSLOCK:
            self._caps = not self._caps
            return []
        if code in SILENT_KEYS:
            return []
        pair = self._map.get(code)
        if pair is None or not (pair[1] if self._shift else pair[0]):
            return REASON_UNKNOWN_KEY
        char = pair[1] if self._shift else pair[0]
        if self._caps and char.isalpha():
            char = char.swapcase()
        return [(char, t)]


class EvdevWedgeDecoder:
    """Input events -> `Scan` / `FrameError`, through `EvdevKeyDecoder` and `WedgeDecoder`.

    SYN_DROPPED or an unknown key invalidates the code being typed: it is reported once as a
    `FrameError` and the rest of that code is discarded, up to its terminator or a pause longer than
    the timing's `key_gap` (so a drop between two scans does not cost the next one).
    """

    def __init__(
        self,
        source: str,
        *,
        layout: Layout | str = Layout.US,
        timing: WedgeTiming = EVDEV_TIMING,
        rules: PayloadRules | None = None,
        clock: Callable[[float], datetime] | None = None,
        uid_format: str | None = None,
    ) -> None:
        self.source = source
        self.keys = EvdevKeyDecoder(layout)
        self.wedge = WedgeDecoder(
            source,
            timing=timing,
            rules=rules or PayloadRules(default_symbology=Symbology.KEYBOARD),
            clock=clock,
            uid_format=uid_format,
        )
        self._invalid = False  # discard keys until the next terminator or pause
        self._invalid_last = 0.0  # time of the last key discarded

    def feed(self, type_: int, code: int, value: int, t: float) -> list[Scan | FrameError]:
        got = self.keys.feed(type_, code, value, t)
        if isinstance(got, str):
            out: list[Scan | FrameError] = []
            if not self._invalid:
                reason = REASON_SYN_DROPPED if got == SWALLOWED else got
                out.append(FrameError(reason, self.source, explain(reason)))
            self.wedge.reset()
            self._invalid = True
            self._invalid_last = t
            return out
        results: list[Scan | FrameError] = []
        for char, tc in got:
            if self._invalid:
                if tc - self._invalid_last <= self.wedge.timing.key_gap:
                    self._invalid_last = tc
                    if char in "\r\n\t":
                        self._invalid = False
                    continue
                self._invalid = False  # a pause: this key starts a new code
            results += _scans(self.wedge.feed(char, tc))
        return results

    def feed_events(self, events: Iterable[tuple[int, int, int, float]]) -> list[Scan | FrameError]:
        out: list[Scan | FrameError] = []
        for ev in events:
            out += self.feed(*ev)
        return out

    def poll(self, now: float) -> list[Scan | FrameError]:
        if self._invalid and not self.wedge.pending:
            return []
        return _scans(self.wedge.poll(now))

    def reset(self) -> None:
        self.keys.reset()
        self.wedge.reset()
        self._invalid = False


def _scans(results: list[Scan | FrameError | TypedText]) -> list[Scan | FrameError]:
    # On a grabbed scanner nobody types by hand; TypedText cannot occur with EVDEV_TIMING.
    return [r for r in results if not isinstance(r, TypedText)]


class InputDeviceLike(Protocol):
    """What `EvdevScanner` needs from `evdev.InputDevice` (the simulator provides the same)."""

    def fileno(self) -> int: ...

    def read(self) -> Iterable[Any]: ...

    def grab(self) -> None: ...

    def close(self) -> None: ...


def _open_evdev(path: str) -> InputDeviceLike:
    usable, why = is_usable()
    if not usable:
        raise DriverNotUsable(why)
    import evdev

    device: InputDeviceLike = evdev.InputDevice(path)
    return device


class EvdevScanner(ReconnectingDevice):
    """A wedge scanner read from `/dev/input/by-id/...-event-kbd` with an exclusive grab.

    `layout` is the scanner's keyboard country ("us" or "jis"); `grab=True` keeps its keys away from
    the desktop and the terminal. `opener(path)` returns an `evdev.InputDevice`-like object (the
    default uses python-evdev). Unplug (`ENODEV`) is handled like serial: reported once as
    `DeviceUnavailable`, then the path is polled and reopened.
    """

    def __init__(
        self,
        path: str,
        *,
        name: str | None = None,
        layout: Layout | str = Layout.US,
        grab: bool = True,
        timing: WedgeTiming = EVDEV_TIMING,
        rules: PayloadRules | Mapping[str, Any] | None = None,
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
        reconnect_interval: float = DEFAULT_RECONNECT_INTERVAL,
        max_key_gap_ms: int | None = None,
        on_status: StatusCallback | None = None,
        opener: Callable[[str], InputDeviceLike] | None = None,
        uid_format: str | None = None,
    ) -> None:
        super().__init__(
            name or path,
            dedup_window=dedup_window,
            reconnect_interval=reconnect_interval,
            on_status=on_status,
        )
        self.path = path
        self.grab = grab
        if max_key_gap_ms is not None:
            # The longest pause between two keys of one code; the grabbed device needs no burst.
            timing = WedgeTiming(
                key_gap=max_key_gap_ms / 1000,
                mean_gap=max_key_gap_ms / 1000,
                min_length=1,
                require_burst=False,
            )
        self.decoder = EvdevWedgeDecoder(
            self.name,
            layout=layout,
            timing=timing,
            rules=PayloadRules.coerce(rules, Symbology.KEYBOARD),
            uid_format=uid_format,
        )
        self._opener = opener or _open_evdev
        self._device: InputDeviceLike | None = None
        self._offset: float | None = None  # monotonic - event timestamp

    def _connect(self) -> None:
        device = self._opener(self.path)
        if self.grab:
            try:
                device.grab()
            except OSError:
                device.close()
                raise
        self._device = device
        self.decoder.reset()

    def _watch_path(self) -> str | None:
        return self.path if self.path.startswith("/") else None

    def _disconnect(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            device.close()

    def _drop_partial(self) -> int:
        pending = self.decoder.wedge.pending
        self.decoder.reset()
        return int(pending)

    def _read_chunk(self, timeout: float, now: float) -> list[Scan | FrameError]:
        device = self._device
        if device is None:
            raise OSError(errno.ENODEV, "device closed")
        ready, _, _ = select.select([device], [], [], timeout)
        if not ready:
            return []
        try:
            events = list(device.read())
        except BlockingIOError:
            return []
        if not events:
            return []
        # Kernel timestamps keep the spacing of the keys; the offset to our monotonic clock lets
        # `poll(now)` time out an unfinished code.
        self._offset = time.monotonic() - float(events[-1].timestamp())
        out: list[Scan | FrameError] = []
        for ev in events:
            out += self.decoder.feed(ev.type, ev.code, ev.value, float(ev.timestamp()) + self._offset)
        return out

    def _poll(self, now: float) -> list[Scan | FrameError]:
        return self.decoder.poll(now)
