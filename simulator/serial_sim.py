"""Simulated serial scanners: a `sim://` line (in-process) and a scanner on a real pseudo-terminal.

Both send what a configured scanner sends (`ScanFormat`: framing, AIM identifier or vendor Code ID,
prefix, suffix, and the scanner's own line setting) and take the faults a cable and a scanner produce:
unplug, replug (under a new path), garbage bytes, a frame split over two writes, frames merged into one
write, a stalled device, a power-up glitch.

Line settings: a `ScanFormat(line=LineSettings(9600, 7, "E", 1))` scanner on a port the driver set to
8N1 delivers what a real UART would (`drivers.uart.transmit`): the pty scanner reads the setting the
driver gave the tty (termios), the `sim://` line the one pyserial was given.
"""

from __future__ import annotations

import errno
import os
import termios
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from serial.serialutil import SerialException

from drivers.uart import STANDARD_BAUDRATES, LineSettings, transmit
from simulator.pty_port import OnPtyPort, PtyPort

if TYPE_CHECKING:
    from simulator.hub import SimHub

TERMINATORS = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n", "tab": b"\t"}


@dataclass(frozen=True, slots=True)
class ScanFormat:
    """How a simulated scanner frames a code: `framing` cr|lf|crlf|tab|stx-etx, an `aim` identifier
    such as "]C0" or a vendor Code ID such as "w" (empty for none), a configured `prefix` / `suffix`,
    and the scanner's serial `line` setting (None: whatever the host uses)."""

    framing: str = "cr"
    aim: str = ""
    prefix: str = ""
    suffix: str = ""
    line: LineSettings | None = None

    def encode(self, code: str) -> bytes:
        body = f"{self.prefix}{self.aim}{code}{self.suffix}".encode()
        if self.framing == "stx-etx":
            return b"\x02" + body + b"\x03"
        try:
            return body + TERMINATORS[self.framing]
        except KeyError:
            raise ValueError(f"unknown framing {self.framing!r}") from None


