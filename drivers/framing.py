"""Sans-IO byte framing for serial scanners: bytes and the current time in, frames out.

`LineFramer.feed(data, now)` never reads a clock and never touches a port, so the same code runs over a
real port, a pty, the simulator's URL and a property-based test. Time (`now`, seconds on any monotonic
clock) is used for one rule only: a partial frame older than `gap` is dropped, never glued to the next
scan.

Framing modes (`Framing`):

- `cr`, `lf`, `tab`: the payload ends at that byte.
- `crlf`: ends at CR or LF; the empty frame between CR and LF is ignored, so CR, LF and CRLF all work.
- `stx-etx`: STX starts a frame and ETX ends it; bytes outside STX..ETX are rejected as garbage.
- `auto` (the default): any of CR, LF, TAB or ETX ends a frame and STX starts a fresh one, so CR, CRLF,
  TAB and STX/ETX scanners (even mixed on one line, and STX/ETX followed by CR) all frame correctly.
  A kiosk that needs TAB inside codes must choose an explicit mode.

A power-up glitch (the byte or two an adapter or scanner emits when it is plugged in or switched on)
never joins the first scan, and the first scan never loses its first bytes to the glitch rule:

- Bytes that cannot begin text (control bytes, 0x80-0xBF, 0xFE, 0xFF) followed by `glitch_gap`
  seconds of silence and then more bytes are dropped as `power_up_glitch` (the first since `reset()`)
  or `garbage`; up to 4 such bytes that lead the first frame, or that time out alone, are a
  `power_up_glitch` too.
- Up to 4 text bytes first after `reset()` followed by a pause are kept: they may be the start of the
  first scan, held back by a busy scheduler. The frame reports them as `suspect`, and the driver,
  which knows the payload rules, takes the whole frame when it is well formed and drops the head only
  when the rest alone is (never when the whole was refused as an individual number).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

STX = 0x02
ETX = 0x03
TAB = 0x09
LF = 0x0A
CR = 0x0D

DEFAULT_GAP = 0.5  # seconds; a scanner sends a whole frame in a few ms even at 9600 baud
DEFAULT_MAX_LENGTH = 512

REASON_PARTIAL_TIMEOUT = "partial_timeout"
REASON_UNTERMINATED = "unterminated"
REASON_OVERLONG = "overlong"
REASON_OUTSIDE_FRAME = "outside_frame"
REASON_GLITCH = "power_up_glitch"
REASON_NOISE = "garbage"
REASON_TERMINATOR = "wrong_terminator"

_END_NAMES = {CR: "CR", LF: "LF", TAB: "TAB", STX: "STX/ETX", ETX: "STX/ETX"}

DEFAULT_GLITCH_GAP = 0.05  # seconds of silence that separate a power-up glitch from the first scan
DEFAULT_BURST_GAP = 0.05  # seconds of silence that end a burst of bytes (one scan, or one burst of noise)

FRAME_BYTES = frozenset({STX, ETX, TAB, LF, CR})


def is_suspicious(byte: int) -> bool:
    """A byte a scanner never sends on a correctly set line: high bit, NUL, or a stray control byte."""
    return byte >= 0x7F or (byte < 0x20 and byte not in FRAME_BYTES)


_NOT_SUSPICIOUS = bytes(b for b in range(256) if not is_suspicious(b))


def count_suspicious(data: bytes) -> int:
    """How many bytes of `data` are `is_suspicious`."""
    return len(data.translate(None, _NOT_SUSPICIOUS))


class Bursts:
    """Which burst of bytes a line is in (a pause of `gap` seconds starts the next) and how many
    suspicious bytes the current one held. Sans-IO: `feed(data, now)` with every chunk read.

    A serial scanner sends a frame in one burst; a wrong line setting turns each scan into a burst of
    suspicious bytes. The driver holds text that decoded inside such a burst (a piece of a scan, never a
    scan), and the line diagnosis (`drivers.line_check`) answers each burst once.
    """

    def __init__(self, gap: float = DEFAULT_BURST_GAP) -> None:
        self.gap = gap
        self.number = 0  # counts up by one at the start of each burst
        self.bad = 0  # suspicious bytes in the current burst
        self.last_byte: float | None = None

    def feed(self, data: bytes, now: float) -> int:
        """Note bytes that arrived at `now`; returns how many of them are suspicious."""
        if self.over(now):
            self.bad = 0
            self.number += 1
        self.last_byte = now
        bad = count_suspicious(data)
        self.bad += bad
        return bad

    def over(self, now: float) -> bool:
        """True when the line has been silent for `gap` since the last byte."""
        return self.last_byte is None or now - self.last_byte > self.gap

    def reset(self) -> None:
        """After a reconnect: the next byte starts a new burst."""
        self.bad = 0
        self.last_byte = None


def _is_text(byte: int) -> bool:
    return 0x20 <= byte < 0x7F


def _cannot_start_text(byte: int) -> bool:
    """A byte no frame's text starts with: a control byte, a UTF-8 continuation byte, 0xC0/0xC1, 0xF5+."""
    return byte < 0x20 or byte == 0x7F or 0x80 <= byte <= 0xC1 or byte >= 0xF5


