"""The receiver of `drivers.uart.transmit`, run for many frames and sender settings at once (numpy).

The line diagnosis needs what one receiver reads from 39 candidate senders over 200 reference frames:
about 1.7 million received characters at 115,200 baud, 12 s of CPU through `transmit` one frame and
one sample at a time. Here every (sender, frame) pair is a lane and the lanes advance together, one
received character per step; a run of NULs (a slow sender's low bits seen by a fast receiver) is
one step.

The result is the same bytes as `transmit(frame, sender, receiver)`, not an approximation of them
(tests/drivers/test_uart_batch.py compares the two): every time is the same float computed by the
same additions in the same order. The sender's bit boundaries are the running sum of its bit times
starting from 0 (`np.cumsum` adds in order, as `_levels` does); the receiver's sample times are
`t + (1.5 + i) * rbit` with the same constants; a run of NULs replays its additions with a cumsum.
Only the search for the level at a sample time differs: the sender's bits are a grid of equal
cells, so the cell of a time is `floor(time * baudrate)`, corrected by comparing with the exact
boundaries. A sender with 1.5 or 2 stop bits has unequal cells and goes through `transmit`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from drivers.uart import LineSettings, transmit

_NONE = -1  # no such cell

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def transmit_many(
    frames: Sequence[bytes], senders: Sequence[LineSettings], receiver: LineSettings
) -> list[list[bytes]]:
    """For each sender, for each frame, `transmit(frame, sender, receiver)`: each frame sent alone
    on an idle line, with no gaps between its characters."""
    results: list[list[bytes]] = [[] for _ in senders]
    batched = []
    for k, sender in enumerate(senders):
        same = sender == receiver or (sender.baudrate == receiver.baudrate and sender.short == receiver.short)
        if same or sender.stopbits != 1:
            # The same setting reads the bytes masked (no timing); 1.5 or 2 stop bits make unequal cells.
            results[k] = [transmit(frame, sender, receiver) for frame in frames]
        else:
            batched.append(k)
    if batched:
        received = _Lanes([senders[k] for k in batched], frames).receive(receiver)
        for j, k in enumerate(batched):
            results[k] = received[j * len(frames) : (j + 1) * len(frames)]
    return results


class _Lanes:
    """The sender side: one lane per (sender, frame), each lane a row of bit cells.

    Cell c of a lane spans [bounds[c], bounds[c + 1]) at its level: two cells of idle, then start,
    data, parity and stop bits, then one cell of idle to infinity (`last`). The level of a time is
    that of its cell; cells of equal level side by side read the same as `_levels`' single change
    point, and the boundary between the two idle cells (one bit time) is not a change point, so any
    value there would do. The boundaries depend only on the baud rate, the levels only on the data
    format and the frame: each is computed once and shared by the lanes.
    """

    def __init__(self, senders: Sequence[LineSettings], frames: Sequence[bytes]) -> None:
        longest = max((len(f) for f in frames), default=0)
        data = np.zeros((len(frames), longest), dtype=np.int64)
        sizes = np.array([len(f) for f in frames], dtype=np.int64)
        for i, frame in enumerate(frames):
            data[i, : len(frame)] = np.frombuffer(frame, dtype=np.uint8)
        sent = np.arange(longest)[None, :] < sizes[:, None]  # a real byte, not padding

        formats = sorted({(s.bytesize, s.parity) for s in senders})
        self.width = 2 + longest * max(_cells_per_char(*f) for f in formats) + 1
        levels = np.ones((len(formats) * len(frames), self.width), dtype=np.int8)
        for k, (bytesize, parity_name) in enumerate(formats):
            bits = (data[:, :, None] >> np.arange(bytesize)) & 1
            cells = [np.zeros_like(data)[:, :, None], bits]
            parity = _parity_bits(bits.sum(axis=2), parity_name)
            if parity is not None:
                cells.append(parity[:, :, None])
            cells.append(np.ones_like(data)[:, :, None])
            per_char = np.concatenate(cells, axis=2)
            per_char[~sent] = 1  # after the frame: idle
            span = per_char.shape[1] * per_char.shape[2]
            rows = slice(k * len(frames), (k + 1) * len(frames))
            levels[rows, 2 : 2 + span] = per_char.reshape(len(frames), span)
        self.levels = levels.ravel()
        self.next_low = _next_cell(levels, 0)
        self.next_high = _next_cell(levels, 1)

        rates = sorted({s.baudrate for s in senders})
        # Boundaries: the running sum of bit times from 0, as `_levels` adds them (its first change
        # point, 2 * bit, is bit + bit exactly). One more than the cells: the end of the widest.
        steps = np.array([[1.0 / rate] for rate in rates]).repeat(self.width + 1, axis=1)
        steps[:, 0] = 0.0
        self.bounds = np.cumsum(steps, axis=1).ravel()

        # Per lane (sender-major: lane = sender * len(frames) + frame).
        frame_no = np.tile(np.arange(len(frames)), len(senders))
        fmt = np.repeat([formats.index((s.bytesize, s.parity)) for s in senders], len(frames))
        rate_no = np.repeat([rates.index(s.baudrate) for s in senders], len(frames))
        per_char_cells = np.repeat([_cells_per_char(s.bytesize, s.parity) for s in senders], len(frames))
        self.row = (fmt * len(frames) + frame_no) * self.width  # where the lane's levels start
        self.bound_row = rate_no * (self.width + 1)  # where its boundaries start
        self.last = 2 + sizes[frame_no] * per_char_cells  # the idle cell that runs to infinity
        self.baudrate = np.repeat(np.array([float(s.baudrate) for s in senders]), len(frames))
        self.empty = sizes[frame_no] == 0
        self.lanes = len(senders) * len(frames)

    def cell(self, times: Floats, lanes: Ints) -> Ints:
        """The cell each time falls in (`lanes` broadcast against `times`)."""
        last = self.last[lanes]
        row = self.bound_row[lanes]
        c: Ints = np.minimum((times * self.baudrate[lanes]).astype(np.int64), last)
        while True:
            up = (c < last) & (self.bounds[row + c + 1] <= times)
            down = self.bounds[row + c] > times
            if not (up.any() or down.any()):
                return c
            c = c + up - down

    def level(self, times: Floats, lanes: Ints) -> npt.NDArray[np.int8]:
        """The level of each lane's line at each time."""
        found: npt.NDArray[np.int8] = self.levels[self.row[lanes] + self.cell(times, lanes)]
        return found

    def receive(self, receiver: LineSettings) -> list[bytes]:
        """What `receiver` reads on every lane (the loop of `transmit`, one character per step)."""
        rbit = 1.0 / receiver.baudrate
        half = rbit / 2
        parity_bits = 0 if receiver.parity == "N" else 1
        offsets = np.array([(1.5 + i) * rbit for i in range(receiver.bytesize)])
        frame_time = (1.5 + receiver.bytesize + parity_bits) * rbit
        weights = 1 << np.arange(receiver.bytesize)

        lanes = np.flatnonzero(~self.empty)
        t = np.zeros(len(lanes))
        got_lanes: list[Ints] = []
        got_values: list[Ints] = []
        got_counts: list[Ints] = []
        while len(lanes):
            c = self.cell(t, lanes)
            at = self.row[lanes] + c
            # On a high level, the next falling edge starts a character; none left: the lane is done.
            # (Every low cell lies before the end of the line, so `transmit`'s `t >= end` never holds.)
            high = self.levels[at] == 1
            c = np.where(high, self.next_low[at], c)
            going = c != _NONE
            lanes, t, c, high = lanes[going], t[going], c[going], high[going]
            bound_row = self.bound_row[lanes]
            t = np.where(high, self.bounds[bound_row + c], t)
            rise = self.bounds[bound_row + self.next_high[self.row[lanes] + c]]  # low from t until here

            mid = t + half
            glitch = mid >= rise  # possibly: a fast sender's line may be low again by then
            if glitch.any():
                glitch[glitch] = self.level(mid[glitch], lanes[glitch]) != 0
            stop_at = t + frame_time
            nul_run = ~glitch & (stop_at < rise)  # every sample low: a break, read as NUL
            whole = ~glitch & ~nul_run
            after = np.where(glitch, mid, t)

            if nul_run.any():
                start, until = t[nul_run], rise[nul_run]
                # The NULs repeat while the next stop sample is still low: replay `t = t + frame_time`.
                steps = int(((until - start) / frame_time).max()) + 2
                while True:
                    adds = np.full((len(start), steps + 1), frame_time)
                    adds[:, 0] = start
                    ts = np.cumsum(adds, axis=1)
                    if (ts[:, -1] >= until).all():
                        break
                    steps *= 2
                count = (ts[:, 1:] < until[:, None]).sum(axis=1)
                after[nul_run] = ts[np.arange(len(start)), count]
                got_lanes.append(lanes[nul_run])
                got_values.append(np.zeros(len(start), dtype=np.int64))
                got_counts.append(count)

            if whole.any():
                tw, lw = t[whole], lanes[whole]
                samples = tw[:, None] + offsets[None, :]
                bits = self.level(samples, lw[:, None])
                value = bits @ weights  # a break (framing error, all zeros) reads as NUL: the same value
                stop = stop_at[whole]
                framing_error = self.level(stop, lw) == 0
                after[whole] = np.where(framing_error, stop, stop + half)
                got_lanes.append(lw)
                got_values.append(value)
                got_counts.append(np.ones(len(lw), dtype=np.int64))
            t = after

        return _per_lane(self.lanes, got_lanes, got_values, got_counts)


