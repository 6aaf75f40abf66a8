"""The small error hierarchy every driver raises.

A disconnect is an expected event at a kiosk (a clerk kicks a cable), not a crash: callers catch
`DeviceUnavailable` and reconnect. A rejected frame is reported as `FrameError` with a reason code;
its message never carries the refused text, because that text may be an individual number.
"""

from __future__ import annotations


class DriverError(Exception):
    """Base of every error a driver raises on purpose."""


class DeviceUnavailable(DriverError):
    """The device is absent, unplugged or not answering; reopen it later."""


class DriverNotUsable(DriverError):
    """A driver's optional dependency or system library is missing; the message names what to install."""


class FrameError(DriverError, ValueError):
    """A frame that is not a scan: garbage, a modem probe, a refused value.

    `reason` is a stable code (`garbage`, `partial_timeout`, `mynumber_refused`, `non_ascii`, ...) that
    can be logged and shown; `source` names the device. The exception never contains the raw text.
    """

    def __init__(self, reason: str, source: str = "", detail: str = "") -> None:
        self.reason = reason
        self.source = source
        self.detail = detail
        text = f"{source}: rejected frame ({reason})" if source else f"rejected frame ({reason})"
        if detail:
            text = f"{text}: {detail}"
        super().__init__(text)
