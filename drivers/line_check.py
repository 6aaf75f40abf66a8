"""Serial line diagnosis, sans-IO: bytes a mismatched line setting produces become one report.

A scanner set to 7E1 on a kiosk set to 8N1 sends every character with its parity bit where the kiosk
expects the eighth data bit; one set to 9,600 baud on a kiosk at 115,200 arrives as runs of NULs and
0xF0-like bytes. Either way every scan is lost, and without this each would be reported as whatever
the framer happened to see (`partial_timeout`, `overlong`, `garbage`). `LineCheck` watches the raw bytes
instead: parity/framing-error patterns, bytes with the high bit set, control bytes where text belongs.
Once it has seen enough of them it returns ONE `FrameError` with the reason `line_settings` and a hint
naming the likely setting ("the bytes look like 7E1: set bytesize = 7, parity = even"), and then
swallows the rejections the same bad line goes on producing, until a good scan arrives or the line has
been quiet for `episode` seconds.

The guess compares what arrived with what each candidate setting would deliver (`drivers.uart`): for
7-bit settings the parity bit is checked exactly; for baud rates the byte histogram of scanner-like
frames sent at each standard rate is compared with what arrived. The hint never quotes the bytes.
"""

from __future__ import annotations

import math
import random
import threading

from drivers.errors import FrameError
from drivers.reasons import REASON_LINE_SETTINGS
from drivers.text import REASON_MYNUMBER
from drivers.uart import PARITY_NAMES, STANDARD_BAUDRATES, LineSettings, transmit

_FRAME_BYTES = frozenset({0x02, 0x03, 0x09, 0x0A, 0x0D})


def is_suspicious(byte: int) -> bool:
    """A byte a scanner never sends on a correctly set line: high bit, NUL, or a stray control byte."""
    return byte >= 0x7F or (byte < 0x20 and byte not in _FRAME_BYTES)


def _is_text7(byte: int) -> bool:
    low = byte & 0x7F
    return 0x20 <= low < 0x7F or low in _FRAME_BYTES


def _parity_guess(data: bytes) -> str | None:
    """The 7-bit setting whose parity bit explains every high bit (None when none does)."""
    if len(data) < 8 or not all(_is_text7(b) for b in data) or not any(b & 0x80 for b in data):
        return None
    # Scanner text once the top bit is masked: letters, digits, an AIM `]`, terminators.
    plain = sum(1 for b in data if chr(b & 0x7F).isalnum() or (b & 0x7F) in _FRAME_BYTES or b & 0x7F == 0x5D)
    if plain < 0.8 * len(data):
        return None
    even = all((b >> 7) == bin(b & 0x7F).count("1") % 2 for b in data)
    odd = all((b >> 7) == 1 - bin(b & 0x7F).count("1") % 2 for b in data)
    mark = all(b & 0x80 for b in data)
    if even and not odd:
        return "E"
    if odd and not even:
        return "O"
    if mark:
        return "M"
    return None


def _reference_frames() -> list[bytes]:
    # What scanners at a card counter send, one scan at a time with a pause between: an optional AIM
    # identifier, a 10-digit ID, CR (a fixed seed keeps the histograms stable).
    rnd = random.Random(15424)  # noqa: S311 - test data, not secrets
    aims = (b"", b"]C0", b"]d2", b"]Q1")
    digits = b"0123456789"
    return [rnd.choice(aims) + bytes(rnd.choice(digits) for _ in range(10)) + b"\r" for _ in range(60)]


_HISTOGRAMS: dict[tuple[LineSettings, LineSettings], tuple[float, ...]] = {}
_HISTOGRAM_LOCK = threading.Lock()
_WARMING: set[LineSettings] = set()


def _histogram(sender: LineSettings, receiver: LineSettings) -> tuple[float, ...]:
    key = (sender, receiver)
    with _HISTOGRAM_LOCK:  # computed once per process, whichever thread asks first
        cached = _HISTOGRAMS.get(key)
        if cached is None:
            counts = [0.05] * 256
            for frame in _reference_frames():
                for b in transmit(frame, sender, receiver):
                    counts[b] += 1
            total = sum(counts)
            cached = _HISTOGRAMS[key] = tuple(math.log(c / total) for c in counts)
    return cached


def warm_up(receiver: LineSettings) -> None:
    """Compute the candidate histograms for a port's setting ahead of need, in a background thread:
    a report then costs no time on the reader's thread, which must keep reading on time."""
    with _HISTOGRAM_LOCK:
        if receiver in _WARMING:
            return
        _WARMING.add(receiver)

    def work() -> None:
        for cand in _candidates(receiver):
            _histogram(cand, receiver)

    threading.Thread(target=work, name="line-check-warm-up", daemon=True).start()


def _candidates(receiver: LineSettings) -> list[LineSettings]:
    out = [LineSettings(rate) for rate in STANDARD_BAUDRATES if rate != receiver.baudrate]
    for short in ((7, "E", 1), (7, "O", 1), (7, "N", 2), (8, "N", 1)):
        cand = LineSettings(receiver.baudrate, *short)
        if cand.short != receiver.short:
            out.append(cand)
    return out