def _parity_bits(ones: Ints, parity: str) -> Ints | None:
    """The parity bit of each character with `ones` data bits set (as `uart._parity_bit`)."""
    if parity == "N":
        return None
    return {"E": ones % 2, "O": 1 - ones % 2, "M": np.ones_like(ones), "S": np.zeros_like(ones)}[parity]


def _cells_per_char(bytesize: int, parity: str) -> int:
    return 1 + bytesize + (0 if parity == "N" else 1) + 1


def _next_cell(levels: npt.NDArray[np.int8], level: int) -> Ints:
    """For each cell (flat, row by row), the first later cell of its row at `level` (or _NONE)."""
    rows, width = levels.shape
    index = np.where(levels == level, np.arange(width, dtype=np.int64)[None, :], width)
    # Minimum over the cells after each cell: a reversed running minimum, shifted by one.
    after = np.minimum.accumulate(index[:, ::-1], axis=1)[:, ::-1]
    nxt = np.full((rows, width), width, dtype=np.int64)
    nxt[:, :-1] = after[:, 1:]
    return np.where(nxt < width, nxt, _NONE).ravel()


def _per_lane(lanes: int, got_lanes: list[Ints], values: list[Ints], counts: list[Ints]) -> list[bytes]:
    """Each lane's characters in the order they were read (each lane reads at most once per step)."""
    if not got_lanes:
        return [b""] * lanes
    lane = np.concatenate(got_lanes)
    order = np.argsort(lane, kind="stable")
    count = np.concatenate(counts)[order]
    stream = np.repeat(np.concatenate(values)[order], count).astype(np.uint8).tobytes()
    per_lane = np.bincount(lane[order], weights=count, minlength=lanes).astype(np.int64)
    ends = np.cumsum(per_lane)
    return [stream[e - n : e] for n, e in zip(per_lane.tolist(), ends.tolist(), strict=True)]
