"""Serial line diagnosis, sans-IO: bytes a mismatched line setting produces become one report.

A scanner set to 7E1 on a kiosk set to 8N1 sends every character with its parity bit where the kiosk
expects the eighth data bit; one set to 9,600 baud on a kiosk at 115,200 arrives as runs of NULs and
0xF0-like bytes. Either way every scan is lost, and without this each would be reported as whatever
the framer happened to see (`partial_timeout`, `overlong`, `garbage`). `LineCheck` watches the raw bytes
instead and, for the rejections the bad bytes explain:

- the first is returned with its own reason and no advice: one burst of noise at power-up, before a
  clean first frame, is normal and ends the episode without a word;
- the second is ONE `FrameError` with the reason `line_settings` and the diagnosis;
- every later one is a short `line_settings` rejection with the count of scans lost so far, until a
  good scan arrives or the line has been quiet for `episode` seconds.

The diagnosis compares what arrived with what each candidate sender setting would deliver
(`drivers.uart`), over 1,200-115,200 baud and 8N1, 7E1, 7O1, 8E1, 8O1: for 7-bit settings at the
kiosk's own rate the parity bit is checked exactly; otherwise the byte histograms of scanner-like
frames are compared. It names a setting only when the evidence singles it out: a data format only at
the kiosk's own baud rate (a faster or slower sender's bits fall between the kiosk's samples, and the
data format cannot be read off them), a baud rate only when every close candidate shares it.
Otherwise it says that the setting is wrong and how to find it, never a value. The hint never quotes
the bytes.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass

import numpy as np

from drivers.errors import FrameError
from drivers.framing import FRAME_BYTES, Bursts, count_suspicious
from drivers.reasons import REASON_GARBAGE, REASON_LINE_SETTINGS, explain
from drivers.text import REASON_MYNUMBER
from drivers.uart import PARITY_NAMES, STANDARD_BAUDRATES, LineSettings
from drivers.uart_batch import transmit_many


def _is_text7(byte: int) -> bool:
    low = byte & 0x7F
    return 0x20 <= low < 0x7F or low in FRAME_BYTES


def _parity_guess(data: bytes) -> str | None:
    """The 7-bit setting whose parity bit explains every high bit (None when none does)."""
    if len(data) < 8 or not all(_is_text7(b) for b in data) or not any(b & 0x80 for b in data):
        return None
    # Scanner text once the top bit is masked: letters, digits, an AIM `]`, terminators.
    plain = sum(1 for b in data if chr(b & 0x7F).isalnum() or (b & 0x7F) in FRAME_BYTES or b & 0x7F == 0x5D)
    if plain < 0.8 * len(data):
        return None
    # A 7-bit scanner at the kiosk's own rate delivers its frames whole: digits and a terminator in
    # every one. Bytes from another rate that pass the parity test by chance rarely look like that.
    masked = [b & 0x7F for b in data]
    digits = sum(1 for b in masked if 0x30 <= b <= 0x39)
    ends = sum(1 for b in masked if b in FRAME_BYTES)
    if digits < 0.5 * len(data) or not ends or len(data) / ends > 24:
        return None
    even = all((b >> 7) == bin(b & 0x7F).count("1") % 2 for b in data)
    odd = all((b >> 7) == 1 - bin(b & 0x7F).count("1") % 2 for b in data)
    # Mark parity (every top bit set) is not read off: a faster sender at another rate can look the
    # same, and a wrong value is worse than none.
    if even and not odd:
        return "E"
    if odd and not even:
        return "O"
    return None


def _reference_frames() -> list[bytes]:
    # What scanners at a card counter send, one scan at a time with a pause between: an optional AIM
    # identifier, a 10-digit ID, CR (a fixed seed keeps the histograms stable).
    rnd = random.Random(15424)  # noqa: S311 - test data, not secrets
    aims = (b"", b"]C0", b"]d2", b"]Q1")
    digits = b"0123456789"
    ends = (b"\r", b"\r\n")
    return [
        rnd.choice(aims) + bytes(rnd.choice(digits) for _ in range(10)) + rnd.choice(ends) for _ in range(200)
    ]


_HISTOGRAMS: dict[tuple[LineSettings, LineSettings], tuple[float, ...]] = {}
_HISTOGRAM_LOCK = threading.Lock()
_WARMING: set[LineSettings] = set()


def _histogram(sender: LineSettings, receiver: LineSettings) -> tuple[float, ...]:
    key = (sender, receiver)
    with _HISTOGRAM_LOCK:  # computed once per process, whichever thread asks first
        cached = _HISTOGRAMS.get(key)
        if cached is None:
            # All the receiver's candidates at once (0.05-0.3 s of CPU, where one at a time through
            # `transmit` took 1-12 s): whoever asks for one will soon ask for the rest.
            senders = _candidates(receiver)
            if sender not in senders:
                senders.append(sender)
            frames = _reference_frames()
            for cand, received in zip(senders, transmit_many(frames, senders, receiver), strict=True):
                seen = np.bincount(np.frombuffer(b"".join(received), dtype=np.uint8), minlength=256)
                # 0.05 + n is the float that adding 1 to 0.05 n times gives (a test checks it well
                # past any count here), so the histograms are the ones counted byte by byte.
                counts = [0.05 + n for n in seen.tolist()]
                total = sum(counts)
                _HISTOGRAMS[(cand, receiver)] = tuple(math.log(c / total) for c in counts)
            cached = _HISTOGRAMS[key]
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
    return [
        LineSettings(rate, *fmt)
        for rate in STANDARD_BAUDRATES
        for fmt in FORMATS
        if not (rate == receiver.baudrate and LineSettings(rate, *fmt).short == receiver.short)
    ]


FORMATS: tuple[tuple[int, str, int], ...] = ((8, "N", 1), (7, "E", 1), (7, "O", 1), (8, "E", 1), (8, "O", 1))
MARGIN = 0.25  # mean log-likelihood per byte by which the best baud rate must beat every other one
EVIDENCE = 12.0  # ... and in total over the evidence (nats)


def rank_senders(data: bytes, receiver: LineSettings) -> list[tuple[float, LineSettings]]:
    """Every candidate sender setting with its mean log-likelihood per byte of `data`, best first."""
    scored = []
    for cand in _candidates(receiver):
        hist = _histogram(cand, receiver)
        scored.append((sum(hist[b] for b in data) / len(data), cand))
    scored.sort(key=lambda s: (-s[0], s[1].baudrate, s[1].short))
    return scored


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """What the bytes say about the scanner's line setting.

    `settings`: the whole setting, when the evidence singles it out (a configuration may be written
    from it); `baudrate`: the baud rate alone, when only that is singled out; `text`: the sentence.
    """

    text: str
    settings: LineSettings | None = None
    baudrate: int | None = None


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


def _how_to_find(now: str) -> str:
    return (
        f"the scanner's serial setting does not match the kiosk's ({now}), and the bytes do not say which "
        "it is: look up the scanner's baud rate, data bits and parity in its manual (or scan its "
        "configuration-report or factory-default code) and set baudrate, bytesize and parity to match"
    )


def diagnose(data: bytes, receiver: LineSettings) -> Diagnosis:
    """The diagnosis of `data` as read by `receiver` (see the module docstring)."""
    now = f"{receiver.baudrate} baud {receiver.short}"
    parity = _parity_guess(data)
    if parity is not None and receiver.bytesize == 8:
        best = LineSettings(receiver.baudrate, 7, parity, 1)
        return Diagnosis(
            f"the bytes look like {best.short}, read as {now}: set {_setting_words(best, receiver)}", best
        )
    if len(data) < 8:
        return Diagnosis(_how_to_find(now))
    ranked = rank_senders(data, receiver)
    top = ranked[0][0]
    # The margin a rival baud rate must miss by: at least MARGIN per byte, and EVIDENCE in all (a few
    # bytes prove little, however well they fit).
    margin = max(MARGIN, EVIDENCE / len(data))
    close = [cand for score, cand in ranked if top - score < margin]
    rates = {cand.baudrate for cand in close}
    if len(rates) != 1:
        return Diagnosis(_how_to_find(now))
    (rate,) = rates
    if rate == receiver.baudrate:
        if len(close) == 1:
            best = close[0]
            return Diagnosis(
                f"the bytes look like {best.short}, read as {now}: set {_setting_words(best, receiver)}", best
            )
        return Diagnosis(_how_to_find(now))
    return Diagnosis(
        f"the bytes look like {rate} baud, read as {now}: set baudrate = {rate} (if scans still fail, the "
        "data bits or parity differ too, which the bytes cannot show at another rate: see the scanner's "
        "manual)",
        baudrate=rate,
    )


def guess_sender(data: bytes, receiver: LineSettings) -> list[LineSettings]:
    """The sender setting the evidence singles out (an empty list when it does not)."""
    found = diagnose(data, receiver).settings
    return [found] if found is not None else []


def hint(data: bytes, receiver: LineSettings) -> str:
    """One sentence for the technician: what the bytes look like and which setting to change."""
    return diagnose(data, receiver).text


class LineCheck:
    """Watches one serial line; see the module docstring.

    `bursts` is the line's burst tracker (`drivers.framing.Bursts`), fed by the driver with every chunk;
    each burst is answered once. `feed(data, now)` with each chunk that holds a suspicious byte, and
    with every chunk while `active` (it keeps the evidence; a healthy line never calls it),
    `review(error, now, frame)` for each rejection (returns it, or the diagnosis or the count in its
    place), `fragment(now)` for a frame that decoded but came in a burst of bad bytes (a piece of a
    scan, never a scan), `good(now)` for each scan accepted while `active`.
    """

    def __init__(
        self,
        settings: LineSettings,
        bursts: Bursts,
        *,
        source: str = "",
        episode: float = 30.0,
    ) -> None:
        self.settings = settings
        self.bursts = bursts
        self.source = source
        self.episode = episode
        self.recent = 2.0  # seconds: a dropped frame this soon after a bad byte is the bad line's doing
        self.reports = 0
        self.last_diagnosis: Diagnosis | None = None
        self.swallowed = 0  # rejections answered already by their burst's report or count
        self.active = False  # a bad-line episode is going on (since a suspicious byte, until it ends)
        self._evidence = bytearray()  # raw bytes of the chunks that held suspicious ones
        self._last_bad = 0.0  # when the last suspicious byte came (meaningful while `active`)
        self._explained = 0  # bursts in this episode whose rejections the bad bytes explain
        self._reported = False
        self._answered = -1  # the burst whose rejection was last answered

    @property
    def last_guess(self) -> LineSettings | None:
        """The whole setting the last report singled out (None when it named none)."""
        return self.last_diagnosis.settings if self.last_diagnosis is not None else None

    def feed(self, data: bytes, now: float) -> FrameError | None:
        """Note bytes that arrived at `now`. Never reports on its own (a report needs refused frames,
        and a first burst may be power-up noise); returns None."""
        self._expire(now)
        if not count_suspicious(data):
            if self.active and len(self._evidence) < 512:
                self._evidence += data  # the rest of a bad burst
            return None
        if not self.active:
            # The first suspicious byte on this line: only now start computing the candidates' byte
            # histograms (up to a few tenths of a second of CPU, in a background thread; numpy lets go
            # of the interpreter for part of it). A well-set line never pays for them.
            warm_up(self.settings)
        self.active = True
        self._last_bad = now
        self._evidence += data
        del self._evidence[:-1024]
        return None

    def review(self, error: FrameError, now: float, frame: bytes | None = None) -> FrameError | None:
        """`frame`: the bytes of the refused frame (None for a frame the framer dropped); a frame
        without a suspicious byte (a modem probe, a wrong prefix) is refused on its own account."""
        self._expire(now)
        if not self.active or error.reason == REASON_MYNUMBER:
            return error
        if frame is not None and not count_suspicious(frame):
            return error
        if frame is None and now - self._last_bad > self.recent:
            return error  # a frame the framer dropped long after the last bad byte: its own reason
        return self._explain(error)

    def fragment(self, now: float) -> FrameError | None:
        """A frame that decoded inside a burst of bad bytes: a piece of a scan, refused like the rest."""
        self._expire(now)
        if not self.active:
            self.active, self._last_bad = True, now
        return self._explain(FrameError(REASON_GARBAGE, self.source, explain(REASON_GARBAGE)))

    def _explain(self, error: FrameError) -> FrameError | None:
        burst = self.bursts.number
        if burst == self._answered:
            # One burst (one scan, or one burst of noise) is answered once, however many frames it cut.
            self.swallowed += 1
            return None
        self._answered = burst
        self._explained += 1
        if self._explained == 1 and _parity_guess(bytes(self._evidence)) is None:
            # Maybe power-up noise: its own reason, no advice (a clean frame next ends the episode).
            return FrameError(
                error.reason,
                self.source,
                "bytes that are not text: once at power-up this is normal; if every scan does it, "
                "the serial line settings differ (the next scan will say)",
            )
        if not self._reported:
            return self._report()
        self.swallowed += 1
        return FrameError(
            REASON_LINE_SETTINGS,
            self.source,
            f"still the line setting reported before: {self._explained} scans lost in this episode",
        )

    def good(self, now: float) -> None:
        """A scan was accepted: the line works (whatever happened before is over)."""
        self._end()

    def reset(self) -> None:
        """After a reconnect: a new cable or a replugged scanner starts a new episode."""
        self._end()

    def _report(self) -> FrameError:
        self._reported = True
        self.reports += 1
        self.last_diagnosis = diagnose(bytes(self._evidence), self.settings)
        return FrameError(REASON_LINE_SETTINGS, self.source, self.last_diagnosis.text)

    def _expire(self, now: float) -> None:
        if self.active and now - self._last_bad > self.episode:
            self._end()

    def _end(self) -> None:
        self._evidence.clear()
        self.active = False
        self._explained = 0
        self._reported = False
