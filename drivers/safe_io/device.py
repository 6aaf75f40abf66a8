"""The safe's I/O module over Modbus (pymodbus's synchronous clients): polls the door, drives the lock.

    safe = SafeIo("modbus-tcp://10.0.0.5:502?unit=1&door_input=0&relay=0&polarity=nc")
    safe.open()                       # DeviceUnavailable if it does not answer (reads keep trying)
    event = safe.read(timeout=0.5)    # DoorChanged | LineChanged | LockChanged | ModuleStatus | None
    safe.release(5.0)                 # energise the relay for 5 s (or until the door opens)
    safe.engage()
    safe.close()

One thread calls `read` in a loop (a device worker); each call polls the module when a poll is due
(every `poll_ms`), so door changes are seen only while someone reads. `release`/`engage` may come from
another thread: every request to the module goes through one lock, because pymodbus's clients are not
thread-safe. A module that stops answering (power lost, cable cut, adapter unplugged) is reported once
as `ModuleStatus(offline, reason)`; later reads try again after 0.25 s, doubling up to
`reconnect_max_s`, and report `online`, the lock's state and the door's (`initial=True`) when it is back.
The relay is written only by `release`, `engage` and the timer a release set, never by `open()` or a
reconnect, except to finish a release whose time ran out while the module was away.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException

from drivers.contract import DeviceStatus
from drivers.errors import DeviceUnavailable
from drivers.safe_io.sense import (
    DoorChanged,
    DoorState,
    LineState,
    LockChanged,
    LockState,
    ModuleStatus,
    SafeIoEvent,
    SafeIoSense,
    coil_for,
    lock_from_coil,
)
from drivers.safe_io.target import SafeIoSettingsError, SafeIoTarget, parse_url
from drivers.scan import utc_now

log = logging.getLogger(__name__)

FIRST_RETRY = 0.25  # seconds before the first attempt to reach a module that stopped answering

# Modbus exception codes a module answers with, and what a technician should check.
_REFUSALS = {
    1: "illegal function (the module does not offer this kind of input)",
    2: "illegal data address (check door_input, relay and line_input against the module's manual)",
    3: "illegal data value",
    4: "device failure",
    6: "busy",
    10: "gateway path unavailable",
    11: "gateway target did not respond (check unit)",
}

StatusCallback = Callable[[str, DeviceStatus], None]


class _Lost(Exception):
    """The module could not be reached or refused a request; `reason` is one short line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def quiet_stack_logs() -> None:
    """Keep pymodbus's own error lines (and its frame dumps) out of the front end's output.

    The driver reports every failure itself, once, as `ModuleStatus(offline, reason)`; pymodbus logs
    each failed attempt again, every retry. Front ends (the CLI, the kiosk) call this; the driver does
    not touch logging configuration on its own.
    """
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)