class _ByteFaults:
    """Faults shared by both serial simulators; subclasses implement `write(data)`."""

    fmt: ScanFormat

    def write(self, data: bytes) -> None:
        raise NotImplementedError

    def receiver(self) -> LineSettings | None:
        """The line setting the host's port has now (None when unknown)."""
        return None

    def on_line(self, data: bytes) -> bytes:
        """`data` as the host reads it when sent with the scanner's line setting."""
        sender, receiver = self.fmt.line, self.receiver()
        if sender is None or receiver is None:
            return data
        return transmit(data, sender, receiver)

    def scan(self, code: str) -> None:
        """Send one code as the configured scanner would."""
        self.write(self.on_line(self.fmt.encode(code)))

    def power_up(self, glitch: bytes = b"\xff") -> None:
        """The byte(s) a scanner emits when it powers up (before any scan)."""
        self.write(glitch)

    def garbage(self, data: bytes) -> None:
        """Line noise, a modem probe (`b"AT\\r"`), anything that is not a scan."""
        self.write(data)

    def send_raw(self, data: bytes) -> None:
        self.write(data)

    def split(self, code: str, pause: float = 0.02, pieces: int = 2) -> None:
        """One frame in `pieces` writes, `pause` seconds apart (> the driver's gap: the frame is lost)."""
        frame = self.on_line(self.fmt.encode(code))
        step = max(1, -(-len(frame) // pieces))
        for i in range(0, len(frame), step):
            if i:
                time.sleep(pause)
            self.write(frame[i : i + step])

    def paced(self, code: str, baudrate: int | None = None, *, before: bytes = b"") -> None:
        """One frame written byte by byte at the line rate, as a UART delivers it: one character every
        10 bit times (`baudrate`: the scanner's line setting, else 9600). `before`: bytes sent first
        at the same pace (a power-up glitch that runs straight into the frame)."""
        self.paced_raw(before + self.on_line(self.fmt.encode(code)), baudrate)

    def paced_raw(self, data: bytes, baudrate: int | None = None) -> None:
        """`data` written byte by byte at the line rate (see `paced`)."""
        rate = baudrate or (self.fmt.line.baudrate if self.fmt.line is not None else 9600)
        per_byte = 10.0 / rate
        start = time.monotonic()
        for i, byte in enumerate(data):
            wait = start + i * per_byte - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.write(bytes([byte]))

    def merged(self, codes: list[str]) -> None:
        """Several frames in one write (a scanner's buffer flushed at once)."""
        self.write(self.on_line(b"".join(self.fmt.encode(c) for c in codes)))


class SimSerialLine(_ByteFaults):
    """The scanner end of a `sim://` line. Bytes wait in the line's buffer until the driver reads them
    (like a USB-serial adapter's FIFO), so a scan sent just after a replug is not lost."""

    def __init__(self, name: str, fmt: ScanFormat | None = None, *, hub: SimHub | None = None) -> None:
        self.name = name
        self.fmt = fmt or ScanFormat()
        self._hub = hub
        self._cond = threading.Condition()
        self._buf = bytearray()
        self._held = bytearray()  # written while stalled
        self.present = True
        self.stalled = False
        self._generation = 0
        self.connections = 0  # how many times a driver opened the line
        self.host_line: LineSettings | None = None  # set by the URL handler from pyserial's settings

    def receiver(self) -> LineSettings | None:
        return self.host_line

    # -- scanner side ----------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        with self._cond:
            if not self.present:
                return  # bytes sent into an unplugged cable are gone
            if self.stalled:
                self._held += data
                return
            self._buf += data
            self._cond.notify_all()

    def wait_drained(self, timeout: float = 2.0) -> bool:
        """Wait until the driver has read everything sent so far (False if it did not in time)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._buf and self.present:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.01))
            return True

    def stall(self) -> None:
        """The device stops delivering bytes (a hung scanner); `resume()` releases what it held."""
        with self._cond:
            self.stalled = True

    def resume(self) -> None:
        with self._cond:
            self.stalled = False
            self._buf += self._held
            self._held.clear()
            self._cond.notify_all()

    def unplug(self) -> None:
        with self._cond:
            self.present = False
            self._generation += 1
            self._buf.clear()
            self._held.clear()
            self._cond.notify_all()

    def replug(self, new_path: str | None = None) -> None:
        """Plug back in; `new_path` moves the device to another name (`hub.url(new_path)`)."""
        with self._cond:
            if new_path and self._hub is not None and new_path != self.name:
                self._hub.rename(self.name, new_path)
            self.present = True
            self._cond.notify_all()

    def close(self) -> None:
        self.unplug()

    # -- host side (the URL handler) ---------------------------------------------------------------
    def connect(self) -> int:
        with self._cond:
            if not self.present:
                raise SerialException(f"could not open port sim://{self.name}: device unplugged")
            self.connections += 1
            return self._generation

    def disconnect(self, generation: int) -> None:
        pass

    def _alive(self, generation: int) -> None:
        if generation != self._generation or not self.present:
            raise SerialException("device reports readiness to read but returned no data (unplugged)")

    def waiting(self, generation: int) -> int:
        with self._cond:
            self._alive(generation)
            return len(self._buf)

    def take(self, size: int, deadline: float | None, generation: int) -> bytes:
        with self._cond:
            while True:
                self._alive(generation)
                if self._buf:
                    data = bytes(self._buf[:size])
                    del self._buf[:size]
                    return data
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return b""
                self._cond.wait(remaining)


class PtySerialScanner(OnPtyPort, _ByteFaults):
    """A scanner behind a real tty (`os.openpty`); the driver opens `.path` like any serial port.

    With `link`, `.path` is a symlink to the tty that `unplug()` removes and `replug()` recreates for
    a fresh tty (a new /dev/pts/N, like a replugged adapter's new ttyACMn behind a stable by-id link).
    `replug(new_path=...)` puts the link at a new place instead.
    """

    def __init__(self, name: str, *, link: str | Path | None = None, fmt: ScanFormat | None = None) -> None:
        self.name = name
        self.fmt = fmt or ScanFormat()
        self.port = PtyPort(link)
        self.stalled = False
        self._held = bytearray()

    def receiver(self) -> LineSettings | None:
        """The setting the driver gave the tty (a pty keeps the termios a program sets)."""
        with self.port.lock:
            if self.port.slave < 0:
                return None
            return line_from_termios(self.port.slave)

    def write(self, data: bytes) -> None:
        with self.port.lock:
            if self.port.master < 0:
                return
            if self.stalled:
                self._held += data
                return
            view = memoryview(data)
            while view:
                try:
                    n = os.write(self.port.master, view)
                except OSError as exc:
                    if exc.errno == errno.EAGAIN:
                        time.sleep(0.001)
                        continue
                    raise
                view = view[n:]

    def stall(self) -> None:
        self.stalled = True

    def resume(self) -> None:
        self.stalled = False
        held, self._held = bytes(self._held), bytearray()
        self.write(held)

    def unplug(self) -> None:
        """The tty vanishes: the driver's reads fail (EIO) and the link disappears."""
        self.port.unplug()
        self._held.clear()

    def replug(self, new_path: str | None = None) -> None:
        self.port.replug(new_path)

    def close(self) -> None:
        self.unplug()


_SPEEDS = {getattr(termios, f"B{rate}"): rate for rate in STANDARD_BAUDRATES}
_CMSPAR = getattr(termios, "CMSPAR", 0o10000000000)


def line_from_termios(fd: int) -> LineSettings:
    """The line setting of a tty as a program configured it with tcsetattr."""
    _iflag, _oflag, cflag, _lflag, ispeed, _ospeed, _cc = termios.tcgetattr(fd)
    size = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}[cflag & termios.CSIZE]
    parity = "N"
    if cflag & termios.PARENB:
        if cflag & _CMSPAR:
            parity = "M" if cflag & termios.PARODD else "S"
        else:
            parity = "O" if cflag & termios.PARODD else "E"
    stop = 2 if cflag & termios.CSTOPB else 1
    return LineSettings(_SPEEDS.get(ispeed, 9600), size, parity, stop)
