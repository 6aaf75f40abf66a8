"""Timed key sequences for the wedge paths, and the simulated keyboard and evdev devices.

Pure generators (`burst`, `human`, `fullwidth`, `kana_input`, `swap_layout`, `evdev_events`) build
the input a wedge decoder sees: a scanner's burst, a person typing, an IME turning `-` into `ー`, a
US/JIS layout mismatch, input events with kernel-style timestamps and SYN_DROPPED. `SimKeyboard`
types them into a `KeyboardWedge`; `SimEvdevNode` serves them to `EvdevScanner` through
`hub.evdev_opener`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from drivers.keymaps import JIS_ON_US, KEY_LEFTSHIFT, KEYMAPS, US_ON_JIS, Layout, retype

EV_SYN, EV_KEY, SYN_REPORT, SYN_DROPPED = 0, 1, 0, 3

# JIS kana-input mode: what the digit keys type when the IME is on in かな入力.
_KANA_DIGITS = dict(zip("1234567890-", "ぬふあうえおやゆよわほ", strict=True))


def burst(
    text: str, start: float, interval: float = 0.004, terminator: str = "\r"
) -> list[tuple[str, float]]:
    """A scanner typing `text` + terminator, one key every `interval` seconds from `start`."""
    chars = text + terminator
    return [(ch, start + i * interval) for i, ch in enumerate(chars)]


def human(
    text: str,
    start: float,
    interval: float = 0.18,
    jitter: float = 0.06,
    terminator: str = "\r",
    rng: random.Random | None = None,
) -> list[tuple[str, float]]:
    """A person typing `text` (+ terminator) at roughly one key per `interval` seconds."""
    rng = rng or random.Random(0)
    out: list[tuple[str, float]] = []
    t = start
    for ch in text + terminator:
        out.append((ch, t))
        t += max(0.06, interval + rng.uniform(-jitter, jitter))
    return out


# What an xterm-compatible terminal sends for the keypad keys with NumLock off.
KEYPAD_NUMLOCK_OFF = {
    "0": "\x1b[2~", "1": "\x1b[F", "2": "\x1b[B", "3": "\x1b[6~", "4": "\x1b[D",
    "5": "\x1b[E", "6": "\x1b[C", "7": "\x1b[H", "8": "\x1b[A", "9": "\x1b[5~", ".": "\x1b[3~",
}  # fmt: skip
# The same keys as Textual names them.
KEYPAD_NUMLOCK_OFF_KEYS = {
    "0": "insert", "1": "end", "2": "down", "3": "pagedown", "4": "left", "5": "clear", "6": "right",
    "7": "home", "8": "up", "9": "pageup", ".": "delete",
}  # fmt: skip


def keypad_numlock_off(
    text: str, start: float, interval: float = 0.004, terminator: str = "\r"
) -> list[tuple[str, float]]:
    """A scanner typing `text` on the numeric keypad with NumLock off: escape sequences, then Enter
    (the keypad's Enter still types a CR). Each sequence's bytes arrive together."""
    out: list[tuple[str, float]] = []
    t = start
    for ch in text:
        out += [(c, t) for c in KEYPAD_NUMLOCK_OFF.get(ch, ch)]
        t += interval
    return [*out, (terminator, t)] if terminator else out


def ime_commit(text: str, start: float) -> list[tuple[str, float]]:
    """What the terminal gets when an IME held a scan in its composition and took the scanner's Enter
    to commit it: the full-width text at once, and no Enter."""
    return [(ch, start) for ch in fullwidth(text)]


def ime_chunked_commit(
    text: str,
    start: float,
    pieces: int = 2,
    *,
    interval: float = 0.004,
    halfwidth: bool = True,
    enter: bool = False,
    enter_after_first: bool = False,
) -> list[tuple[str, float]]:
    """An IME that commits a scanner's keys in `pieces` (as Mozc or fcitx do when the composition
    grows, or on a digit-to-letter change): each piece arrives at once when the scanner has typed it,
    half-width or full-width as the IME is set, and the scanner's Enter is taken to commit the last
    (`enter=True`: the IME passes it on after the commit; `enter_after_first=True`: it passes it on
    right after the first piece, before committing the rest)."""
    typed = text if halfwidth else fullwidth(text)
    step = max(1, -(-len(typed) // pieces))
    out: list[tuple[str, float]] = []
    for i in range(0, len(typed), step):
        at = start + (i + step) * interval  # the piece is committed once its last key was typed
        out += [(ch, at) for ch in typed[i : i + step]]
        if enter_after_first and i == 0:
            out.append(("\r", at))
    if enter:
        out.append(("\r", out[-1][1]))
    return out


def fullwidth(text: str) -> str:
    """What a Japanese IME in full-width mode types: ８０… for digits, ー for `-`, Ａ for `A`."""
    out = []
    for ch in text:
        if ch == "-":
            out.append("ー")
        elif "!" <= ch <= "~":
            out.append(chr(ord(ch) + 0xFEE0))
        else:
            out.append(ch)
    return "".join(out)


def kana_input(text: str) -> str:
    """What the digit keys type with the IME in kana-input mode (ぬふあう…): unrecoverable text."""
    return "".join(_KANA_DIGITS.get(ch, ch) for ch in text)


def swap_layout(text: str, mismatch: str) -> str:
    """What the host receives: `mismatch` is "us_on_jis" (US scanner, JIS host) or "jis_on_us"."""
    table = {"us_on_jis": US_ON_JIS, "jis_on_us": JIS_ON_US}[mismatch]
    return retype(text, table)


def _reverse_keymap(layout: Layout) -> dict[str, tuple[int, bool]]:
    reverse: dict[str, tuple[int, bool]] = {}
    for code, (normal, shifted) in sorted(KEYMAPS[layout].items()):
        if shifted and shifted not in reverse:
            reverse[shifted] = (code, True)
        if normal:
            reverse[normal] = (code, False)  # unshifted wins (keypad vs main row: main row first)
    return reverse


_REVERSE = {layout: _reverse_keymap(layout) for layout in Layout}


def evdev_events(
    text: str,
    start: float,
    *,
    layout: Layout | str = Layout.US,
    interval: float = 0.002,
    terminator: str = "\r",
) -> list[tuple[int, int, int, float]]:
    """Input events `(type, code, value, t)` for a scanner with keyboard country `layout` typing `text`.

    Each key is a press and a release with SYN_REPORT after each, Shift around shifted characters.
    """
    reverse = _REVERSE[Layout(layout)]
    events: list[tuple[int, int, int, float]] = []
    t = start
    for ch in text + terminator:
        try:
            code, shifted = reverse[ch]
        except KeyError:
            raise ValueError(f"layout {layout} cannot type {ch!r}") from None
        keys = [(KEY_LEFTSHIFT, 1)] if shifted else []
        keys += [(code, 1), (code, 0)]
        keys += [(KEY_LEFTSHIFT, 0)] if shifted else []
        for key, value in keys:
            events.append((EV_KEY, key, value, t))
            events.append((EV_SYN, SYN_REPORT, 0, t))
            t += interval / 2
    return events


class WedgeSink(Protocol):
    """What `SimKeyboard` types into (`drivers.wedge_device.KeyboardWedge` has these)."""

    def feed(self, char: str, t: float) -> None: ...

    def feed_paste(self, text: str, t: float) -> None: ...

    def set_available(self, available: bool) -> None: ...


class SimKeyboard:
    """A wedge scanner (and, for mixed input, a person) typing into a `KeyboardWedge`.

    `ime` ("off", "fullwidth", "kana") and `mismatch` (None, "us_on_jis", "jis_on_us") change what the
    host receives; `paste=True` delivers each scan as one paste, as some terminals do.
    """

    def __init__(
        self,
        name: str,
        *,
        interval: float = 0.004,
        terminator: str = "\r",
        ime: str = "off",
        mismatch: str | None = None,
        paste: bool = False,
    ) -> None:
        self.name = name
        self.interval = interval
        self.terminator = terminator
        self.ime = ime
        self.mismatch = mismatch
        self.paste = paste
        self.present = True
        self._sink: WedgeSink | None = None

    def connect(self, sink: WedgeSink) -> None:
        self._sink = sink

    def received(self, code: str) -> str:
        """The text the host gets for `code` with this keyboard's IME and layout settings."""
        text = code
        if self.mismatch:
            text = swap_layout(text, self.mismatch)
        if self.ime == "fullwidth":
            text = fullwidth(text)
        elif self.ime == "kana":
            text = kana_input(text)
        return text

    def type_keys(self, keys: Iterable[tuple[str, float]]) -> None:
        if self._sink is None or not self.present:
            return
        for ch, t in keys:
            self._sink.feed(ch, t)

    def scan(self, code: str) -> None:
        text = self.received(code)
        now = time.monotonic()
        if self._sink is None or not self.present:
            return
        if self.paste:
            self._sink.feed_paste(text + self.terminator, now)
        else:
            self.type_keys(burst(text, now, self.interval, self.terminator))

    def type_human(self, text: str, interval: float = 0.18) -> None:
        """A person typing (timestamps spread into the future; the decoder only compares them)."""
        self.type_keys(human(text, time.monotonic(), interval))

    def unplug(self) -> None:
        self.present = False
        if self._sink is not None:
            self._sink.set_available(False)

    def replug(self, new_path: str | None = None) -> None:
        self.present = True
        if self._sink is not None:
            self._sink.set_available(True)

    def close(self) -> None:
        self.present = False


