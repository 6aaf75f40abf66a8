"""A UHF desktop reader on a serial port speaking the binary protocol of the CF-RU5102 family.

Frames (every multi-byte CRC little-endian):

    command   [Len][Adr][Cmd][Data...][CRC-LSB][CRC-MSB]
    response  [Len][Adr][reCmd][Status][Data...][CRC-LSB][CRC-MSB]

`Len` counts the bytes after itself; the CRC is CRC-16/MCRF4XX (preset 0xFFFF, reflected polynomial
0x8408, no final XOR) over every byte before it, `Len` included. Inventory is command 0x01; its
answer's data is a tag count, then `[EPC length][EPC...]` per tag ("basic" layout). Readers of the
UHFReader288 line put the antenna before the count and one RSSI byte after each EPC ("rssi" layout).
Status 0x01 ends the round, 0x03 says more frames follow, 0x02 (scan time over) and 0x04 (buffer
full) end it with what was read, 0xFB means no tag answered.

The framing (`crc16`, `build_command`, `ResponseFramer`, `parse_inventory`) is sans-IO; `UhfReader`
does the I/O through `serial.serial_for_url`, so a real port, a pty from the simulator and pyserial's
`loop://` run the same code. Errors are reported, never guessed around: a CRC mismatch or a cut-off
frame raises `FrameError`, a reader that does not answer (or a port that went away) `DeviceUnavailable`.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable, FrameError
from drivers.rfid import RfidStocktake, TagRead, TagTally, merge_reads
from drivers.scan import DEFAULT_DEDUP_WINDOW, Deduplicator, Scan, Symbology, utc_now
from drivers.text import screen_tag

log = logging.getLogger(__name__)

try:  # a vanished tty fails tcflush with termios.error, which is not an OSError
    from termios import error as _TermiosError

    _LOST: tuple[type[BaseException], ...] = (OSError, _TermiosError)
except ImportError:  # pragma: no cover - Windows
    _LOST = (OSError,)

BROADCAST = 0xFF
CMD_INVENTORY = 0x01
STATUS_DONE = 0x01
STATUS_TIMEOUT = 0x02  # the reader's scan time ran out; the frame still carries what it read
STATUS_MORE = 0x03
STATUS_FULL = 0x04
STATUS_NO_TAG = 0xFB
_END_STATUSES = {STATUS_DONE, STATUS_TIMEOUT, STATUS_FULL}
LAYOUTS = ("basic", "rssi")


def crc16(data: bytes) -> int:
    """CRC-16/MCRF4XX: preset 0xFFFF, reflected polynomial 0x8408, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    """`body` followed by its CRC, least significant byte first."""
    return body + crc16(body).to_bytes(2, "little")


def build_command(cmd: int, data: bytes = b"", address: int = BROADCAST) -> bytes:
    """A command frame; `build_command(0x01)` is the inventory frame `04 FF 01 1B B4`."""
    return with_crc(bytes([4 + len(data), address, cmd]) + data)


@dataclass(frozen=True, slots=True)
class Response:
    """One response frame, CRC already checked."""

    address: int
    command: int
    status: int
    data: bytes


class ResponseFramer:
    """Bytes in, response frames out (sans-IO). `feed` returns frames and `FrameError`s in order.

    A frame whose CRC does not match is reported as `FrameError("crc")` and skipped by its length;
    `pending` tells whether a partial frame is waiting (the caller decides when it has waited long
    enough and calls `truncated()`).
    """

    def __init__(self, source: str = "uhf") -> None:
        self.source = source
        self._buf = bytearray()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Response | FrameError]:
        self._buf += data
        out: list[Response | FrameError] = []
        while self._buf:
            size = self._buf[0]
            if size < 5:
                # No response is shorter than Adr, reCmd, Status and the CRC: line noise.
                del self._buf[0]
                out.append(FrameError("garbage", self.source))
                continue
            if len(self._buf) < size + 1:
                break
            frame = bytes(self._buf[: size + 1])
            del self._buf[: size + 1]
            if crc16(frame[:-2]) != int.from_bytes(frame[-2:], "little"):
                out.append(FrameError("crc", self.source))
                continue
            out.append(Response(frame[1], frame[2], frame[3], frame[4:-2]))
        return out

    def truncated(self) -> FrameError:
        """Drop a partial frame that stopped arriving and report it."""
        n = len(self._buf)
        self._buf.clear()
        return FrameError("truncated", self.source, f"{n} bytes of a frame")

    def reset(self) -> None:
        self._buf.clear()


