"""A simulated UHF desktop reader on a pseudo-terminal, answering the CF-RU5102 binary protocol.

    reader = SimUhfReader("uhf", cabinet, miss_rate=0.05, seed=1)   # or hub.attach("uhf", ...)
    driver = UhfReader(reader.path)                                   # the real driver, real pyserial
    driver.open(); reads = driver.inventory(1)

A thread reads commands from the pty's master side, checks their CRC, and answers inventory rounds with
the tags of the cabinet's cards that are in the field: each tag misses a round with `miss_rate`, answers
twice with `duplicate_rate`, reports an RSSI with noise (layout "rssi"), and stray tags of other
objects appear with `stray_rate`. Faults: `unplug()`/`replug()`, `corrupt_next()` (bad CRC),
`truncate_next()` (a frame cut off), `stall()`/`resume()` (no answer), `silent_rate` (random rounds
without an answer). Deterministic for a seed, given the same sequence of commands.
"""

from __future__ import annotations

import errno
import os
import random
import select
import threading
import time
from pathlib import Path

from drivers.rfid_uhf import (
    CMD_INVENTORY,
    STATUS_DONE,
    STATUS_MORE,
    STATUS_NO_TAG,
    build_response,
    crc16,
    encode_inventory,
)
from simulator.cabinet import Cabinet
from simulator.pty_port import OnPtyPort, PtyPort