class Framing(enum.StrEnum):
    """How a serial scanner delimits one code from the next."""

    AUTO = "auto"
    CR = "cr"
    LF = "lf"
    CRLF = "crlf"
    TAB = "tab"
    STX_ETX = "stx-etx"


_ENDS: dict[Framing, frozenset[int]] = {
    Framing.AUTO: frozenset({CR, LF, TAB, ETX}),
    Framing.CR: frozenset({CR}),
    Framing.LF: frozenset({LF}),
    Framing.CRLF: frozenset({CR, LF}),
    Framing.TAB: frozenset({TAB}),
    Framing.STX_ETX: frozenset({ETX}),
}


@dataclass(frozen=True, slots=True)
class RawFrame:
    """The bytes between two delimiters (delimiters removed), and when the last byte arrived.

    `suspect`: how many leading bytes came before a pause at the start of the first frame after a
    reset (0: none); they are either a power-up glitch or the frame's own start.
    """

    data: bytes
    at: float
    suspect: int = 0


@dataclass(frozen=True, slots=True)
class Dropped:
    """Bytes the framer threw away, with a reason code and their length (never their content), and
    for `wrong_terminator` the sentence naming the terminator seen and the one configured."""

    reason: str
    length: int
    at: float
    detail: str = ""


FramerEvent = RawFrame | Dropped


