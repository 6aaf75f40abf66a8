"""The safe's I/O module, simulated with pymodbus's own server: a door, a lock on a relay, faults.

    module = SimSafeModule("safe", transport="tcp")        # or transport="rtu": a pty pair, a cable
    module.start()
    driver = SafeIo(module.url)                            # the full URL, wiring included
    module.open_door(); module.close_door()
    module.wait_for(lambda: module.coil)                   # the kiosk released the lock
    module.power_off(); module.power_on()                  # module offline / back (relay resets)
    module.cut_line(); module.short_line(); module.mend_line()
    module.close()

The door contact is a discrete input (NC: on while the door is shut), the lock a coil (a strike:
on = released), and with `line_input` an end-of-line supervised loop on an input register whose
reading follows the door (`LineReadings`) unless the loop is cut or shorted. A cut NC loop also reads
as an open door on the discrete input, as real wiring does. Every relay write from a client is
recorded in `relay_writes` with its monotonic time.

Over RTU the server and the driver sit at the two ends of a `PtyCable`: two pseudo-terminals joined
by a thread that copies bytes both ways, like a USB-RS485 adapter and the module on one bus.
`cable.cut()` stops the copying (a cut or unplugged bus cable). Each module runs its server on its
own asyncio loop in a daemon thread; the test holds the object, nothing is global.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from pymodbus.framer import FramerType
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from simulator.pty_port import PtyPort

_COIL_WRITES = (5, 15)  # write single coil, write multiple coils


@dataclass(frozen=True, slots=True)
class LineReadings:
    """What the simulated loop reads in each state (raw counts; inside `LineLimits()`'s default bands)."""

    shorted: int = 200
    closed: int = 2500
    open: int = 6000
    cut: int = 9800


class PtyCable:
    """Two pseudo-terminals joined by a copying thread: `server_path` for the module, `path` for the
    driver. `cut()` drops every byte until `mend()`; `close()` ends it."""

    def __init__(self) -> None:
        self.module_end = PtyPort()
        self.kiosk_end = PtyPort()
        self.intact = True
        self._stop = False
        self._thread = threading.Thread(target=self._copy, name="pty-cable", daemon=True)
        self._thread.start()

    @property
    def server_path(self) -> str:
        """The tty the module's server opens."""
        return self.module_end.tty_path

    @property
    def path(self) -> str:
        """The tty the driver opens (the USB-RS485 adapter's end)."""
        return self.kiosk_end.tty_path

    def cut(self) -> None:
        """The bus cable is cut: bytes no longer pass either way."""
        self.intact = False

    def mend(self) -> None:
        """The cable is whole again."""
        self.intact = True

    def _copy(self) -> None:
        ends = {self.module_end.master: self.kiosk_end.master, self.kiosk_end.master: self.module_end.master}
        while not self._stop:
            try:
                readable, _, _ = select.select(list(ends), [], [], 0.05)
            except (OSError, ValueError):
                return
            for fd in readable:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    # No one holds that end's tty (the module is powered off): select keeps saying
                    # readable, so pause instead of spinning.
                    time.sleep(0.02)
                    continue
                if data and self.intact:
                    with contextlib.suppress(OSError):
                        os.write(ends[fd], data)

    def close(self) -> None:
        """Stop copying and close both ptys."""
        self._stop = True
        self._thread.join(1.0)
        self.module_end.unplug()
        self.kiosk_end.unplug()


class SimSafeModule:
    """A Modbus I/O module wired to a safe (see the module docstring). Also a hub `SimDevice`:
    `unplug()` is `power_off()`, `replug()` is `power_on()`."""

    def __init__(
        self,
        name: str = "safe",
        *,
        transport: str = "tcp",
        unit: int = 1,
        door_input: int | None = 0,
        relay: int | None = 0,
        line_input: int | None = None,
        polarity: str = "nc",
        lock: str = "strike",
        readings: LineReadings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        baudrate: int = 9600,
    ) -> None:
        if transport not in ("tcp", "rtu"):
            raise ValueError("transport is tcp or rtu")
        self.name = name
        self.transport = transport
        self.unit = unit
        self.door_input = door_input
        self.relay = relay
        self.line_input = line_input
        self.polarity = polarity
        self.lock_kind = lock
        self.readings = readings or LineReadings()
        self.host = host
        self.port = port
        self.baudrate = baudrate
        self.door_open = False
        self.line_fault: str | None = None  # "cut" or "shorted"
        self.coil = False
        self.forced_openings = 0
        self.relay_writes: list[tuple[bool, float]] = []
        self.powered = False
        self.cable: PtyCable | None = PtyCable() if transport == "rtu" else None
        self._server: Any = None
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=f"sim-{name}", daemon=True)
        self._thread.start()

    # -- where the driver finds it ---------------------------------------------------------------
    @property
    def url(self) -> str:
        """The driver's URL: the address and this module's wiring."""
        if self.transport == "tcp":
            base = f"modbus-tcp://{self.host}:{self.port}"
        else:
            assert self.cable is not None
            base = f"modbus-rtu://{self.cable.path}"
        query = [f"unit={self.unit}", f"polarity={self.polarity}", f"lock={self.lock_kind}"]
        query.append(f"door_input={_opt(self.door_input)}")
        query.append(f"relay={_opt(self.relay)}")
        if self.line_input is not None:
            query.append(f"line_input={self.line_input}")
        if self.transport == "rtu":
            query.append(f"baudrate={self.baudrate}")
        return base + "?" + "&".join(query)

    @property
    def locked(self) -> bool:
        """The lock's bolt is out: a strike with its coil off, a maglock with its coil on."""
        return self.coil != (self.lock_kind == "strike")

    # -- power -------------------------------------------------------------------------------------
    def start(self) -> SimSafeModule:
        """Power the module on (serve); returns self."""
        self.power_on()
        return self

    def power_on(self) -> None:
        """Serve again; the coil starts off, as a real module's outputs do after a power loss."""
        if self.powered:
            return
        self._run(self._serve()).result(10)
        self.powered = True
        self._push()

    def power_off(self) -> None:
        """Stop serving: the module no longer answers (over TCP, connections are refused)."""
        if not self.powered:
            return
        self.powered = False
        server, self._server = self._server, None
        if server is not None:
            self._run(server.shutdown()).result(10)
        self.coil = False
        self._notify()

    async def _serve(self) -> None:
        device = SimDevice(
            self.unit,
            simdata=(
                [SimData(0, count=64, values=False, datatype=DataType.BITS)],
                [SimData(0, count=64, values=False, datatype=DataType.BITS)],
                [SimData(0, count=16, values=0, datatype=DataType.REGISTERS)],
                [SimData(0, count=16, values=0, datatype=DataType.REGISTERS)],
            ),
            action=self._on_request,
        )
        server: Any
        if self.transport == "tcp":
            server = ModbusTcpServer(device, address=(self.host, self.port))
        else:
            assert self.cable is not None
            server = ModbusSerialServer(
                device, framer=FramerType.RTU, port=self.cable.server_path, baudrate=self.baudrate
            )
        await server.serve_forever(background=True)
        if self.transport == "tcp" and not self.port:
            self.port = server.transport.sockets[0].getsockname()[1]
        self._server = server

    async def _on_request(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        registers: list[int],
        values: list[int] | list[bool] | None,
    ) -> None:
        """pymodbus calls this on every access; it records what a client wrote to the relay."""
        if function_code in _COIL_WRITES and values is not None and self.relay is not None:
            index = self.relay - address
            if 0 <= index < len(values):
                self.coil = bool(values[index])
                self.relay_writes.append((self.coil, time.monotonic()))
                self._notify()

    # -- the door and the loop -----------------------------------------------------------------
    def open_door(self) -> None:
        """Someone opens the door (with the lock released, a key, or force: see `force_door`)."""
        self.door_open = True
        self._push()

    def close_door(self) -> None:
        """The door is shut."""
        self.door_open = False
        self._push()

    def force_door(self) -> bool:
        """Open the door whatever the lock says (a key, or force); True when it was locked."""
        was_locked = self.locked
        if was_locked:
            self.forced_openings += 1
        self.open_door()
        return was_locked

    def leave_door_open(self) -> None:
        """Open the door and leave it: the module sees only the opening; how long is the kiosk's to judge."""
        self.open_door()

    def cut_line(self) -> None:
        """The door contact's wires are cut (the loop reads high; an NC input reads open)."""
        self.line_fault = "cut"
        self._push()

    def short_line(self) -> None:
        """The door contact's wires are bridged (the loop reads low; the input conducts)."""
        self.line_fault = "shorted"
        self._push()

    def mend_line(self) -> None:
        """The wiring is whole again."""
        self.line_fault = None
        self._push()

    @property
    def contact_conducting(self) -> bool:
        """Whether current flows through the door contact's loop (what the discrete input reads)."""
        if self.line_fault == "cut":
            return False
        if self.line_fault == "shorted":
            return True
        shut = not self.door_open
        return shut if self.polarity == "nc" else not shut

    @property
    def line_reading(self) -> int:
        """What the supervised loop's input register reads now."""
        r = self.readings
        if self.line_fault == "cut":
            return r.cut
        if self.line_fault == "shorted":
            return r.shorted
        return r.open if self.door_open else r.closed

    def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `condition()` holds (re-checked on every relay write), at most `timeout` s."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    # -- SimDevice --------------------------------------------------------------------------------
    def scan(self, code: str) -> None:
        """Not a scanner: a scenario that scans it is wrong."""
        raise TypeError(f"{self.name} is a safe's I/O module, not a scanner")

    def unplug(self) -> None:
        """The hub's unplug: the module loses power."""
        self.power_off()

    def replug(self, new_path: str | None = None) -> None:
        """The hub's replug: power comes back (the relay starts off)."""
        self.power_on()

    def close(self) -> None:
        """Power off, stop the loop and the cable."""
        self.power_off()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()
        if self.cable is not None:
            self.cable.close()

    def __enter__(self) -> SimSafeModule:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------------------------
    def _push(self) -> None:
        """Put the door and the loop into the served registers (when powered)."""
        if self.powered and self._server is not None:
            self._run(self._write_inputs(self._server)).result(10)
        self._notify()

    async def _write_inputs(self, server: Any) -> None:
        if self.door_input is not None:
            await server.async_setValues(self.unit, 2, self.door_input, [self.contact_conducting])
        if self.line_input is not None:
            await server.async_setValues(self.unit, 4, self.line_input, [self.line_reading])

    def _run(self, coro: Any) -> Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()


def _opt(value: int | None) -> str:
    return "none" if value is None else str(value)