def parse_inventory(data: bytes, layout: str = "basic", source: str = "uhf") -> list[TagRead]:
    """Tag reads from one inventory response's data (see the module docstring for the layouts)."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {LAYOUTS}")
    pos = 1 if layout == "rssi" else 0  # skip the antenna byte
    if len(data) <= pos:
        raise FrameError("truncated", source, "inventory data without a tag count")
    count = data[pos]
    pos += 1
    reads: list[TagRead] = []
    for _ in range(count):
        if pos >= len(data):
            raise FrameError("truncated", source, "fewer tags than announced")
        length = data[pos]
        end = pos + 1 + length + (1 if layout == "rssi" else 0)
        if length == 0 or end > len(data):
            raise FrameError("truncated", source, "EPC runs past the frame")
        epc = data[pos + 1 : pos + 1 + length].hex().upper()
        rssi = data[end - 1] if layout == "rssi" else None
        reads.append(TagRead(epc, 1, rssi))
        pos = end
    if pos != len(data):
        raise FrameError("garbage", source, "bytes after the last tag")
    return reads


def encode_inventory(reads: list[tuple[str, int | None]], layout: str = "basic", antenna: int = 1) -> bytes:
    """The data part of an inventory response (for the simulator and golden tests)."""
    out = bytearray([antenna] if layout == "rssi" else [])
    out.append(len(reads))
    for epc, rssi in reads:
        raw = bytes.fromhex(epc)
        out.append(len(raw))
        out += raw
        if layout == "rssi":
            out.append(rssi if rssi is not None else 0)
    return bytes(out)


def build_response(status: int, data: bytes = b"", cmd: int = CMD_INVENTORY, address: int = 0x00) -> bytes:
    """A response frame (for the simulator and golden tests)."""
    return with_crc(bytes([5 + len(data), address, cmd, status]) + data)


StatusCallback = Callable[[str, DeviceStatus], None]


class UhfReader:
    """A CF-RU5102-family UHF reader at `url` (device path, by-id link, pty, or any pyserial URL).

    `inventory(round)` runs one inventory round and returns the tags with their answer counts (and RSSI
    with `layout="rssi"`). `read(timeout)` keeps the scan-device contract for a live view: it runs rounds
    and returns each newly present EPC as an `RFID_EPC` scan, once per presence (`dedup_window`).
    A port that fails or a reader that stops answering sets the status offline and raises
    `DeviceUnavailable`; the next call tries to reopen the port.

    `once=True` (an inventory, `kiosk listen rfid-serial`): each distinct EPC is reported once from
    `open()` on, however often it drops out of the field and comes back, so counting scans counts
    tags. Every round's answers are merged into `tally` either way (rounds, reads and best RSSI per
    tag, `drivers.rfid.TagTally`).
    """

    def __init__(
        self,
        url: str,
        *,
        name: str | None = None,
        address: int = BROADCAST,
        baudrate: int = 57600,
        layout: str = "basic",
        response_timeout: float = 1.0,
        frame_gap: float = 0.2,
        dedup_window: float = DEFAULT_DEDUP_WINDOW,
        reconnect_interval: float = 0.25,
        once: bool = False,
        on_status: StatusCallback | None = None,
        **serial_options: Any,
    ) -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout {layout!r}; known: {LAYOUTS}")
        self.url = url
        self.name = name or f"uhf:{url}"
        self.address = address
        self.baudrate = baudrate
        self.layout = layout
        self.response_timeout = response_timeout
        self.frame_gap = frame_gap
        self.reconnect_interval = reconnect_interval
        self.on_status = on_status
        self.serial_options = serial_options
        self._next_attempt = 0.0
        self._port: Any = None
        self._status = DeviceStatus.OFFLINE
        self._framer = ResponseFramer(self.name)
        self._dedup = Deduplicator(dedup_window)
        self._ready: deque[Scan | FrameError] = deque()
        self._refusals: list[str] = []  # reason codes of the last round's refused tag IDs
        self._refused_at: dict[str, float] = {}
        self._lost_reported = False
        self._wanted = False
        self.rounds = 0
        self.refused = 0  # EPCs dropped by the My Number guard (count only)
        self.once = once
        self.inventory_log = RfidStocktake(quiet_rounds=1, max_rounds=2**62)

    # -- the contract -------------------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        return self._status

    @property
    def tally(self) -> dict[str, TagTally]:
        """Every tag `read()` has seen since `open()`: rounds it answered in, reads, best RSSI."""
        return self.inventory_log.tags

    def open(self) -> None:
        """Open the port; raises `DeviceUnavailable` when it cannot."""
        if not self._wanted:
            self.inventory_log = RfidStocktake(quiet_rounds=1, max_rounds=2**62)
        self._wanted = True
        self._lost_reported = False
        if self._port is None:
            self._connect()

    def close(self) -> None:
        """Release the port; harmless twice."""
        self._wanted = False
        self._disconnect()
        self._ready.clear()
        self._set_status(DeviceStatus.OFFLINE)

    def read(self, timeout: float | None = None) -> Scan | None:
        """The next tag that came into the field, or None when no new tag appeared within `timeout`.

        Raises `FrameError` for a bad frame or a refused tag ID, and `DeviceUnavailable` once when the
        reader goes away; while it is away, reads poll for it and return None. `close()` from another
        thread ends a blocked read with `DeviceUnavailable`.
        """
        if not self._wanted:
            raise DeviceUnavailable(f"{self.name}: not open")
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._ready:
            if not self._wanted:
                raise DeviceUnavailable(f"{self.name}: closed")
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return None
            if self._port is None and now < self._next_attempt:
                time.sleep(max(0.0, min(self._next_attempt, deadline or self._next_attempt) - now))
                continue
            try:
                reads = self.inventory(self.rounds)
            except DeviceUnavailable:
                if not self._wanted:
                    raise
                if self._lost_reported:
                    if self._port is not None:
                        time.sleep(min(self.reconnect_interval, 0.05))
                    continue  # still away: keep polling quietly
                self._lost_reported = True
                raise
            self._lost_reported = False
            now = time.monotonic()
            for reason in self._refusals:
                self._ready.append(FrameError(reason, self.name))
            known = set(self.inventory_log.tags)
            self.inventory_log.add_round(reads)
            for r in reads:
                scan = Scan(r.epc, Symbology.RFID_EPC, self.name, utc_now(), raw=bytes.fromhex(r.epc))
                if self.once:
                    if r.epc not in known:  # a re-sighting never counts again
                        self._ready.append(scan)
                elif self._dedup.accept(scan, now):
                    self._ready.append(scan)
        item = self._ready.popleft()
        if isinstance(item, FrameError):
            raise item
        return item

    def __enter__(self) -> UhfReader:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- inventory ----------------------------------------------------------------------------------
    def inventory(self, round: int = 0) -> list[TagRead]:
        """One inventory round: every tag that answered, with its answer count (and RSSI)."""
        if self._port is None:
            # Poll for the port at `reconnect_interval`, sleeping in between (never spinning).
            time.sleep(max(0.0, self._next_attempt - time.monotonic()))
            self._set_status(DeviceStatus.RECONNECTING)
            self._connect()
        self.rounds += 1
        self._framer.reset()
        port = self._port  # close() from another thread may clear self._port while we read
        try:
            port.reset_input_buffer()
            port.write(build_command(CMD_INVENTORY, address=self.address))
            port.flush()
            reads = self._collect(port, round)
        except (TypeError, ValueError):
            # pyserial on a port closed by another thread (its fd is None); anything else is a bug.
            if self._wanted:
                raise
            raise DeviceUnavailable(f"{self.name}: closed") from None
        except _LOST as exc:  # SerialException is an OSError; a vanished tty also raises termios.error
            if not self._wanted:
                raise DeviceUnavailable(f"{self.name}: closed") from None
            self._lost(exc)
            raise DeviceUnavailable(f"{self.name}: port went away ({type(exc).__name__})") from None
        self._set_status(DeviceStatus.ONLINE)
        return merge_reads(self._screened(reads))

    def _collect(self, port: Any, round_no: int) -> list[TagRead]:
        reads: list[TagRead] = []
        deadline = time.monotonic() + self.response_timeout
        last_byte = time.monotonic()
        while True:
            now = time.monotonic()
            if self._framer.pending and now - last_byte > self.frame_gap:
                raise self._framer.truncated()
            if now >= deadline:
                if self._framer.pending:
                    raise self._framer.truncated()
                self._set_status(DeviceStatus.OFFLINE)
                raise DeviceUnavailable(f"{self.name}: reader did not answer round {round_no}")
            if not self._wanted:
                raise DeviceUnavailable(f"{self.name}: closed")
            chunk = port.read(max(1, port.in_waiting or 1))
            if not chunk:
                continue
            last_byte = time.monotonic()
            for item in self._framer.feed(chunk):
                if isinstance(item, FrameError):
                    self._drain(port)
                    raise item
                if item.command != CMD_INVENTORY:
                    continue  # an answer to something else (another host, a late reply): not ours
                if item.status == STATUS_NO_TAG:
                    return reads
                if item.status not in _END_STATUSES and item.status != STATUS_MORE:
                    self._drain(port)
                    raise FrameError(f"reader_status_{item.status:02x}", self.name)
                reads += parse_inventory(item.data, self.layout, self.name)
                if item.status in _END_STATUSES:
                    return reads
                deadline = time.monotonic() + self.response_timeout

    def _drain(self, port: Any) -> None:
        # After a bad frame the rest of this round's answer cannot be trusted: let it pass, drop it.
        time.sleep(self.frame_gap)
        port.reset_input_buffer()
        self._framer.reset()

    def _screened(self, reads: list[TagRead]) -> list[TagRead]:
        out = []
        self._refusals = []
        now = time.monotonic()
        for r in reads:
            clean, reason = screen_tag(r.epc)
            if clean is None:
                # A tag ID shaped like an individual number: dropped here, reported by reason only,
                # once while it stays in the field (like a double read).
                self.refused += 1
                why = reason or "refused"
                last = self._refused_at.get(why)
                self._refused_at[why] = now
                if last is None or now - last > self._dedup.window:
                    self._refusals.append(why)
                    log.warning("%s: tag ID refused (%s)", self.name, why)
                continue
            out.append(r)
        return out

    # -- the port -----------------------------------------------------------------------------------
    def _connect(self) -> None:
        import serial

        try:
            self._port = serial.serial_for_url(
                self.url, baudrate=self.baudrate, timeout=0.02, **self.serial_options
            )
        except (OSError, ValueError) as exc:
            self._port = None
            self._next_attempt = time.monotonic() + self.reconnect_interval
            self._set_status(DeviceStatus.OFFLINE)
            raise DeviceUnavailable(f"{self.name}: cannot open: {exc}") from None
        self._set_status(DeviceStatus.ONLINE)

    def _disconnect(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except OSError as exc:
                log.debug("%s: error while closing (%s)", self.name, exc)

    def _lost(self, exc: BaseException) -> None:
        log.warning("%s: port lost (%s); will reopen", self.name, type(exc).__name__)
        self._disconnect()
        self._framer.reset()
        self._next_attempt = time.monotonic() + self.reconnect_interval
        self._set_status(DeviceStatus.OFFLINE)

    def _set_status(self, status: DeviceStatus) -> None:
        if status is self._status:
            return
        self._status = status
        if self.on_status is not None:
            self.on_status(self.name, status)
