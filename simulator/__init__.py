"""Fakes of the kiosk's hardware, at the layer the real drivers read (bytes, key events, frames).

Imports only `drivers`. Tests hold an explicit hub object (`simulator.hub.SimHub`); nothing here is a
module global except the weak registry of live hubs the `sim://` URL handler needs. Importing this
package registers that handler with pyserial.
"""

import serial

if "simulator" not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append("simulator")
