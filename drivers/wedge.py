"""The keyboard-wedge decoder: keys and their times in, scans out. Sans-IO; one decoder, two front ends.

A wedge scanner types its code as keystrokes, so the scan shares a path with the clerk's own typing.
The decoder tells them apart by timing: a scanner types a whole code in a few milliseconds (a burst)
and ends it with Enter or Tab; a person types a key every 100 ms or more.

Feeding it from Textual (the terminal front end; the UI wires this up)::

    decoder = WedgeDecoder(source="wedge", timing=TERMINAL_TIMING)

    def on_key(self, event: events.Key) -> None:
        for result in decoder.feed_key(event.key, event.character, event.time):
            ...  # Scan -> handle it; FrameError -> show event.reason; TypedText -> a person typed

    def on_paste(self, event: events.Paste) -> None:
        for result in decoder.feed_paste(event.text, event.time):
            ...

    # and every ~0.1 s (set_interval), so that an unfinished burst is dropped on time:
    for result in decoder.poll(time.monotonic()): ...

`feed(char, t)` takes one character (`"\\r"`, `"\\n"` or `"\\t"` end a code); `t` is seconds on the same
monotonic clock as `poll(now)` (Textual's `event.time` is `time.monotonic()`). Results are returned,
never raised: `Scan`, `FrameError` (a refused burst: IME on, layout mismatch, 12 digits, ...) or
`TypedText` (a line a person typed, already through the My Number guard; the UI may use or ignore it).

A paste (`feed_paste`) counts as one burst whatever its timing: terminals that deliver a scanner's
burst as a bracketed paste still work, and each line of a multi-line paste is one scan. The last line
of a paste counts even without a terminator (a paste is complete by definition).

What a set-up mistake looks like, and what the decoder says instead of losing scans silently:

- a scanner that types slower than the configured inter-key gap allows (keys evenly 40-50 ms apart,
  ended by Enter; a person's keys are not that regular): `keys_too_slow`, naming the gap measured
  and the setting that would accept it;
- escape sequences or control characters inside a burst (a scanner typing on the numeric keypad
  with NumLock off sends Home/End/arrows): `keypad_keys`, never scan text;
- a burst of non-ASCII text without Enter (an IME held the digits in its composition and took the
  Enter to commit them): `ime_on`, naming the IME (`drivers.ime`), not "set the suffix to Enter".
"""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from drivers.errors import FrameError
from drivers.framing import REASON_PARTIAL_TIMEOUT
from drivers.ime import ime_phrase, session_ime
from drivers.payload import PayloadRules, decode_payload
from drivers.reasons import (
    REASON_CONTROL,
    REASON_IME,
    REASON_KEYPAD,
    REASON_NO_TERMINATOR,
    REASON_SLOW_KEYS,
    explain,
)
from drivers.rfid import UidFormat, uid_scan
from drivers.scan import Scan, Symbology
from drivers.text import screen_text

TERMINATORS = frozenset("\r\n\t")

# Textual key names for the keys that end a code.
_TEXTUAL_KEYS = {"enter": "\r", "ctrl+m": "\r", "ctrl+j": "\n", "tab": "\t", "ctrl+i": "\t"}
# What the numeric keypad types with NumLock off (Textual names): never part of a code.
_KEYPAD_NAV = frozenset({
    "home", "end", "up", "down", "left", "right", "pageup", "pagedown", "insert", "delete", "clear",
})  # fmt: skip
ESCAPE = "\x1b"  # starts an escape sequence; a navigation key is one run element "\x1b..."


def _is_control(ch: str) -> bool:
    """A control key or an escape sequence (a run element), never a terminator."""
    if ch.startswith(ESCAPE):
        return True
    return len(ch) == 1 and (ord(ch) < 0x20 or ord(ch) == 0x7F) and ch not in TERMINATORS


def _key_repeat(run: list[tuple[str, float]]) -> bool:
    """A person holding an arrow key: the same navigation key over and over, nothing else."""
    return bool(run) and all(ch.startswith(ESCAPE) for ch, _ in run) and len({ch for ch, _ in run}) == 1


def _commits(run: list[tuple[str, float]]) -> int:
    """How many pieces of two or more keys with one timestamp the run holds (an IME's commits)."""
    return sum(1 for _t, group in itertools.groupby(run, key=lambda k: k[1]) if len(list(group)) >= 2)


def _escape_done(seq: str) -> bool:
    """True when `seq` (starting with ESC) is a complete escape sequence (CSI, SS3 or ESC + key)."""
    if len(seq) < 2:
        return False
    if seq[1] == "[":
        return len(seq) >= 3 and 0x40 <= ord(seq[-1]) <= 0x7E
    if seq[1] == "O":
        return len(seq) >= 3
    return True