class SimUhfReader(OnPtyPort):
    """The reader end of a pty; `.path` is what the driver opens (a stable `link` if given)."""

    def __init__(
        self,
        name: str,
        cabinet: Cabinet,
        *,
        seed: int = 0,
        miss_rate: float = 0.0,
        duplicate_rate: float = 0.0,
        stray_rate: float = 0.0,
        stray_tags: int = 3,
        silent_rate: float = 0.0,
        rssi_noise: float = 3.0,
        layout: str = "basic",
        max_tags_per_frame: int = 16,
        shuffle: bool = True,
        tap_rounds: int | None = None,
        link: str | Path | None = None,
    ) -> None:
        self.name = name
        self.cabinet = cabinet
        self.rng = random.Random(seed)
        self.miss_rate = miss_rate
        self.duplicate_rate = duplicate_rate
        self.stray_rate = stray_rate
        self.silent_rate = silent_rate
        self.rssi_noise = rssi_noise
        self.layout = layout
        self.max_tags_per_frame = max_tags_per_frame
        self.shuffle = shuffle  # anticollision order; off: cabinet tags, then hand-placed ones in order
        self.tap_rounds = tap_rounds  # hand-placed tags leave the field after this many rounds (None: stay)
        self.extra_tags: dict[str, int | None] = {}  # hand-placed tags (`scan`) -> rounds left, in order
        self.strays = [f"3000{self.rng.getrandbits(80):020X}" for _ in range(stray_tags)]
        self._base_rssi: dict[str, int] = {}
        self.rounds = 0
        self.stalled = False
        self._corrupt = 0
        self._truncate = 0
        self.port = PtyPort(link)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f"sim-uhf-{name}", daemon=True)
        self._thread.start()

    # -- what the test sees ---------------------------------------------------------------------------
    def field(self) -> list[str]:
        """EPCs of every tag currently in the reader's field (before misses)."""
        return sorted(self.cabinet.by_tag()) + list(self.extra_tags)

    # -- SimDevice + faults ---------------------------------------------------------------------------
    def scan(self, code: str) -> None:
        """Put a tag with EPC `code` (hex) into the field, e.g. a card not in the cabinet (with
        `tap_rounds`, only for that many inventory rounds: a card tapped on the reader)."""
        bytes.fromhex(code)
        self.extra_tags.setdefault(code.upper(), self.tap_rounds)

    def remove_tag(self, code: str) -> None:
        """Take a hand-placed tag out of the field again."""
        self.extra_tags.pop(code.upper(), None)

    def corrupt_next(self, frames: int = 1) -> None:
        """The next `frames` response frames go out with a wrong CRC."""
        self._corrupt += frames

    def truncate_next(self) -> None:
        """The next response frame is cut off half-way and the rest of that round never comes."""
        self._truncate += 1

    def stall(self) -> None:
        """Stop answering (a reader that hung, or lost its power while the USB adapter stays)."""
        self.stalled = True

    def resume(self) -> None:
        self.stalled = False

    def unplug(self) -> None:
        """The tty vanishes: the driver's port fails and the link disappears."""
        self.port.unplug()

    def replug(self, new_path: str | None = None) -> None:
        """A fresh tty (a new /dev/pts/N behind the same link, or at `new_path`)."""
        self.port.replug(new_path)

    def close(self) -> None:
        self._stop.set()
        self.unplug()
        self._thread.join(timeout=2)

    def __enter__(self) -> SimUhfReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the pty --------------------------------------------------------------------------------------
    def _serve(self) -> None:
        buf = bytearray()
        fd = -1
        while not self._stop.is_set():
            with self.port.lock:
                current = self.port.master
            if current != fd:
                buf.clear()  # a replug starts a new line
                fd = current
            if fd < 0:
                time.sleep(0.01)
                continue
            try:
                ready, _, _ = select.select([fd], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(fd, 4096)
            except OSError:
                time.sleep(0.01)  # unplugged under our feet, or nobody has the tty open yet
                continue
            buf += chunk
            for command in _commands(buf):
                self._answer(fd, command)

    def _answer(self, fd: int, command: bytes) -> None:
        cmd = command[2]
        if cmd != CMD_INVENTORY or self.stalled:
            return
        self.rounds += 1
        if self.silent_rate and self.rng.random() < self.silent_rate:
            return
        for frame in self.inventory_frames():
            if not self._send(fd, frame):
                break

    def inventory_frames(self) -> list[bytes]:
        """The response frames for one inventory round (advances the random state)."""
        answers: list[tuple[str, int | None]] = []
        for epc in self.field():
            if self.rng.random() < self.miss_rate:
                continue
            answers.append((epc, self._rssi(epc)))
            if self.rng.random() < self.duplicate_rate:
                answers.append((epc, self._rssi(epc)))
        for epc in self.strays:
            if self.rng.random() < self.stray_rate:
                answers.append((epc, self._rssi(epc)))
        for epc, left in list(self.extra_tags.items()):
            if left is not None:
                if left <= 1:
                    del self.extra_tags[epc]  # a tapped tag has left the field again
                else:
                    self.extra_tags[epc] = left - 1
        if self.shuffle:
            self.rng.shuffle(answers)
        if not answers:
            return [build_response(STATUS_NO_TAG)]
        frames = []
        step = self.max_tags_per_frame
        for i in range(0, len(answers), step):
            last = i + step >= len(answers)
            data = encode_inventory(answers[i : i + step], self.layout)
            frames.append(build_response(STATUS_DONE if last else STATUS_MORE, data))
        return frames

    def _rssi(self, epc: str) -> int:
        base = self._base_rssi.setdefault(epc, self.rng.randint(45, 80))
        return max(0, min(255, round(base + self.rng.gauss(0, self.rssi_noise))))

    def _send(self, fd: int, frame: bytes) -> bool:
        """Write one frame; False when the rest of the round must not follow (cut off, unplugged)."""
        go_on = True
        if self._corrupt:
            self._corrupt -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        if self._truncate:
            self._truncate -= 1
            frame = frame[: len(frame) // 2]
            go_on = False
        view = memoryview(frame)
        while view:
            try:
                n = os.write(fd, view)
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    time.sleep(0.001)
                    continue
                return False  # unplugged while answering
            view = view[n:]
        return go_on


def _commands(buf: bytearray) -> list[bytes]:
    """Complete command frames with a good CRC; a real reader ignores anything else silently."""
    out: list[bytes] = []
    while buf:
        size = buf[0]
        if size < 4:
            del buf[0]
            continue
        if len(buf) < size + 1:
            break
        frame = bytes(buf[: size + 1])
        if crc16(frame[:-2]) == int.from_bytes(frame[-2:], "little"):
            del buf[: size + 1]
            out.append(frame)
        else:
            del buf[0]  # resynchronise byte by byte
    return out
