"""pyserial URL handler for `sim://<hub-id>/<device>`: the real serial driver over a simulated line.

pyserial finds it as `simulator.protocol_sim` once `simulator` is in
`serial.protocol_handler_packages` (importing `simulator` does that).
"""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from serial.serialutil import PortNotOpenError, SerialBase, SerialException


class Serial(SerialBase):
    """A port onto a `SimSerialLine`. Reads raise `SerialException` once the line is unplugged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._line: Any = None
        self._generation = -1
        super().__init__(*args, **kwargs)

    def open(self) -> None:
        if self.is_open:
            raise SerialException("Port is already open.")
        if self.port is None:
            raise SerialException("Port must be configured before it can be used.")
        from simulator.hub import find_hub
        from simulator.serial_sim import SimSerialLine

        parts = urllib.parse.urlsplit(self.port)
        if parts.scheme != "sim":
            raise SerialException(f"expected sim://<hub>/<device>, got {self.port!r}")
        try:
            line = find_hub(parts.netloc).devices.get(parts.path.lstrip("/"))
        except KeyError:
            raise SerialException(f"could not open port {self.port}: no such hub") from None
        if not isinstance(line, SimSerialLine):
            raise SerialException(f"could not open port {self.port}: no such device")
        self._generation = line.connect()  # raises SerialException when unplugged
        self._line = line
        self.is_open = True
        self._reconfigure_port()

    def close(self) -> None:
        if self._line is not None:
            self._line.disconnect(self._generation)
        self._line = None
        self.is_open = False

    def _reconfigure_port(self, *args: Any, **kwargs: Any) -> None:
        # The line delivers what a UART at these settings reads from the simulated scanner. pyserial
        # calls this for every setting, the read timeout too: the UART is rebuilt only when its own
        # settings change, as a real adapter's is.
        from drivers.uart import LineSettings

        line = self._line
        if line is None:
            return
        wanted = (self.baudrate, self.bytesize, self.parity, self.stopbits)
        now = line.host_line
        if now is None or wanted != (now.baudrate, now.bytesize, now.parity, now.stopbits):
            line.host_line = LineSettings(*wanted)

    def _check(self) -> Any:
        if not self.is_open or self._line is None:
            raise PortNotOpenError()
        return self._line

    @property
    def in_waiting(self) -> int:
        line = self._check()
        n: int = line.waiting(self._generation)
        return n

    def read(self, size: int = 1) -> bytes:
        line = self._check()
        timeout = self.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        data: bytes = line.take(size, deadline, self._generation)
        return data

    def write(self, data: Any) -> int:
        self._check()
        return len(bytes(data))  # the scanner ignores what the host sends

    def reset_input_buffer(self) -> None:
        self._check()

    def reset_output_buffer(self) -> None:
        self._check()

    def cancel_read(self) -> None:
        pass

    @property
    def out_waiting(self) -> int:
        return 0

    def _update_break_state(self) -> None:
        pass

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True