@dataclass(frozen=True, slots=True)
class WedgeTiming:
    """What counts as a scanner burst.

    - `key_gap`: a key that follows the previous one within this many seconds belongs to the same
      burst; a longer pause ends it.
    - `mean_gap`: the burst's average gap between keys must not exceed this (no person keeps it up).
    - `min_length`: shorter bursts are a person's key roll, not a scan.
    - `require_burst`: False on a device that only a scanner can type on (evdev with a grab); then
      every terminated line is a scan and `key_gap` only times out an unfinished one.
    - `require_terminator`: a burst that stops without Enter/Tab is refused (`no_terminator`)
      instead of being taken as a scan.
    - `gap_setting`, `gap_ratio`: the setting that sets `mean_gap` (= `gap_ratio` x the setting) and
      that the `keys_too_slow` hint tells the technician to raise.
    """

    key_gap: float = 0.1
    mean_gap: float = 0.035
    min_length: int = 4
    require_burst: bool = True
    require_terminator: bool = True
    gap_setting: str = "[scan] wedge_max_key_gap_ms"
    gap_ratio: float = 0.6

    @classmethod
    def for_max_key_gap(
        cls, max_key_gap_ms: int, min_length: int = 4, *, gap_setting: str = "[scan] wedge_max_key_gap_ms"
    ) -> WedgeTiming:
        """The terminal timing for a configured inter-key gap: what its name says, the longest gap
        between two keys of one scan. A scanner whose keys come `max_key_gap_ms` apart is a burst; a
        run with a slower average is not. (A pause up to 1.5x the gap, at least 0.1 s, does not split a
        run: a terminal delivers keys in chunks and one may come late.)"""
        return cls(
            key_gap=max(0.1, max_key_gap_ms / 1000 * 1.5),
            mean_gap=max_key_gap_ms / 1000,
            min_length=min_length,
            gap_setting=gap_setting,
            gap_ratio=1.0,
        )


# Terminals time keys coarsely (a whole burst often arrives in one read and shares a timestamp, and an
# event-loop hiccup can delay a chunk), so the per-key gap is generous and the mean does the work.
TERMINAL_TIMING = WedgeTiming()
# evdev has kernel timestamps and an exclusively grabbed device: only the scanner types there.
EVDEV_TIMING = WedgeTiming(key_gap=0.25, mean_gap=0.05, min_length=1, require_burst=False)


@dataclass(frozen=True, slots=True)
class TypedText:
    """A line a person typed (slow keys ended by Enter/Tab), already screened by the My Number guard."""

    text: str
    at: datetime


WedgeResult = Scan | FrameError | TypedText


@dataclass
class MonotonicAnchor:
    """Converts monotonic seconds to UTC datetimes, anchored once (at construction by default)."""

    mono: float = field(default_factory=time.monotonic)
    utc: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self, t: float) -> datetime:
        return self.utc + timedelta(seconds=t - self.mono)


