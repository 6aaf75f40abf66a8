"""No input crashes a parser: every one either returns or raises its documented exception, and no
exception message repeats a 12-digit value it was given."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as s

from drivers.aim import parse_aim
from drivers.errors import FrameError
from drivers.framing import LineFramer
from drivers.payload import PayloadRules, decode_payload, text_from_bytes
from drivers.rfid import UidFormat, normalise_uid
from drivers.rfid_uhf import ResponseFramer, parse_inventory
from drivers.scan import utc_now
from kiosk.config import ConfigError, load_settings
from kiosk.domain.delivery import DeliveryRejected, parse_delivery
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.retention import DatedListRejected, parse_dated_ids, parse_sent_date
from kiosk.domain.staff import parse_rank
from kiosk.domain.stocktake import LocationError, parse_location_label
from simulator.scenario import parse_scenario

TWELVE = re.compile(r"(?<!\d)\d{12}(?!\d)")

# Text that looks like what scanners, clerks and spreadsheets produce, plus anything at all.
digits = s.text(alphabet="0123456789０１２３４５６７８９ -", min_size=0, max_size=16)
cells = s.one_of(digits, s.text(max_size=12), s.sampled_from(["mynumber_card", "notification_card", ""]))
row = s.lists(cells, min_size=0, max_size=4).map(lambda r: ",".join(r))
csv_text = s.one_of(
    s.lists(row, max_size=8).map(lambda rows: "management_id,kind\n" + "\n".join(rows)),
    s.text(max_size=200),
)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def no_twelve_digit_echo(message: str, given_text: str) -> None:
    for value in TWELVE.findall(given_text):
        assert value not in message


@FAST
@given(s.one_of(digits, s.text(max_size=30)))
def test_management_id_parse(text: str) -> None:
    try:
        mid = ManagementId.parse(text)
    except Refusal as exc:
        no_twelve_digit_echo(str(exc), text)
        return
    assert len(mid.value) == 10
    assert mid.value.isdigit()


@FAST
@given(csv_text, s.one_of(s.none(), s.integers(0, 10)))
def test_parse_delivery(text: str, expect: int | None) -> None:
    try:
        lines = parse_delivery(text, expect=expect)
    except DeliveryRejected as exc:
        for problem in exc.problems:
            no_twelve_digit_echo(problem, text)
        return
    assert len({line.management_id for line in lines}) == len(lines)


@FAST
@given(s.text(max_size=200))
@example("\r0")  # a stray CR inside a field is not CSV: a clear ValueError, not csv.Error
def test_pick_list_csv(text: str) -> None:
    from kiosk.tui.screens.pick_list import booking_ids

    try:
        ids = booking_ids(text)
    except ValueError as exc:
        message = str(exc)
    else:
        assert all(isinstance(i, str) and i == i.strip() and i for i in ids)
        return
    assert message.startswith("not valid CSV")


@FAST
@given(s.lists(s.one_of(row, s.text(max_size=30)), max_size=6), s.booleans())
def test_notice_and_reminder_lists(lines: list[str], with_default: bool) -> None:
    try:
        parse_dated_ids(lines, default=date(2026, 4, 1) if with_default else None, today=date(2026, 4, 2))
    except DatedListRejected as exc:
        for problem in exc.problems:
            no_twelve_digit_echo(problem, "\n".join(lines))


@FAST
@given(s.text(max_size=20))
def test_sent_date(text: str) -> None:
    try:
        parse_sent_date(text)
    except ValueError as exc:
        no_twelve_digit_echo(str(exc), text)


@FAST
@given(s.one_of(digits, s.text(max_size=20)), s.sampled_from(list(UidFormat)))
def test_uid_normalisation(text: str, fmt: UidFormat) -> None:
    try:
        uid = normalise_uid(text, fmt)
    except FrameError as exc:
        no_twelve_digit_echo(str(exc), text)
        return
    assert re.fullmatch(r"[0-9A-F]+", uid)
    assert len(uid) // 2 in (4, 7, 8, 10)


@FAST
@given(s.text(max_size=40))
def test_location_labels(text: str) -> None:
    try:
        parse_location_label("L:" + text)
    except LocationError as exc:
        no_twelve_digit_echo(str(exc), text)


@FAST
@given(s.text(max_size=8))
def test_rank(text: str) -> None:
    with contextlib.suppress(ValueError):
        assert parse_rank(text) >= 0


@FAST
@given(s.text(max_size=20))
def test_aim(text: str) -> None:
    ident, rest = parse_aim(text)
    assert (ident.text + rest if ident else rest) == text


@FAST
@given(s.binary(max_size=40), s.text(alphabet="]C0AB", max_size=3), s.text(alphabet="#$", max_size=2))
def test_serial_payloads(data: bytes, prefix: str, suffix: str) -> None:
    rules = PayloadRules(prefix=prefix, suffix=suffix)
    try:
        text = text_from_bytes(data, "p")
        scan = decode_payload(text, rules, source="p", at=utc_now(), raw=data)
    except FrameError as exc:
        no_twelve_digit_echo(str(exc), data.decode("latin-1"))
        return
    assert not TWELVE.fullmatch(scan.code)


@FAST
@given(s.lists(s.binary(max_size=30), max_size=6))
def test_framers_never_crash(chunks: list[bytes]) -> None:
    framer = LineFramer("auto")
    uhf = ResponseFramer("uhf")
    now = 0.0
    for chunk in chunks:
        now += 0.01
        framer.feed(chunk, now)
        for item in uhf.feed(chunk):
            if not isinstance(item, FrameError):
                with contextlib.suppress(FrameError):
                    parse_inventory(item.data, "basic")
    framer.poll(now + 10)


@FAST
@given(
    s.dictionaries(
        s.sampled_from(["kiosk", "ledger", "scan", "session", "devices", "bogus"]),
        s.dictionaries(
            s.sampled_from(["name", "language", "double_read_window_s", "url", "x"]), s.text(max_size=14)
        ),
        max_size=3,
    )
)
def test_configuration_files(
    tmp_path_factory: pytest.TempPathFactory, tables: dict[str, dict[str, str]]
) -> None:
    body = ""
    for table, values in tables.items():
        body += f"[{table}]\n" + "".join(f"{k} = {_toml_string(v)}\n" for k, v in values.items())
    path = Path(tmp_path_factory.mktemp("cfg")) / "kiosk.toml"
    path.write_text(body, encoding="utf-8")
    try:
        load_settings(path)
    except ConfigError as exc:
        no_twelve_digit_echo(str(exc), body)


def _toml_string(value: str) -> str:
    return '"' + "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in value) + '"'


@FAST
@given(
    s.dictionaries(
        s.sampled_from(["name", "steps", "devices", "cabinet", "x"]), s.none() | s.text(max_size=5)
    )
)
def test_scenarios_parse_or_say_why(data: dict[str, object]) -> None:
    with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
        parse_scenario(data)
