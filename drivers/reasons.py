"""Reason codes for rejected frames, with an English explanation for logs and the self-test.

The codes are stable strings (the kiosk UI translates them to Japanese); the explanations never quote
the refused text, because it may be an individual number.
"""

from __future__ import annotations

from drivers.framing import (
    REASON_GLITCH,
    REASON_OUTSIDE_FRAME,
    REASON_OVERLONG,
    REASON_PARTIAL_TIMEOUT,
    REASON_TERMINATOR,
    REASON_UNTERMINATED,
)
from drivers.text import REASON_EMPTY, REASON_MYNUMBER, REASON_NON_ASCII

REASON_GARBAGE = "garbage"
REASON_CONTROL = "control_bytes"
REASON_MODEM_PROBE = "modem_probe"
REASON_SYMBOLOGY = "symbology_not_allowed"
REASON_AIM_MISSING = "aim_missing"
REASON_PREFIX_MISSING = "prefix_missing"
REASON_SUFFIX_MISSING = "suffix_missing"
REASON_IME = "ime_on"
REASON_US_ON_JIS = "layout_us_scanner_jis_host"
REASON_JIS_ON_US = "layout_jis_scanner_us_host"
REASON_NO_TERMINATOR = "no_terminator"
REASON_SYN_DROPPED = "syn_dropped"
REASON_UNKNOWN_KEY = "unknown_key"
REASON_CODE_ID = "code_id"
REASON_CODE_ID_MISSING = "code_id_missing"
REASON_CODE_ID_UNKNOWN = "code_id_unknown"
REASON_STRAY_PREFIX = "stray_prefix"
REASON_STRAY_SUFFIX = "stray_suffix"
REASON_LINE_SETTINGS = "line_settings"
REASON_SLOW_KEYS = "keys_too_slow"
REASON_KEYPAD = "keypad_keys"
REASON_TWO_LABELS = "two_labels_in_view"
REASON_PRESENT_UNREADABLE = "present_card_unreadable"

EXPLANATIONS: dict[str, str] = {
    REASON_GARBAGE: "bytes that are not text (line noise or a wrong baud rate / parity setting)",
    REASON_CONTROL: "control characters inside a frame (line noise or a wrong serial setting)",
    REASON_MODEM_PROBE: "a modem command such as AT, not a scan (is ModemManager probing the port?)",
    REASON_SYMBOLOGY: "a symbology this kiosk does not accept (not a management-ID label)",
    REASON_AIM_MISSING: "no AIM symbology identifier; enable AIM IDs on the scanner",
    REASON_PREFIX_MISSING: "the configured prefix is missing; check the scanner's prefix setting",
    REASON_SUFFIX_MISSING: "the configured suffix is missing; check the scanner's suffix setting",
    REASON_IME: "the text is not ASCII: switch the IME (Japanese input) off and scan again",
    REASON_US_ON_JIS: "the scanner types a US keyboard layout but the computer expects JIS: "
    "set the scanner's keyboard country to Japan (JIS)",
    REASON_JIS_ON_US: "the scanner types a Japanese (JIS) keyboard layout but the computer expects US: "
    "set the scanner's keyboard country to USA",
    REASON_NO_TERMINATOR: "a burst of keys without Enter/Tab at the end; set the scanner's suffix to Enter",
    REASON_SYN_DROPPED: "the kernel dropped input events (SYN_DROPPED); scan again",
    REASON_UNKNOWN_KEY: "a key the configured keyboard map does not know; check the keyboard country",
    REASON_PARTIAL_TIMEOUT: "an incomplete frame timed out and was dropped; scan again",
    REASON_UNTERMINATED: "an incomplete frame was cut off by the next one or by a disconnect",
    REASON_OVERLONG: "a frame longer than the configured maximum (missing terminator?)",
    REASON_OUTSIDE_FRAME: "bytes outside STX..ETX framing",
    REASON_TERMINATOR: "the scanner ends its frames with another terminator than the one configured: "
    'set framing = "auto" or the scanner\'s terminator',
    REASON_MYNUMBER: "a 12-digit value (the shape of an individual number) was refused and discarded",
    REASON_NON_ASCII: "the text is not ASCII after normalisation",
    REASON_EMPTY: "an empty frame",
    REASON_CODE_ID: "the scan starts with a vendor Code ID the configuration does not expect: set code_id",
    REASON_CODE_ID_MISSING: "no Code ID in front of the code; enable Code ID on the scanner or set code_id",
    REASON_CODE_ID_UNKNOWN: "the scan starts with a prefix that is not in the configured vendor's Code ID "
    "table: check code_id, or switch the scanner to AIM identifiers",
    REASON_STRAY_PREFIX: "the scan starts with text the configuration does not expect: set prefix",
    REASON_STRAY_SUFFIX: "the scan ends with text the configuration does not expect: set suffix",
    REASON_LINE_SETTINGS: "the serial line settings (baud rate, data bits, parity, stop bits) do not match "
    "the scanner's",
    REASON_GLITCH: "a power-up glitch before the first scan (ignored)",
    REASON_SLOW_KEYS: "the scanner types slower than the configured inter-key gap: raise the gap "
    "or set a faster keyboard speed on the scanner",
    REASON_TWO_LABELS: "two labels in view and none is clearly the one presented: hold one card to the "
    "camera, the others out of view",
    REASON_PRESENT_UNREADABLE: "the card held to the camera is in view but cannot be read (too near, out of "
    "focus): hold it a little further away; the smaller card in view was not taken",
    REASON_KEYPAD: "escape sequences or control keys instead of digits: NumLock is off and the scanner "
    "types on the keypad; switch NumLock on or set the scanner to type main-row digits",
}


def explain(reason: str) -> str:
    """The English explanation for a reason code (the code itself when unknown)."""
    return EXPLANATIONS.get(reason, reason)