def guess_sender(data: bytes, receiver: LineSettings) -> list[LineSettings]:
    """The sender settings that best explain `data` as read by `receiver`, best first (at most two)."""
    parity = _parity_guess(data)
    if parity is not None and receiver.bytesize == 8:
        stop = 2 if parity == "M" else 1
        return [LineSettings(receiver.baudrate, 7, "N" if parity == "M" else parity, stop)]
    if not data:
        return []
    scored = []
    for cand in _candidates(receiver):
        hist = _histogram(cand, receiver)
        scored.append((sum(hist[b] for b in data) / len(data), cand.baudrate, cand))
    scored.sort(key=lambda s: (-s[0], s[1]))
    best = [scored[0][2]]
    if len(scored) > 1 and scored[0][0] - scored[1][0] < 0.25:
        best.append(scored[1][2])
    return best


def _setting_words(sender: LineSettings, receiver: LineSettings) -> str:
    words = []
    if sender.baudrate != receiver.baudrate:
        words.append(f"baudrate = {sender.baudrate}")
    if sender.bytesize != receiver.bytesize:
        words.append(f"bytesize = {sender.bytesize}")
    if sender.parity != receiver.parity:
        words.append(f"parity = {PARITY_NAMES[sender.parity]}")
    if sender.stopbits != receiver.stopbits and sender.parity != "N":
        words.append(f"stopbits = {sender.stopbits:g}")
    return ", ".join(words)


def hint(data: bytes, receiver: LineSettings) -> str:
    """One sentence for the technician: what the bytes look like and which setting to change."""
    now = f"{receiver.baudrate} baud {receiver.short}"
    guesses = guess_sender(data, receiver)
    if not guesses:
        return f"bytes that are not text at {now}: check baudrate, bytesize, parity and stopbits"
    best = guesses[0]
    if best.baudrate == receiver.baudrate and best.bytesize == 7 and best.parity == "N":
        return (
            f"the bytes look like 7 data bits with 2 stop bits or mark parity (7N2/7M1), read as {now}: "
            "set bytesize = 7, stopbits = 2 (or parity = mark)"
        )
    if best.baudrate == receiver.baudrate:
        return f"the bytes look like {best.short}, read as {now}: set {_setting_words(best, receiver)}"
    text = f"the bytes look like {best.baudrate} baud, read as {now}: set baudrate = {best.baudrate}"
    if len(guesses) > 1 and guesses[1].baudrate != receiver.baudrate:
        text += f" (or {guesses[1].baudrate})"
    return text


class LineCheck:
    """Watches one serial line; see the module docstring.

    `feed(data, now)` before the framer sees the bytes (returns the report when `threshold` suspicious
    bytes came before any frame was refused: a line that never delivers a terminator),
    `review(error, now, frame)` for each rejection (returns it, the report in its place, or None when the bad
    line explains it and it was already reported), `good(now)` for each accepted scan.
    """

    def __init__(
        self, settings: LineSettings, *, source: str = "", threshold: int = 32, episode: float = 30.0
    ) -> None:
        self.settings = settings
        warm_up(settings)
        self.source = source
        self.threshold = threshold
        self.episode = episode
        self.recent = 2.0  # seconds: a dropped frame this soon after a bad byte is the bad line's doing
        self.reports = 0
        self.last_guess: LineSettings | None = None  # the scanner's setting, as the last report guessed
        self.swallowed = 0  # rejections explained by a report already made
        self._evidence = bytearray()  # raw bytes of the chunks that held suspicious ones
        self._bad = 0
        self._last_bad: float | None = None
        self._reported = False

    @property
    def active(self) -> bool:
        """True while a bad-line episode is going on."""
        return self._last_bad is not None

    def feed(self, data: bytes, now: float) -> FrameError | None:
        self._expire(now)
        bad = sum(1 for b in data if is_suspicious(b))
        if not bad:
            if self._last_bad is not None and len(self._evidence) < 512:
                self._evidence += data  # the rest of a bad burst
            return None
        self._bad += bad
        self._last_bad = now
        self._evidence += data
        del self._evidence[:-1024]
        if not self._reported and self._bad >= self.threshold:
            return self._report()
        return None

    def review(self, error: FrameError, now: float, frame: bytes | None = None) -> FrameError | None:
        """`frame`: the bytes of the refused frame (None for a frame the framer dropped); a frame
        without a suspicious byte (a modem probe, a wrong prefix) is refused on its own account."""
        self._expire(now)
        if self._last_bad is None or error.reason == REASON_MYNUMBER:
            return error
        if frame is not None and not any(is_suspicious(b) for b in frame):
            return error
        if frame is None and now - self._last_bad > self.recent:
            return error  # a frame the framer dropped long after the last bad byte: its own reason
        if self._reported:
            self.swallowed += 1
            return None
        return self._report()

    def good(self, now: float) -> None:
        """A scan was accepted: the line works (whatever happened before is over)."""
        self._end()

    def reset(self) -> None:
        """After a reconnect: a new cable or a replugged scanner starts a new episode."""
        self._end()

    def _report(self) -> FrameError:
        self._reported = True
        self.reports += 1
        guesses = guess_sender(bytes(self._evidence), self.settings)
        self.last_guess = guesses[0] if guesses else None
        return FrameError(REASON_LINE_SETTINGS, self.source, hint(bytes(self._evidence), self.settings))

    def _expire(self, now: float) -> None:
        if self._last_bad is not None and now - self._last_bad > self.episode:
            self._end()

    def _end(self) -> None:
        self._evidence.clear()
        self._bad = 0
        self._last_bad = None
        self._reported = False
