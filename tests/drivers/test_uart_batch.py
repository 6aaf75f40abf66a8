"""Issue 25: the line diagnosis's histograms come from `transmit_many`, the numpy receiver, and must be
exactly what `transmit` (the bit-by-bit model the simulator uses) reads, so that the diagnosis says
what it said before. The full grid (40 receiver settings x 39 candidates x 200 reference frames)
takes minutes through `transmit`; here every pair of the grid is checked on a sample of 4 reference
frames, Hypothesis checks odd settings and arbitrary bytes, and a few histograms are counted the old
way, byte by byte."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from drivers.line_check import FORMATS, _histogram, _reference_frames
from drivers.uart import STANDARD_BAUDRATES, LineSettings, transmit
from drivers.uart_batch import transmit_many

GRID = [LineSettings(rate, *fmt) for rate in STANDARD_BAUDRATES for fmt in FORMATS]


def test_every_pair_of_the_grid_reads_what_transmit_reads() -> None:
    frames = _reference_frames()
    for n, receiver in enumerate(GRID):
        sample = random.Random(n).sample(frames, 4)
        got = transmit_many(sample, GRID, receiver)  # the receiver's own setting too: masked bytes
        for sender, received in zip(GRID, got, strict=True):
            expected = [transmit(frame, sender, receiver) for frame in sample]
            assert received == expected, f"{sender} read as {receiver}"


settings = st.builds(
    LineSettings,
    baudrate=st.sampled_from([*STANDARD_BAUDRATES, 300, 14400, 31250, 250000]),
    bytesize=st.integers(5, 8),
    parity=st.sampled_from("NEOMS"),
    stopbits=st.sampled_from([1, 1, 1, 1.5, 2]),  # 1.5 and 2 take `transmit` itself
)


@given(
    frames=st.lists(st.binary(max_size=24), min_size=1, max_size=6),
    senders=st.lists(settings, min_size=1, max_size=4),
    receiver=settings,
)
def test_any_bytes_and_settings_read_what_transmit_reads(
    frames: list[bytes], senders: list[LineSettings], receiver: LineSettings
) -> None:
    got = transmit_many(frames, senders, receiver)
    assert got == [[transmit(frame, sender, receiver) for frame in frames] for sender in senders]


def test_the_histograms_are_the_ones_counted_byte_by_byte() -> None:
    frames = _reference_frames()
    for sender, receiver in [
        (LineSettings(1200), LineSettings(9600)),
        (LineSettings(19200, 7, "E", 1), LineSettings(9600)),
        (LineSettings(115200, 8, "O", 1), LineSettings(9600, 7, "E", 1)),
        (LineSettings(9600), LineSettings(57600, 8, "E", 1)),
    ]:
        counts = [0.05] * 256
        for frame in frames:
            for b in transmit(frame, sender, receiver):
                counts[b] += 1
        total = sum(counts)
        assert _histogram(sender, receiver) == tuple(math.log(c / total) for c in counts), (sender, receiver)


def test_a_count_of_n_is_the_float_adding_1_n_times_gives() -> None:
    # The histograms add 0.05 to a count from np.bincount where they used to add 1 to 0.05 per byte.
    # Bound: a reference frame (at most 15 characters of 11 bits and 2 bits of idle) from a 1,200-baud
    # sender lasts under 0.14 s, each character a 115,200-baud receiver reads takes at least 6.5 of its
    # bit times, so 200 frames give under 500,000 of any one byte.
    c = 0.05
    for n in range(1, 1_000_001):
        c += 1
        assert c == 0.05 + n
