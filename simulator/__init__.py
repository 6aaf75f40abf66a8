"""Fakes of the kiosk's hardware, at the layer the real drivers read (bytes, key events, frames).

Imports only `drivers`. Tests hold an explicit hub object; nothing here is a module global.
"""