class SafeIo:
    """A door contact and a lock relay on a Modbus I/O module (see the module docstring).

    `url` is a `modbus-tcp://` or `modbus-rtu://` URL (`drivers.safe_io.target`) or a parsed
    `SafeIoTarget`; `options` are settings the URL does not carry (from a configuration file).
    `clock` (monotonic seconds) and `wall` (UTC now) are injectable for tests of timing-free logic.
    `on_status(name, status)` hears every status change, as the scanners' callback does.
    """

    def __init__(
        self,
        url: str | SafeIoTarget,
        *,
        name: str = "safe-io",
        on_status: StatusCallback | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utc_now,
        **options: Any,
    ) -> None:
        if isinstance(url, SafeIoTarget):
            self.target = url.with_options(**options) if options else url
        else:
            self.target = parse_url(url, **options)
        t = self.target
        self.name = name
        self.on_status = on_status
        self.clock = clock
        self.wall = wall
        self.sense = SafeIoSense(
            t.polarity,
            debounce=t.debounce_ms / 1000,
            line_limits=t.line if t.line_input is not None else None,
            door_from_line=t.door_input is None,
        )
        self.lock: LockState | None = None
        self.last_error = ""
        self._status = DeviceStatus.OFFLINE
        self._client: Any = None
        self._wanted = False
        self._ready: deque[SafeIoEvent] = deque()
        self._io_lock = threading.RLock()
        self._wake = threading.Event()
        self._next_poll = 0.0
        self._retry_wait = FIRST_RETRY
        self._relock_at: float | None = None
        self._relock_on_open = False
        self._offline_reported = False

    # -- the contract ---------------------------------------------------------------------------
    @property
    def status(self) -> DeviceStatus:
        """online, offline, or reconnecting (retrying after an outage), for a status bar."""
        return self._status

    @property
    def door(self) -> DoorState | None:
        """The door as last reported (None before the first reading)."""
        return self.sense.door

    @property
    def line(self) -> LineState | None:
        """The supervised loop as last read (None without line supervision or before a reading)."""
        return self.sense.line

    def open(self) -> None:
        """Connect and read the door once; raises `DeviceUnavailable` when the module does not answer
        (the `ModuleStatus(offline)` event is queued too, and later reads keep trying)."""
        self._wanted = True
        with self._io_lock:
            if self._client is not None:
                return
            self._attempt(self.clock())
        if self._client is None:
            raise DeviceUnavailable(f"{self.name}: cannot reach {self.target.where} ({self.last_error})")

    def read(self, timeout: float | None = None) -> SafeIoEvent | None:
        """The next event, or None after `timeout` seconds (None: wait for ever).

        Polls the module whenever a poll is due while it waits; raises `DeviceUnavailable` only when
        the driver is not open (a lost module is an event, not an exception).
        """
        deadline = None if timeout is None else self.clock() + timeout
        while True:
            if self._ready:
                return self._ready.popleft()
            if not self._wanted:
                raise DeviceUnavailable(f"{self.name}: not open")
            now = self.clock()
            if now >= self._next_poll:
                with self._io_lock:
                    if self._wanted:
                        self._tick(now)
                continue
            wait = self._next_poll - now
            if deadline is not None:
                if now >= deadline:
                    return None
                wait = min(wait, deadline - now)
            self._wake.wait(wait)
            self._wake.clear()

    def close(self) -> None:
        """Disconnect; harmless twice and from another thread (a blocked `read` returns at once).

        The relay is left as it is: closing the kiosk never releases or engages the lock.
        """
        self._wanted = False
        self._wake.set()
        with self._io_lock:
            self._drop_client()
            self._ready.clear()
            # A later open() starts afresh: no outage in progress, no back-off carried over.
            self._offline_reported = False
            self._retry_wait = FIRST_RETRY
            self._next_poll = 0.0
        self._set_status(DeviceStatus.OFFLINE)

    def __enter__(self) -> SafeIo:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the lock -------------------------------------------------------------------------------
    def release(self, seconds: float | None, *, until_door_opens: bool = True) -> None:
        """Release the lock now; engage it again after `seconds` (None: only on `engage()`), or as soon
        as the door opens when `until_door_opens`. Raises `DeviceUnavailable` when the module is away
        (the lock then stays as it was) and `SafeIoSettingsError` when no relay is wired.

        The engaging happens in `read`, so a worker must be reading for the timer to run.
        """
        if seconds is not None and not 0 < seconds <= 3600:
            raise ValueError("a release lasts between 0 and 3600 seconds")
        with self._io_lock:
            self._switch(LockState.RELEASED, "commanded")
            now = self.clock()
            self._relock_at = None if seconds is None else now + seconds
            self._relock_on_open = until_door_opens
        self._wake.set()

    def engage(self) -> None:
        """Engage the lock now (and forget any release timer); `DeviceUnavailable` when away."""
        with self._io_lock:
            self._relock_at = None
            self._relock_on_open = False
            self._switch(LockState.ENGAGED, "commanded")

    # -- internals ------------------------------------------------------------------------------
    def _switch(self, state: LockState, reason: str) -> None:
        t = self.target
        if t.relay is None:
            raise SafeIoSettingsError(f"{self.name}: no relay is configured (set relay=N)")
        if self._client is None:
            raise DeviceUnavailable(
                f"{self.name}: the module at {t.where} is offline; the lock was not {state.value}"
            )
        try:
            client = self._client
            _ask(lambda: client.write_coil(t.relay, coil_for(state, t.lock), device_id=t.unit))
        except _Lost as exc:
            self._lose(exc.reason, self.clock())
            raise DeviceUnavailable(f"{self.name}: {exc.reason}; the lock was not {state.value}") from None
        self.lock = state
        self._ready.append(LockChanged(state, self.wall(), reason))
        log.info("%s: lock %s (%s)", self.name, state.value, reason)

    def _tick(self, now: float) -> None:
        """Reach the module if it is away (when the back-off allows), else poll it once."""
        if self._client is None:
            if now >= self._next_poll:
                self._attempt(now)
            return
        self._next_poll = now + self.target.poll_ms / 1000
        try:
            events = self._sample(now)
        except _Lost as exc:
            self._lose(exc.reason, now)
            return
        self._ready.extend(events)
        self._relock_if_due(now, events)

    def _relock_if_due(self, now: float, events: list[SafeIoEvent]) -> None:
        if self.lock is not LockState.RELEASED or (self._relock_at is None and not self._relock_on_open):
            return
        opened = any(isinstance(e, DoorChanged) and e.door is DoorState.OPEN for e in events)
        reason = ""
        if self._relock_on_open and opened:
            reason = "door_opened"
        elif self._relock_at is not None and now >= self._relock_at:
            reason = "timer"
        if reason:
            try:
                self._switch(LockState.ENGAGED, reason)
            except DeviceUnavailable:
                return  # the module went away; the release stays due and is finished when it is back
            self._relock_at = None
            self._relock_on_open = False

    def _sample(self, now: float) -> list[SafeIoEvent]:
        t = self.target
        client = self._client
        bit: bool | None = None
        value: int | None = None
        if t.door_input is not None:
            door_input = t.door_input
            bit = bool(
                _ask(lambda: client.read_discrete_inputs(door_input, count=1, device_id=t.unit)).bits[0]
            )
        if t.line_input is not None:
            line_input = t.line_input
            value = int(
                _ask(lambda: client.read_input_registers(line_input, count=1, device_id=t.unit)).registers[0]
            )
        return self.sense.sample(bit, value, self.clock(), self.wall())

    def _attempt(self, now: float) -> None:
        """One attempt to reach the module: connect, read the lock, then the inputs."""
        t = self.target
        if self._offline_reported:
            self._set_status(DeviceStatus.RECONNECTING)
        try:
            client = self._client = self._make_client()
            if not _call(client.connect):
                raise _Lost("cannot connect" if t.transport == "tcp" else f"cannot open {t.device}")
            lock = None
            relay = t.relay
            if relay is not None:
                coil = _ask(lambda: client.read_coils(relay, count=1, device_id=t.unit)).bits[0]
                lock = lock_from_coil(bool(coil), t.lock)
            at = self.wall()  # the module answered: online (and the lock read) from here, before the door
            self.sense.reset()
            events = self._sample(now)
        except _Lost as exc:
            self._lose(exc.reason, now)
            return
        self.last_error = ""
        self._offline_reported = False
        self._retry_wait = FIRST_RETRY
        self._next_poll = now + t.poll_ms / 1000
        self._set_status(DeviceStatus.ONLINE)
        self._ready.append(ModuleStatus(DeviceStatus.ONLINE, at))
        if lock is not None:
            self.lock = lock
            self._ready.append(LockChanged(lock, at, "read"))
        self._ready.extend(events)
        log.warning("%s: module at %s answers", self.name, t.where)
        self._relock_if_due(now, events)

    def _lose(self, reason: str, now: float) -> None:
        self._drop_client()
        self._next_poll = now + self._retry_wait
        self._retry_wait = min(self._retry_wait * 2, self.target.reconnect_max_s)
        # One offline event per outage; a changing reason while away ("connection lost", then
        # "cannot connect") is logged, not reported again. The status stays "reconnecting" across
        # the retries, as the scanners' does, so a status bar does not flicker with each attempt.
        if not self._offline_reported:
            log.warning("%s: module at %s offline (%s)", self.name, self.target.where, reason)
            self._ready.append(ModuleStatus(DeviceStatus.OFFLINE, self.wall(), reason))
            self._offline_reported = True
            self._set_status(DeviceStatus.OFFLINE)
        elif reason != self.last_error:
            log.info("%s: module at %s still offline (%s)", self.name, self.target.where, reason)
        self.last_error = reason

    def _make_client(self) -> Any:
        t = self.target
        timeout = t.timeout_ms / 1000
        if t.transport == "tcp":
            return ModbusTcpClient(t.host, port=t.port, timeout=timeout, retries=0, name=self.name)
        return ModbusSerialClient(
            t.device,
            baudrate=t.baudrate,
            parity=t.parity,
            bytesize=t.bytesize,
            stopbits=t.stopbits,
            timeout=timeout,
            retries=0,
            name=self.name,
        )

    def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except (ModbusException, OSError) as exc:
                log.debug("%s: error while closing (%s)", self.name, exc)

    def _set_status(self, status: DeviceStatus) -> None:
        if status is self._status:
            return
        self._status = status
        if self.on_status is not None:
            self.on_status(self.name, status)


def _ask(request: Callable[[], Any]) -> Any:
    """One request's response, or `_Lost` for an error, a missing answer or a Modbus exception response."""
    response = _call(request)
    if response is None:
        raise _Lost("no answer")
    if response.isError():
        code = getattr(response, "exception_code", 0)
        raise _Lost(f"module refused: {_REFUSALS.get(code, f'exception {code}')}")
    return response


def _call(fn: Callable[[], Any]) -> Any:
    """Run one request; pymodbus and the OS errors become `_Lost` with a short reason."""
    try:
        return fn()
    except ModbusException as exc:
        raise _Lost(_reason(exc)) from None
    except OSError as exc:
        raise _Lost(f"connection lost ({(exc.strerror or type(exc).__name__).lower()})") from None


def _reason(exc: ModbusException) -> str:
    """A short, stable reason: "no answer" (the module is silent: power, bus cable, unit, baud rate)
    or "connection lost" (the link itself failed: TCP reset, adapter gone)."""
    text = str(exc).lower()
    if "no response" in text or "timeout" in text or "no answer" in text:
        return "no answer"
    if isinstance(exc, ConnectionException) or "connection" in text:
        return "connection lost"
    return type(exc).__name__