@dataclass(frozen=True, slots=True)
class SimInputEvent:
    """Like `evdev.InputEvent`: type, code, value and a timestamp."""

    type: int
    code: int
    value: int
    t: float

    def timestamp(self) -> float:
        return self.t


class _Handle:
    """An open `/dev/input/event*` of a `SimEvdevNode`, shaped like `evdev.InputDevice`."""

    def __init__(self) -> None:
        self._r, self._w = os.pipe()
        os.set_blocking(self._r, False)
        self._lock = threading.Lock()
        self._events: deque[SimInputEvent] = deque()
        self.dead = False
        self.grabbed = False
        self.closed = False

    def fileno(self) -> int:
        return self._r

    def push(self, events: Iterable[SimInputEvent]) -> None:
        with self._lock:
            if self.closed:
                return
            self._events.extend(events)
            os.write(self._w, b"!")

    def kill(self) -> None:
        with self._lock:
            self.dead = True
            if not self.closed:
                os.write(self._w, b"!")

    def read(self) -> list[SimInputEvent]:
        with self._lock:
            if self.dead:
                raise OSError(errno.ENODEV, "No such device")
            with contextlib.suppress(BlockingIOError):
                os.read(self._r, 4096)
            if not self._events:
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            out = list(self._events)
            self._events.clear()
            return out

    def grab(self) -> None:
        if self.grabbed:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        with self._lock:
            if not self.closed:
                self.closed = True
                os.close(self._r)
                os.close(self._w)


