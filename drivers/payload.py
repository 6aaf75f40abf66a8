"""From a frame's payload to a `Scan`, or a `FrameError` with a reason: the checks every scanner
path shares (serial bytes and wedge text alike).

Order matters: the My Number guard runs on the final code before anything else looks at it, and no
error produced here carries the text. Pure: the time of the scan is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drivers import damm
from drivers.aim import parse_aim
from drivers.code_id import (
    CODE_ID_CHOICES,
    VENDOR_NAMES,
    aim_advice,
    guard_view,
    parse_code_id,
    unknown_code_id,
    who_uses,
    zebra_2d_head,
)
from drivers.errors import FrameError
from drivers.keymaps import JIS_ON_US, US_ON_JIS, undo
from drivers.reasons import (
    REASON_AIM_MISSING,
    REASON_CODE_ID,
    REASON_CODE_ID_MISSING,
    REASON_CODE_ID_UNKNOWN,
    REASON_CONTROL,
    REASON_GARBAGE,
    REASON_IME,
    REASON_JIS_ON_US,
    REASON_MODEM_PROBE,
    REASON_PREFIX_MISSING,
    REASON_STRAY_PREFIX,
    REASON_STRAY_SUFFIX,
    REASON_SUFFIX_MISSING,
    REASON_SYMBOLOGY,
    REASON_US_ON_JIS,
    explain,
)
from drivers.scan import Scan, Symbology
from drivers.text import (
    REASON_MYNUMBER,
    REASON_NON_ASCII,
    looks_like_individual_number,
    normalise,
    screen_text,
)

# Hayes commands a modem manager sends to any new serial port ("AT", "ATZ", "AT+GCAP", "ATE0V1", ...)
# and the escape "+++". A code that really starts with "AT" and continues with letters (ATLANTA) is
# refused too; a kiosk that needs such codes sets `reject_modem_probes=False`.
_MODEM_PROBE = re.compile(r"(?:AT|at)(?:[A-Za-z&+%\\^$#*][A-Za-z0-9&+%\\^$#*=?,;]*)?|\+\+\+|A/")


def is_modem_probe(text: str) -> bool:
    """True when `text` is shaped like a Hayes AT command rather than a code."""
    return len(text) <= 40 and _MODEM_PROBE.fullmatch(text) is not None


def detect_layout_mismatch(text: str, expected_prefix: str = "", expected_suffix: str = "") -> str | None:
    """The layout-mismatch reason code when `text` reads correctly once a US/JIS swap is undone.

    Recognised: an AIM identifier whose `]` arrived as `[` (US scanner, JIS host) or `\\` (JIS scanner,
    US host), and a configured prefix or suffix that arrived swapped.
    """
    for table, reason in ((US_ON_JIS, REASON_US_ON_JIS), (JIS_ON_US, REASON_JIS_ON_US)):
        fixed = undo(text, table)
        if fixed == text:
            continue
        if expected_prefix or expected_suffix:
            if expected_prefix and not text.startswith(expected_prefix) and fixed.startswith(expected_prefix):
                return reason
            if expected_suffix and not text.endswith(expected_suffix) and fixed.endswith(expected_suffix):
                return reason
        elif parse_aim(fixed)[0] is not None and parse_aim(text)[0] is None:
            return reason
    return None


@dataclass(frozen=True, slots=True)
class PayloadRules:
    """What a configured scanner sends around the code, and what the kiosk accepts.

    - `prefix` / `suffix`: fixed text the scanner adds; required when set, then stripped.
    - `aim`: "auto" (strip an AIM identifier when present), "require" (refuse frames without one) or
      "off" (never parse; a code starting with `]` is kept as is).
    - `symbologies`: the allow-list; None accepts all. Frames without an AIM identifier carry
      `default_symbology` (UNKNOWN for serial, KEYBOARD for wedges), which must then be in the list.
    - `code_id`: "off", or the vendor ("zebra", "honeywell", "datalogic", "datalogic-eu", "denso")
      whose Code ID the scanner sends before each code (see `drivers.code_id`); then required and
      stripped before the My Number guard sees the code.
    - `reject_modem_probes`: refuse Hayes AT commands (see `is_modem_probe`).
    - `diagnose_affixes`: refuse a management ID (10 digits with a valid Damm check digit) that arrives
      with unexpected text glued before or after it, naming that text (`stray_prefix`,
      `stray_suffix`) or the vendor Code ID it looks like (`code_id`), instead of taking it as a code.
    """

    prefix: str = ""
    suffix: str = ""
    aim: str = "auto"
    symbologies: frozenset[Symbology] | None = None
    default_symbology: Symbology = Symbology.UNKNOWN
    reject_modem_probes: bool = True
    code_id: str = "off"
    diagnose_affixes: bool = True

    def __post_init__(self) -> None:
        if self.aim not in ("auto", "require", "off"):
            raise ValueError(f"aim must be auto, require or off, not {self.aim!r}")
        if self.code_id not in CODE_ID_CHOICES:
            raise ValueError(f"code_id must be one of {', '.join(CODE_ID_CHOICES)}, not {self.code_id!r}")
        if self.code_id != "off" and self.aim == "require":
            raise ValueError("code_id and aim = require exclude each other: a scanner sends one or the other")

    @classmethod
    def coerce(
        cls, value: PayloadRules | Mapping[str, Any] | None, default_symbology: Symbology = Symbology.UNKNOWN
    ) -> PayloadRules:
        """Rules from a `PayloadRules`, or from a configuration table such as
        `rules = { prefix = "#", aim = "require", symbologies = ["code128"] }`.

        Raises ValueError naming the key and what is allowed (never the value).
        """
        if value is None:
            return cls(default_symbology=default_symbology)
        if isinstance(value, PayloadRules):
            return value
        if not isinstance(value, Mapping):
            raise ValueError('rules must be a table such as { prefix = "#", aim = "auto" }')
        allowed = (
            "aim",
            "code_id",
            "diagnose_affixes",
            "prefix",
            "reject_modem_probes",
            "suffix",
            "symbologies",
        )
        unknown = sorted(set(value) - set(allowed))
        if unknown:
            raise ValueError(f"unknown rules key(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
        options = dict(value)
        if "symbologies" in options:
            names = options.pop("symbologies")
            try:
                options["symbologies"] = cls.allow(names)
            except ValueError:
                known = ", ".join(s.value for s in Symbology)
                raise ValueError(f"rules.symbologies: unknown symbology; known: {known}") from None
        for key in ("prefix", "suffix"):
            if key in options and not isinstance(options[key], str):
                raise ValueError(f"rules.{key} must be text")
        return cls(default_symbology=default_symbology, **options)

    @staticmethod
    def allow(names: Iterable[str | Symbology] | None) -> frozenset[Symbology] | None:
        """An allow-list from symbology names ("code128", "qr", ...); None or empty means all."""
        if names is None:
            return None
        allowed = frozenset(Symbology(n) for n in names)
        return allowed or None


def _error(reason: str, source: str, detail: str = "") -> FrameError:
    return FrameError(reason, source, detail or explain(reason))


# A management ID (10 digits) with a short run of other characters glued before and/or after it.
_AFFIXED_ID = re.compile(r"(?P<pre>[^0-9]{1,8})?(?P<id>[0-9]{10})(?P<post>[^0-9]{1,8})?")


def _shown(affix: str) -> str:
    return ascii(affix)


def _vendors_phrase(users: list[tuple[str, Any]]) -> str:
    names = " or ".join(f"{VENDOR_NAMES[vendor]} ({cid.name})" for vendor, cid in users)
    if len(users) == 1:
        # One vendor: the setting is singled out, so it is given in a form doctor may copy.
        return f'the Code ID of {names}: set code_id = "{users[0][0]}"'
    vendors = ", ".join(f'"{vendor}"' for vendor, _ in users)
    return f"the Code ID of {names}: set code_id to the scanner's make ({vendors})"


def diagnose_affix(text: str, source: str) -> FrameError | None:
    """The refusal for a management ID with unexpected text around it (None when `text` is not one).

    The affix is named (it is at most 8 non-digit characters, never part of the ID); one that is a
    vendor's Code ID for a label symbology is named as that, with the advice to use AIM instead.
    """
    m = _AFFIXED_ID.fullmatch(text)
    if m is None or not (m["pre"] or m["post"]) or not damm.is_valid(m["id"]):
        return None
    pre, post = m["pre"] or "", m["post"] or ""
    users = who_uses(pre) if pre and not post else []
    if users and pre[0].isalnum():
        return _error(
            REASON_CODE_ID,
            source,
            f"the scan starts with {_shown(pre)}, {_vendors_phrase(users)}; {aim_advice()}",
        )
    if pre:
        # A punctuation mark (Datalogic's `#`) is more often a prefix someone set than a Code ID.
        also = "".join(f"; it is also the {VENDOR_NAMES[v]} Code ID of {cid.name}" for v, cid in users)
        return _error(
            REASON_STRAY_PREFIX,
            source,
            f"the scan starts with {_shown(pre)} that the configuration does not expect: "
            f'set prefix = "{pre}" (or remove the prefix on the scanner){also}',
        )
    return _error(
        REASON_STRAY_SUFFIX,
        source,
        f"the scan ends with {_shown(post)} that the configuration does not expect: "
        f'set suffix = "{post}" (or remove the suffix on the scanner)',
    )


def _zebra_2d_id(text: str, source: str) -> FrameError | None:
    """A Zebra 2-D Code ID (`P01`) glued to a management ID, seen with Code ID parsing off: its digits
    make 12 in a row, but it is a Code ID, and the refusal says so (the value is discarded either way)."""
    head = zebra_2d_head(text)
    if head is None:
        return None
    m = _AFFIXED_ID.fullmatch(text[len(head) :])
    if m is None or m["pre"] or not damm.is_valid(m["id"]):
        return None
    users = who_uses(head)
    what = _vendors_phrase(users) if users else 'an unknown Zebra 2-D Code ID: set code_id = "zebra"'
    return _error(REASON_CODE_ID, source, f"the scan starts with {_shown(head)}, {what}; {aim_advice()}")


def _guard_view(text: str, rules: PayloadRules) -> str:
    """The frame as the whole-frame guard sees it: AIM identifiers and a configured vendor Code ID
    count as one letter each (their digits are not part of the code)."""
    view = _AIM_ANYWHERE.sub("A", text)
    if rules.code_id == "off":
        return view
    head = rules.prefix if rules.prefix and view.startswith(rules.prefix) else ""
    return head + guard_view(view[len(head) :], rules.code_id)


def text_from_bytes(payload: bytes, source: str) -> str:
    """Decode a serial payload as UTF-8 text, refusing control bytes and invalid sequences."""
    if any(b < 0x20 or b == 0x7F for b in payload):
        raise _error(REASON_CONTROL, source)
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        raise _error(REASON_GARBAGE, source) from None


_AIM_ANYWHERE = re.compile(r"\][A-Za-z][0-9A-Za-z]")


def decode_payload(
    text: str, rules: PayloadRules, *, source: str, at: datetime, raw: bytes = b"", wedge: bool = False
) -> Scan:
    """Apply `rules` to one frame's text and return the `Scan`; raise `FrameError` otherwise.

    `wedge=True` names the IME and keyboard-layout causes in the reasons: a serial scanner sends bytes,
    with no host keyboard layout and no IME, so neither is ever its diagnosis.
    """
    # The guard first, on the whole frame, so that not even a prefix mismatch mentions it. An AIM
    # identifier counts as a letter there: its modifier digit (the "0" of "]C0") is not part of the code,
    # and an 11-digit code behind it is not 12 digits. The code itself is guarded again below.
    # A configured vendor Code ID is stripped first in the same way (Zebra's `P01` ends in digits).
    if looks_like_individual_number(_guard_view(text, rules)):
        zebra = _zebra_2d_id(normalise(text)[len(rules.prefix) :], source) if rules.code_id == "off" else None
        raise zebra or _error(REASON_MYNUMBER, source)
    body = text
    if rules.prefix:
        if not body.startswith(rules.prefix):
            swapped = detect_layout_mismatch(body, rules.prefix) if wedge else None
            raise _error(swapped or REASON_PREFIX_MISSING, source)
        body = body[len(rules.prefix) :]
    if rules.suffix:
        if not body.endswith(rules.suffix):
            swapped = detect_layout_mismatch(body, "", rules.suffix) if wedge else None
            raise _error(swapped or REASON_SUFFIX_MISSING, source)
        body = body[: -len(rules.suffix)]
    if rules.code_id == "off" and rules.aim != "require" and damm.is_management_id(body):
        # Ten digits with their check digit, as a well-set scanner sends them: none of the diagnoses
        # below (keyboard layout, Code ID, glued text, IME, modem probe) can apply, so none runs.
        return _accepted(body, rules.default_symbology, rules, source, at, raw)
    symbology = rules.default_symbology
    aim_found = False
    if rules.aim != "off":
        aim, rest = parse_aim(body)
        if aim is not None:
            symbology, body, aim_found = aim.symbology, rest, True
        else:
            mismatch = detect_layout_mismatch(body) if wedge else None
            if mismatch is not None:
                raise _error(mismatch, source)
            if rules.aim == "require":
                raise _error(REASON_AIM_MISSING, source)
    if rules.code_id != "off" and not aim_found:
        code_id, rest = parse_code_id(body, rules.code_id)
        if code_id is None:
            unknown = unknown_code_id(body, rules.code_id)
            if unknown is None:
                raise _error(REASON_CODE_ID_MISSING, source)
            raise _error(
                REASON_CODE_ID_UNKNOWN,
                source,
                f"the scan starts with {_shown(unknown)}, which is not in the "
                f"{VENDOR_NAMES[rules.code_id]} Code ID table: check code_id (the scanner's make), "
                f"or {aim_advice()}",
            )
        symbology, body = code_id.symbology, rest
    if rules.diagnose_affixes:
        stray = diagnose_affix(normalise(body), source)
        if stray is not None:
            raise stray
    code, reason = screen_text(body)
    if reason is not None:
        if reason == REASON_NON_ASCII and wedge:
            from drivers.ime import ime_phrase, session_ime

            raise _error(
                REASON_IME,
                source,
                f"the text is not ASCII: {ime_phrase(session_ime())} is on; "
                "switch it off (半角/全角) and scan again",
            )
        raise _error(reason, source)
    assert code is not None  # screen_text returns one or the other
    if rules.reject_modem_probes and is_modem_probe(code):
        raise _error(REASON_MODEM_PROBE, source)
    return _accepted(code, symbology, rules, source, at, raw)


def _accepted(
    code: str, symbology: Symbology, rules: PayloadRules, source: str, at: datetime, raw: bytes
) -> Scan:
    """The scan of a code that passed every check, when the allow-list takes its symbology."""
    if rules.symbologies is not None and symbology not in rules.symbologies:
        raise _error(REASON_SYMBOLOGY, source)
    return Scan(code=code, symbology=symbology, source=source, at=at, raw=raw)
