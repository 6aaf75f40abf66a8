"""A bit-level model of an asynchronous serial line (a UART), pure: what a receiver set to one line
setting reads when a sender set to another one transmits.

The line diagnosis (`drivers.line_check`) uses it to recognise the byte patterns a wrong baud rate
produces, and the simulator uses it so that a scanner set to 7E1 or 9,600 baud, talking to a kiosk set
to 8N1 or 115,200 baud, delivers the bytes a real adapter would. The receiver behaves like a 16550 with
the termios pyserial sets up (INPCK off, so parity is not checked and a character with a framing error
is passed on as sampled; a break, all zeros, reads as one NUL byte).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

PARITY_NAMES = {"N": "none", "E": "even", "O": "odd", "M": "mark", "S": "space"}
STANDARD_BAUDRATES = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


@dataclass(frozen=True, slots=True)
class LineSettings:
    """Baud rate, data bits (5-8), parity (N, E, O, M, S) and stop bits (1, 1.5, 2)."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1

    def __post_init__(self) -> None:
        if self.parity not in PARITY_NAMES:
            raise ValueError(f"parity must be one of {', '.join(PARITY_NAMES)}, not {self.parity!r}")
        if not 5 <= self.bytesize <= 8:
            raise ValueError("bytesize must be 5 to 8")

    @property
    def short(self) -> str:
        """The usual short form, e.g. 8N1, 7E1."""
        stop = {1: "1", 1.5: "1.5", 2: "2"}.get(self.stopbits, str(self.stopbits))
        return f"{self.bytesize}{self.parity}{stop}"

    @property
    def frame_bits(self) -> float:
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + self.stopbits


def _parity_bit(value: int, bytesize: int, parity: str) -> int | None:
    ones = bin(value & ((1 << bytesize) - 1)).count("1")
    return {"N": None, "E": ones % 2, "O": 1 - ones % 2, "M": 1, "S": 0}[parity]


def _levels(data: bytes, sender: LineSettings, gaps: float = 0.0) -> tuple[list[float], list[int], float]:
    """The line as (times where the level changes, the level from each time on, end time)."""
    bit = 1.0 / sender.baudrate
    times: list[float] = [0.0]
    levels: list[int] = [1]
    t = 2 * bit  # idle before the first start bit

    def put(level: int, duration: float) -> None:
        nonlocal t
        if levels[-1] != level:
            times.append(t)
            levels.append(level)
        t += duration

    for value in data:
        put(0, bit)
        for i in range(sender.bytesize):
            put((value >> i) & 1, bit)
        parity = _parity_bit(value, sender.bytesize, sender.parity)
        if parity is not None:
            put(parity, bit)
        put(1, sender.stopbits * bit + gaps * bit)
    put(1, 24 * bit)  # idle after the last stop bit
    return times, levels, t


def transmit(data: bytes, sender: LineSettings, receiver: LineSettings, *, gaps: float = 0.0) -> bytes:
    """The bytes `receiver` reads when `sender` sends `data` back to back (`gaps`: idle bit times
    between characters). Equal settings return `data` (masked to the receiver's data bits)."""
    if not data:
        return b""
    if sender == receiver or (sender.baudrate == receiver.baudrate and sender.short == receiver.short):
        mask = (1 << receiver.bytesize) - 1
        return bytes(b & mask for b in data)
    times, levels, end = _levels(data, sender, gaps)

    def level(t: float) -> int:
        return levels[bisect.bisect_right(times, t) - 1]

    rbit = 1.0 / receiver.baudrate
    parity_bits = 0 if receiver.parity == "N" else 1
    out = bytearray()
    t = 0.0
    while True:
        # The start of a character: a low level (after a framing error the UART takes the low line it
        # sees as the next start bit, like a 16550), or the next falling edge.
        if level(t) == 1:
            i = bisect.bisect_right(times, t)
            while i < len(times) and levels[i] != 0:
                i += 1
            if i >= len(times):
                break
            t = times[i]
        if t >= end:
            break
        if level(t + rbit / 2) != 0:  # a glitch shorter than half a bit: not a start bit
            t += rbit / 2
            continue
        value = 0
        for i in range(receiver.bytesize):
            value |= level(t + (1.5 + i) * rbit) << i
        stop_at = t + (1.5 + receiver.bytesize + parity_bits) * rbit
        framing_error = level(stop_at) == 0
        out.append(0 if framing_error and value == 0 else value)  # a break reads as NUL
        t = stop_at + rbit / 2 if not framing_error else stop_at
    return bytes(out)
