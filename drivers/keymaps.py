"""Keyboard layouts the wedge paths need: Linux keycodes -> characters for US and JIS, and the
punctuation swaps a US/JIS mismatch produces.

A wedge scanner sends key *positions*. When the scanner's "keyboard country" and the host's layout
disagree, digits and letters survive but punctuation moves: a US scanner's `]` arrives as `[` on a JIS
host, so the AIM identifier `]C0` reads `[C0`. Management IDs are digits for that reason; the tables
here let the drivers recognise and explain the mismatch instead of reporting garbage.
"""

from __future__ import annotations

import enum

# Linux input keycodes (linux/input-event-codes.h); only the keys a scanner types.
KEY_ESC = 1
KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0 = range(2, 12)
KEY_MINUS = 12
KEY_EQUAL = 13
KEY_BACKSPACE = 14
KEY_TAB = 15
KEY_LEFTBRACE = 26
KEY_RIGHTBRACE = 27
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_SEMICOLON = 39
KEY_APOSTROPHE = 40
KEY_GRAVE = 41
KEY_LEFTSHIFT = 42
KEY_BACKSLASH = 43
KEY_COMMA = 51
KEY_DOT = 52
KEY_SLASH = 53
KEY_RIGHTSHIFT = 54
KEY_KPASTERISK = 55
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_KP7, KEY_KP8, KEY_KP9, KEY_KPMINUS = 71, 72, 73, 74
KEY_KP4, KEY_KP5, KEY_KP6, KEY_KPPLUS = 75, 76, 77, 78
KEY_KP1, KEY_KP2, KEY_KP3, KEY_KP0, KEY_KPDOT = 79, 80, 81, 82, 83
KEY_ZENKAKUHANKAKU = 85
KEY_RO = 89
KEY_KATAKANAHIRAGANA = 93
KEY_HENKAN = 92
KEY_MUHENKAN = 94
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_KPSLASH = 98
KEY_RIGHTALT = 100
KEY_YEN = 124

SHIFT_KEYS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
# Modifier and lock keys that produce no character and do not invalidate a scan.
SILENT_KEYS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_RIGHTALT, KEY_NUMLOCK})

_LETTER_ROWS = (
    (16, "qwertyuiop"),
    (30, "asdfghjkl"),
    (44, "zxcvbnm"),
)


class Layout(enum.StrEnum):
    """The keyboard country a wedge scanner is set to (and the keymap the evdev driver uses)."""

    US = "us"
    JIS = "jis"


def _common() -> dict[int, tuple[str, str]]:
    keys: dict[int, tuple[str, str]] = {}
    for start, letters in _LETTER_ROWS:
        for i, ch in enumerate(letters):
            keys[start + i] = (ch, ch.upper())
    keys[KEY_ENTER] = ("\r", "\r")
    keys[KEY_KPENTER] = ("\r", "\r")
    keys[KEY_TAB] = ("\t", "\t")
    keys[KEY_SPACE] = (" ", " ")
    keys[KEY_COMMA] = (",", "<")
    keys[KEY_DOT] = (".", ">")
    keys[KEY_SLASH] = ("/", "?")
    keypad = {
        KEY_KP0: "0", KEY_KP1: "1", KEY_KP2: "2", KEY_KP3: "3", KEY_KP4: "4",
        KEY_KP5: "5", KEY_KP6: "6", KEY_KP7: "7", KEY_KP8: "8", KEY_KP9: "9",
        KEY_KPDOT: ".", KEY_KPMINUS: "-", KEY_KPPLUS: "+", KEY_KPASTERISK: "*", KEY_KPSLASH: "/",
    }  # fmt: skip
    for code, ch in keypad.items():
        keys[code] = (ch, ch)
    return keys


def _us() -> dict[int, tuple[str, str]]:
    keys = _common()
    pairs = ("1!", "2@", "3#", "4$", "5%", "6^", "7&", "8*", "9(", "0)")
    for code, pair in zip(range(KEY_1, KEY_0 + 1), pairs, strict=True):
        keys[code] = (pair[0], pair[1])
    keys.update({
        KEY_MINUS: ("-", "_"), KEY_EQUAL: ("=", "+"), KEY_LEFTBRACE: ("[", "{"),
        KEY_RIGHTBRACE: ("]", "}"), KEY_SEMICOLON: (";", ":"), KEY_APOSTROPHE: ("'", '"'),
        KEY_GRAVE: ("`", "~"), KEY_BACKSLASH: ("\\", "|"),
    })  # fmt: skip
    return keys


def _jis() -> dict[int, tuple[str, str]]:
    keys = _common()
    shifted = ("!", '"', "#", "$", "%", "&", "'", "(", ")", "")  # JIS Shift+0 types nothing
    for i, code in enumerate(range(KEY_1, KEY_0 + 1)):
        keys[code] = (str((i + 1) % 10), shifted[i])
    keys.update({
        KEY_MINUS: ("-", "="), KEY_EQUAL: ("^", "~"), KEY_YEN: ("\\", "|"),
        KEY_LEFTBRACE: ("@", "`"), KEY_RIGHTBRACE: ("[", "{"), KEY_SEMICOLON: (";", "+"),
        KEY_APOSTROPHE: (":", "*"), KEY_BACKSLASH: ("]", "}"), KEY_RO: ("\\", "_"),
    })  # fmt: skip
    # KEY_GRAVE is 半角/全角 on a JIS keyboard: it toggles the IME and types nothing.
    return keys


KEYMAPS: dict[Layout, dict[int, tuple[str, str]]] = {Layout.US: _us(), Layout.JIS: _jis()}


def _swap_table(sender: Layout, host: Layout) -> dict[str, str]:
    """Character the sender meant -> character the host types for the same key position."""
    send, recv = KEYMAPS[sender], KEYMAPS[host]
    table: dict[str, str] = {}
    for code, (normal, shifted) in send.items():
        if code not in recv:
            continue
        for meant, got in ((normal, recv[code][0]), (shifted, recv[code][1])):
            if meant and meant != got and meant not in table:
                table[meant] = got
    return table


# What a host receives when a scanner set to one layout types on a host set to the other.
US_ON_JIS: dict[str, str] = _swap_table(Layout.US, Layout.JIS)
JIS_ON_US: dict[str, str] = _swap_table(Layout.JIS, Layout.US)


def retype(text: str, table: dict[str, str]) -> str:
    """Apply a swap table: what `text` becomes after a layout mismatch (the simulator's use)."""
    return "".join(table.get(ch, ch) for ch in text)


def undo(text: str, table: dict[str, str]) -> str:
    """Reverse a swap table where that is unambiguous (characters the table does not produce stay)."""
    inverse: dict[str, str] = {}
    for meant, got in table.items():
        if got:
            inverse.setdefault(got, meant)
    return "".join(inverse.get(ch, ch) for ch in text)