class SimEvdevNode:
    """A wedge scanner's evdev node. `scan(code)` queues its key events; `unplug()` makes reads fail
    with ENODEV and opens fail with FileNotFoundError until `replug()`; `syn_dropped()` injects one."""

    def __init__(self, name: str, *, layout: Layout | str = Layout.US, interval: float = 0.002) -> None:
        self.name = name
        self.layout = Layout(layout)
        self.interval = interval
        self.present = True
        self._handles: list[_Handle] = []

    def open_handle(self) -> Any:
        if not self.present:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", self.name)
        handle = _Handle()
        self._handles = [h for h in self._handles if not h.closed]
        self._handles.append(handle)
        return handle

    def push(self, events: Iterable[tuple[int, int, int, float]]) -> None:
        batch = [SimInputEvent(*ev) for ev in events]
        for h in self._handles:
            if not h.closed and not h.dead:
                h.push(batch)

    def scan(self, code: str) -> None:
        self.push(evdev_events(code, time.monotonic(), layout=self.layout, interval=self.interval))

    def syn_dropped(self, report: bool = True) -> None:
        """The client buffer overflowed. The kernel keeps the newest event, usually a SYN_REPORT, after
        the SYN_DROPPED; `report=False` leaves it out (the next key-down is then discarded too)."""
        now = time.monotonic()
        self.push([(EV_SYN, SYN_DROPPED, 0, now)] + ([(EV_SYN, SYN_REPORT, 0, now)] if report else []))

    def unplug(self) -> None:
        self.present = False
        for h in self._handles:
            h.kill()

    def replug(self, new_path: str | None = None) -> None:
        self.present = True

    def close(self) -> None:
        self.unplug()