class LineFramer:
    """Cuts a byte stream into frames; see the module docstring for the modes.

    >>> f = LineFramer(Framing.CR)
    >>> f.feed(b"80000000", 0.0) + f.feed(b"17\\r", 0.01)
    [RawFrame(data=b'8000000017', at=0.01)]
    """

    def __init__(
        self,
        framing: Framing | str = Framing.AUTO,
        *,
        gap: float = DEFAULT_GAP,
        max_length: int = DEFAULT_MAX_LENGTH,
        glitch_gap: float = DEFAULT_GLITCH_GAP,
    ) -> None:
        self.framing = Framing(framing)
        self.glitch_gap = glitch_gap
        self._fresh = True  # nothing framed since reset(): a first short burst may be a glitch
        self.gap = gap
        self.max_length = max_length
        self._ends = _ENDS[self.framing]
        self._uses_stx = self.framing in (Framing.AUTO, Framing.STX_ETX)
        self._buf = bytearray()
        self._last: float | None = None  # arrival time of the newest byte in _buf
        self._in_frame = self.framing is not Framing.STX_ETX  # STX/ETX: only inside STX..ETX
        self._overlong = False  # skipping the rest of an overlong frame
        self._garbage = 0  # stx-etx: bytes seen outside a frame, reported at the next STX
        self._suspect = 0  # leading bytes of the first frame that came before a pause
        # A pinned framing: other modes' terminators seen in the pending bytes (named when they are lost).
        self._foreign: set[int] = set()
        self._others: frozenset[int] = frozenset()
        if self.framing is Framing.STX_ETX:
            self._others = frozenset({CR, LF, TAB})
        elif self.framing is not Framing.AUTO:
            self._others = frozenset(_END_NAMES) - self._ends

    @property
    def pending(self) -> int:
        """How many bytes of an unfinished frame are buffered."""
        return len(self._buf)

    def reset(self) -> list[FramerEvent]:
        """Forget any partial frame (after a disconnect); returns what was dropped."""
        out: list[FramerEvent] = []
        if self._buf or self._garbage:
            at = self._last if self._last is not None else 0.0
            out.append(Dropped(REASON_UNTERMINATED, len(self._buf) + self._garbage, at))
        self._clear()
        self._in_frame = self.framing is not Framing.STX_ETX
        self._fresh = True
        return out

    def poll(self, now: float) -> list[FramerEvent]:
        """Drop a partial frame whose newest byte is older than `gap` seconds."""
        if self._last is None or now - self._last <= self.gap:
            return []
        if self._buf and self._fresh and len(self._buf) <= 4 and not any(_is_text(b) for b in self._buf):
            return [self._glitch()]
        length = len(self._buf) + self._garbage
        at = self._last
        wrong = self._wrong_terminator(length, at)
        self._clear()
        self._in_frame = self.framing is not Framing.STX_ETX
        if not length:
            return []
        return [wrong or Dropped(REASON_PARTIAL_TIMEOUT, length, at)]

    def _wrong_terminator(self, length: int, at: float) -> Dropped | None:
        """The drop naming the terminator, when bytes were lost to a pinned framing the scanner lacks."""
        if not self._foreign:
            return None
        seen = " and ".join(sorted({_END_NAMES[b] for b in self._foreign}))
        return Dropped(
            REASON_TERMINATOR,
            length,
            at,
            f"the scanner ends its frames with {seen}, but the kiosk expects {self.framing.value.upper()}: "
            'set framing = "auto" (it accepts CR, LF, CRLF, TAB and STX/ETX) or the scanner\'s terminator',
        )

    def feed(self, data: bytes, now: float) -> list[FramerEvent]:
        """Add bytes that arrived at `now`; return the frames (and drops) they complete."""
        out = self.poll(now)
        if self._buf and self._last is not None and now - self._last > self.glitch_gap:
            # A pause inside a frame: bytes that are not text were a glitch (or noise); a short text
            # head of the first frame may be its start, so it is kept and marked for the driver.
            if not any(_is_text(b) for b in self._buf):
                out.append(self._glitch())
            elif self._fresh and len(self._buf) <= 4 and not self._suspect:
                self._suspect = len(self._buf)
        for byte in data:
            self._byte(byte, now, out)
        return out

    def _glitch(self) -> Dropped:
        """Drop the pending bytes as a power-up glitch (the first since reset) or as noise."""
        at = self._last if self._last is not None else 0.0
        dropped = Dropped(REASON_GLITCH if self._fresh else REASON_NOISE, len(self._buf), at)
        self._clear()
        self._in_frame = self.framing is not Framing.STX_ETX
        self._fresh = False
        return dropped

    def _complete(self, now: float) -> list[FramerEvent]:
        """The finished frame; on the first one after a reset, up to 4 leading bytes that cannot begin
        text (a glitch that ran straight into the scan) are dropped as the glitch they are."""
        data, suspect = bytes(self._buf), self._suspect
        out: list[FramerEvent] = []
        if self._fresh:
            lead = 0
            while lead < min(4, len(data) - 1) and _cannot_start_text(data[lead]):
                lead += 1
            if lead and _is_text(data[lead]):
                out.append(Dropped(REASON_GLITCH, lead, now))
                data, suspect = data[lead:], max(0, suspect - lead)
        out.append(RawFrame(data, now, suspect))
        self._fresh = False
        return out

    def _clear(self) -> None:
        self._foreign.clear()
        self._suspect = 0
        self._buf.clear()
        self._last = None
        self._overlong = False
        self._garbage = 0

    def _byte(self, byte: int, now: float, out: list[FramerEvent]) -> None:
        if self._uses_stx and byte == STX:
            # A new frame starts: whatever was pending was never finished.
            if self._buf:
                out.append(Dropped(REASON_UNTERMINATED, len(self._buf) + self._garbage, now))
            elif self._garbage:
                out.append(Dropped(REASON_OUTSIDE_FRAME, self._garbage, now))
            self._clear()
            self._in_frame = True
            self._last = now
            return
        if byte in self._ends:
            if self._in_frame:
                if self._overlong:
                    self._overlong = False
                elif self._buf and self._foreign:
                    # CRLF into a CR-pinned kiosk: the LF starts the next frame. Name it, do not guess.
                    dropped = self._wrong_terminator(len(self._buf), now)
                    assert dropped is not None
                    out.append(dropped)
                elif self._buf:
                    out.extend(self._complete(now))
            elif self._garbage:
                out.append(Dropped(REASON_OUTSIDE_FRAME, self._garbage, now))
            self._clear()
            self._in_frame = self.framing is not Framing.STX_ETX
            return
        self._last = now
        if byte in self._others:
            self._foreign.add(byte)
        if not self._in_frame:
            self._garbage += 1
            return
        if self._overlong:
            return
        self._buf.append(byte)
        if len(self._buf) > self.max_length:
            out.append(
                self._wrong_terminator(len(self._buf), now) or Dropped(REASON_OVERLONG, len(self._buf), now)
            )
            self._foreign.clear()
            self._buf.clear()
            self._overlong = True
