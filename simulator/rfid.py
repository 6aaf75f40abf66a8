"""A simulated HF pad: a reader that types a tag's UID through the keyboard wedge.

Pads are set to one output format (hex, byte-reversed hex, decimal of either); `HfPad.typed(uid)` is
the text such a pad types for a UID and `HfPad.keys(uid, start)` the timed key sequence, ready for
`WedgeDecoder.feed` or `SimKeyboard.type_keys`.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.rfid import UidFormat
from simulator.keys import burst


@dataclass(frozen=True, slots=True)
class HfPad:
    """An HF pad configured to type UIDs in `fmt`, one key every `interval` seconds, then `terminator`."""

    fmt: UidFormat = UidFormat.HEX
    interval: float = 0.004
    terminator: str = "\r"
    lowercase: bool = False
    width: int = 10  # decimal output is zero-padded to this many digits (the usual "10-digit" pads)

    def typed(self, uid: str) -> str:
        """What the pad types for `uid` (canonical hex, MSB first)."""
        data = bytes.fromhex(uid)
        fmt = UidFormat(self.fmt)
        if fmt in (UidFormat.HEX_REVERSED, UidFormat.DECIMAL_REVERSED):
            data = data[::-1]
        if fmt in (UidFormat.HEX, UidFormat.HEX_REVERSED):
            text = data.hex()
            return text if self.lowercase else text.upper()
        return str(int.from_bytes(data, "big")).zfill(self.width)

    def keys(self, uid: str, start: float) -> list[tuple[str, float]]:
        """The timed keys for one tap of the tag on the pad."""
        return burst(self.typed(uid), start, self.interval, self.terminator)