class WedgeDecoder:
    """Sans-IO burst detection over `(char, t)`; see the module docstring for how to feed it."""

    def __init__(
        self,
        source: str = "wedge",
        *,
        timing: WedgeTiming = TERMINAL_TIMING,
        rules: PayloadRules | None = None,
        clock: Callable[[float], datetime] | None = None,
        uid_format: str | None = None,
    ) -> None:
        self.source = source
        self.timing = timing
        self.rules = rules or PayloadRules(default_symbology=Symbology.KEYBOARD)
        # An HF RFID pad typing tag UIDs (hex or decimal, see `drivers.rfid.UidFormat`): what it types
        # is a UID, whatever it looks like (a 4-byte UID in decimal has 10 digits, like a management
        # ID), so its scans come out as `RFID_UID` with the canonical hex UID.
        self.uid_format = UidFormat(uid_format) if uid_format else None
        self._clock = clock or MonotonicAnchor()
        self._run: list[tuple[str, float]] = []  # the current fast run of keys
        self._typed: list[str] = []  # slow keys a person typed since the last Enter
        self._escape: str | None = None  # an escape sequence being received
        self._escape_at = 0.0
        self._held: tuple[Scan, float] | None = None  # an IME commit waiting to show it was whole
        self._swallow_until: float | None = None  # the rest of a commit already refused as pieces

    @property
    def pending(self) -> bool:
        """True while keys are buffered (or a scan waits to show it was whole)."""
        return bool(self._run or self._typed or self._held)

    def reset(self) -> None:
        """Forget buffered keys (SYN_DROPPED, a disconnect, focus change)."""
        self._run.clear()
        self._typed.clear()
        self._escape = None
        self._held = None
        self._swallow_until = None

    def feed_key(self, key: str, character: str | None, t: float) -> list[WedgeResult]:
        """Feed a Textual key event: `key` is its name ("enter", "a", ...), `character` its text.

        Navigation keys (what the keypad types with NumLock off) count as keys of the run, so a burst
        of them is reported as `keypad_keys`; a person's arrow keys between scans are ignored.
        """
        if key in _KEYPAD_NAV:
            out: list[WedgeResult] = []
            self._key(ESCAPE + key, t, out)
            return out
        char = _TEXTUAL_KEYS.get(key, character if character and character.isprintable() else None)
        return self.feed(char, t) if char else []

    def feed(self, char: str, t: float) -> list[WedgeResult]:
        """Feed one typed character at time `t` (seconds, monotonic).

        Raw terminal input may hold escape sequences (`ESC [ F` for the keypad's End): each becomes one
        navigation key, never text.
        """
        out: list[WedgeResult] = []
        if self._escape is not None:
            if t - self._escape_at <= self.timing.key_gap:
                self._escape += char
                if _escape_done(self._escape) or len(self._escape) > 16:
                    sequence, self._escape = self._escape, None
                    self._key(sequence, t, out)
                return out
            sequence, self._escape = self._escape, None  # a lone Escape key long ago
            self._key(sequence, self._escape_at, out)
        if char == ESCAPE:
            self._escape, self._escape_at = char, t
            return out
        self._key(char, t, out)
        return out

    def _pieces(self) -> FrameError:
        return FrameError(
            REASON_IME,
            self.source,
            f"{ime_phrase(session_ime())} committed the scan in pieces: "
            "switch it off (半角/全角) and scan again",
        )

    def _key(self, char: str, t: float, out: list[WedgeResult]) -> None:
        if self._held is not None:
            if t - self._held[1] <= self.timing.key_gap:
                # More keys right after a held commit: it was a piece; the rest is part of the same.
                self._held = None
                self._swallow_until = t + self.timing.key_gap
                out.append(self._pieces())
            else:
                out.append(self._held[0])
                self._held = None
        if self._swallow_until is not None:
            if t <= self._swallow_until:
                self._swallow_until = t + self.timing.key_gap
                return
            self._swallow_until = None
        if self._run and t - self._run[-1][1] > self.timing.key_gap:
            self._close_run(out)
        if char in TERMINATORS:
            self._terminate(t, out)
        else:
            self._run.append((char, t))

    def feed_text(self, text: str, t: float, interval: float = 0.0) -> list[WedgeResult]:
        """Feed several characters, `interval` seconds apart starting at `t` (tests and simulators)."""
        out: list[WedgeResult] = []
        for i, ch in enumerate(text):
            out += self.feed(ch, t + i * interval)
        return out

    def feed_paste(self, text: str, t: float) -> list[WedgeResult]:
        """Feed a pasted block: each line is one burst; the last counts even without a terminator."""
        out: list[WedgeResult] = []
        if self._run:
            self._close_run(out)
        self._flush_typed(t, out)
        line: list[str] = []
        for ch in text:
            if ch in TERMINATORS:
                if line:
                    out.append(self._decode("".join(line), t))
                line = []
            else:
                line.append(ch)
        if line:
            out.append(self._decode("".join(line), t))
        return out

    def poll(self, now: float) -> list[WedgeResult]:
        """Close a burst whose last key is older than `key_gap` (call it a few times a second)."""
        out: list[WedgeResult] = []
        if self._held is not None and now - self._held[1] > self.timing.key_gap:
            out.append(self._held[0])
            self._held = None
        if self._escape is not None and now - self._escape_at > self.timing.key_gap:
            sequence, self._escape = self._escape, None
            self._key(sequence, self._escape_at, out)
        if self._run and now - self._run[-1][1] > self.timing.key_gap:
            self._close_run(out)
        return out

    def _slow_scanner(self, run: list[tuple[str, float]]) -> FrameError | None:
        """A run ended by Enter, too slow for a burst but as even as only a machine types."""
        if not self.timing.require_burst or len(run) < max(6, self.timing.min_length):
            return None
        gaps = [b[1] - a[1] for a, b in itertools.pairwise(run)]
        mean = statistics.fmean(gaps)
        if mean <= self.timing.mean_gap or mean > self.timing.key_gap or mean <= 0:
            return None
        if statistics.pstdev(gaps) > 0.25 * mean:
            return None  # a person's keys come unevenly
        needed = math.ceil(mean / self.timing.gap_ratio * 1000 / 5) * 5 + 5  # the next 5 ms step above
        return FrameError(
            REASON_SLOW_KEYS,
            self.source,
            f"the scanner typed a key every {mean * 1000:.0f} ms, slower than the "
            f"{self.timing.mean_gap * 1000:.0f} ms a scan may take per key: set {self.timing.gap_setting} = "
            f"{needed} (or a shorter inter-character delay on the scanner)",
        )

    def _is_burst(self, run: list[tuple[str, float]]) -> bool:
        if not self.timing.require_burst:
            return True
        if len(run) < self.timing.min_length:
            return False
        mean = (run[-1][1] - run[0][1]) / (len(run) - 1) if len(run) > 1 else 0.0
        return mean <= self.timing.mean_gap

    def _close_run(self, out: list[WedgeResult]) -> None:
        """The current run ended without a terminator."""
        run, self._run = self._run, []
        if _key_repeat(run):
            return  # an arrow key held down: a person moving around the screen
        if self._is_burst(run):
            if self.timing.require_burst:
                self._flush_typed(run[0][1], out)
            text = "".join(ch for ch, _ in run)
            if self.timing.require_terminator:
                out.append(self._unterminated(text))
            else:
                out.append(self._decode(text, run[-1][1]))
        else:
            self._typed.extend(ch for ch, _ in run if not _is_control(ch))

    def _unterminated(self, text: str) -> FrameError:
        """Why a burst stopped without Enter: keypad keys, an IME that took the Enter, or no suffix."""
        if any(_is_control(ch) for ch in text):
            return self._control_error(text)
        ime = session_ime()
        if self.timing.require_burst and (not text.isascii() or ime is not None):
            # Keys that end without Enter while an IME runs: it held them in its composition and took
            # the Enter to commit them (half-width or full-width), not a scanner missing its suffix.
            return FrameError(
                REASON_IME,
                self.source,
                f"{ime_phrase(ime)} is on and took the Enter that ends each scan: switch it off "
                "(半角/全角) and scan again",
            )
        reason = REASON_NO_TERMINATOR if self.timing.require_burst else REASON_PARTIAL_TIMEOUT
        return FrameError(reason, self.source, explain(reason))

    def _control_error(self, text: str) -> FrameError:
        if ESCAPE in text:
            return FrameError(REASON_KEYPAD, self.source, explain(REASON_KEYPAD))
        return FrameError(REASON_CONTROL, self.source, explain(REASON_CONTROL))

    def _terminate(self, t: float, out: list[WedgeResult]) -> None:
        run, self._run = self._run, []
        if _key_repeat(run):
            run = []  # arrows held down, then Enter: a person choosing on the screen
        if run and self._is_burst(run):
            self._flush_typed(run[0][1], out)
            ime_running = self.timing.require_burst and session_ime() is not None
            if ime_running and _commits(run) >= 2:
                # An IME committing its composition in pieces: each piece arrives at once; a piece of
                # a code is never a code.
                out.append(self._pieces())
                return
            result = self._decode("".join(ch for ch, _ in run), t)
            if ime_running and _commits(run) == 1 and isinstance(result, Scan):
                # One commit with an IME running: it may be the first piece, the IME passing the Enter
                # on before the rest. Held until `key_gap` of silence shows that nothing follows.
                self._held = (result, t)
                return
            out.append(result)
            return
        slow = self._slow_scanner(run) if run else None
        if slow is not None:
            self._flush_typed(run[0][1], out)
            out.append(slow)
            return
        self._typed.extend(ch for ch, _ in run if not _is_control(ch))
        self._flush_typed(t, out)

    def _flush_typed(self, t: float, out: list[WedgeResult]) -> None:
        if not self._typed:
            return
        text, self._typed = "".join(self._typed), []
        clean, reason = screen_text(text)
        if reason is not None:
            if reason != "empty":
                out.append(FrameError(reason, self.source, explain(reason)))
            return
        assert clean is not None
        out.append(TypedText(clean, self._clock(t)))

    def _decode(self, text: str, t: float) -> Scan | FrameError:
        if any(_is_control(ch) for ch in text):
            return self._control_error(text)  # escape sequences and control keys are never scan text
        try:
            scan = decode_payload(text, self.rules, source=self.source, at=self._clock(t), wedge=True)
            return uid_scan(scan, self.uid_format) if self.uid_format is not None else scan
        except FrameError as exc:
            return exc
