"""Issue 11, item 5: one My Number rule (`guard_text`) at every boundary, and the ledger's two checks.

`Unit._next` guards every event string before it is hashed; the `before_flush` hook guards every String/Text
column of a row the ORM writes. Either refusal rolls the whole unit of work back. Values are built at run
time (never a 12-digit literal).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, insert, select, update

from kiosk.domain.events import DeviceOnline, EventKind
from kiosk.domain.guard import (
    TextRefusal,
    guard_free_text,
    guard_int,
    guard_name,
    guard_payload,
    guard_text,
    validate_tag,
)
from kiosk.domain.staff import Role
from kiosk.ledger import models
from kiosk.ledger.engine import make_engine, upgrade
from kiosk.ledger.guard_hook import COLUMN_CHECKS
from kiosk.ledger.service import Ledger
from tests.ledger.helpers import ids, receive
from tests.ledger_ops import set_hold

TWELVE = "".join(str((5 * i + 2) % 10) for i in range(12))  # built at run time, never a literal
SEPARATORS = [".", "/", "_", "\u2212", "−", "—", "\u200b", " ", "-", "\u00ad", "\u3000", "\u2060", "+"]
DIGIT_ZEROS = {"ascii": "0", "full-width": "０", "arabic-indic": "\u0660", "devanagari": "\u0966"}


def in_script(digits: str, zero: str) -> str:
    return "".join(chr(ord(zero) + int(d)) for d in digits)


def split(digits: str, sep: str) -> str:
    return sep.join((digits[:4], digits[4:8], digits[8:]))


def assert_refused_without_echo(exc: pytest.ExceptionInfo[TextRefusal], field: str) -> None:
    assert exc.value.reason == "mynumber_refused"
    assert exc.value.field == field
    assert field in str(exc.value)
    assert TWELVE[:4] not in str(exc.value)
    assert TWELVE[-4:] not in str(exc.value)


@pytest.mark.parametrize("script", sorted(DIGIT_ZEROS))
@pytest.mark.parametrize("sep", ["", *SEPARATORS], ids=lambda s: f"U+{ord(s):04X}" if s else "none")
def test_guard_text_refuses_twelve_digits_in_any_script_and_with_any_separator(script: str, sep: str) -> None:
    value = split(in_script(TWELVE, DIGIT_ZEROS[script]), sep)
    for text in (value, f"電話 {value} まで", f"note:{value}!"):
        with pytest.raises(TextRefusal) as exc:
            guard_text(text, "hold reason")
        assert_refused_without_echo(exc, "hold reason")


def test_guard_text_lets_ordinary_values_through_in_their_nfkc_form() -> None:
    mid = ids(1)[0]
    assert guard_text(mid, "management ID") == mid  # 10 digits pass
    assert guard_text("Ｂ－２０２６", "batch") == "B-2026"  # the stored form is NFKC
    assert guard_text("2026-04-01 保管庫 A-3 棚 12", "note") == "2026-04-01 保管庫 A-3 棚 12"
    assert guard_text("1" * 11, "x") == "1" * 11
    with pytest.raises(TextRefusal):
        guard_text("1" * 13, "x")  # more than twelve is refused too
    # A letter breaks a run: two management IDs in a sentence are not one number.
    assert guard_text(f"{mid} と {mid}", "note") == f"{mid} と {mid}"


@given(
    zero=st.sampled_from(sorted(DIGIT_ZEROS.values())),
    seps=st.lists(st.sampled_from([*SEPARATORS, ""]), min_size=11, max_size=11),
    prefix=st.text(st.characters(categories=["L"]), max_size=5),
    suffix=st.text(max_size=5),
    extra=st.text("0123456789", max_size=3),
)
def test_property_any_spelling_of_twelve_digits_is_refused(
    zero: str, seps: list[str], prefix: str, suffix: str, extra: str
) -> None:
    digits = in_script(TWELVE + extra, zero)
    spelled = digits[0] + "".join(s + d for s, d in zip(seps, digits[1:12], strict=True)) + digits[12:]
    with pytest.raises(TextRefusal):
        guard_text(prefix + spelled + suffix, "f")


@pytest.mark.parametrize("bad", ["\x1b[2J", "a\rb", "a\nb", "\u202eevil", "tab\there", "a\u2028b", "x\x00"])
def test_names_and_free_text_refuse_control_characters_and_line_breaks(bad: str) -> None:
    for check in (guard_name, guard_free_text):
        with pytest.raises(TextRefusal) as exc:
            check(bad, "name")
        assert exc.value.reason == "control_character"
        assert "name" in str(exc.value)
        assert bad not in str(exc.value)


def test_names_refuse_empty_and_overlong_values_and_keep_markup_as_plain_text() -> None:
    for blank in ("", "   ", "\u3000"):
        with pytest.raises(TextRefusal) as exc:
            guard_name(blank, "staff name")
        assert exc.value.reason == "empty"
    with pytest.raises(TextRefusal) as long:
        guard_name("あ" * 101, "staff name")
    assert long.value.reason == "too_long"
    # Markup is not a control character: it is stored as typed and escaped wherever it is shown.
    assert guard_name(" [@click=app.quit]x ", "staff name") == "[@click=app.quit]x"


def test_tag_ids_are_validated_as_hex_tokens_and_twelve_decimal_digits_stay_refused() -> None:
    epc = "E200" + TWELVE + "00AB0000"  # a hex EPC may hold 12 decimal digits in a row
    assert validate_tag(epc.lower(), 24) == epc
    with pytest.raises(TextRefusal) as twelve:
        validate_tag(split(TWELVE, "-"))
    assert twelve.value.reason == "mynumber_refused"
    for bad, length in (("XYZ", None), ("E2001234", 24), ("", None)):
        with pytest.raises(TextRefusal):
            validate_tag(bad, length)


def test_integer_arguments_are_range_checked_without_echo() -> None:
    assert guard_int(7, "stocktake") == 7
    for bad in (0, -1, int(TWELVE), 2**31):
        with pytest.raises(TextRefusal) as exc:
            guard_int(bad, "stocktake")
        assert exc.value.reason == "out_of_range"
        assert str(bad) not in str(exc.value)


def test_payloads_are_walked_keys_included_and_formatted_keys_checked_by_format() -> None:
    guard_payload({"expected_sha256": "1" * 64, "tag": "E200" + TWELVE + "00AB0000", "n": 3}, "ev")
    # A head's hash may hold twelve digits in a row by chance: it is checked as a digest.
    guard_payload({"kiosks_read": [f"kiosk-2@1234567:{TWELVE}{'0' * 52}", "kiosk-3@-"]}, "ledger_restored")
    for bad in (
        {"notes": {"x": [f"see {TWELVE}"]}},
        {"notes": {TWELVE: "x"}},
        {"count": int(TWELVE)},
        {"tag": TWELVE},
        {"expected_sha256": "not a digest"},
        # issue 22: a restore's other kiosk PCs, "NAME@SEQ:HASH": the name and seq are text as any other.
        {"kiosks_read": [f"kiosk-{TWELVE}@3:{'a' * 64}"]},
        {"kiosks_read": [f"kiosk-{TWELVE[:6]}@{TWELVE[6:]}:{'a' * 64}"]},
        {"kiosks_read": [f"kiosk-2 {TWELVE}"]},
        {"kiosks_read": ["kiosk-2@3:not a digest"]},
        {"kiosks_lost": [f"kiosk {TWELVE}"]},
    ):
        with pytest.raises(TextRefusal) as exc:
            guard_payload(bad, "stocktake_finished")
        assert "stocktake_finished" in str(exc.value)
        assert TWELVE[:6] not in str(exc.value)


def _count(ledger: Ledger, model: type[models.Base]) -> int:
    with ledger.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_unit_next_refuses_before_hashing_and_the_unit_rolls_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p")
    officer = ledger.add_staff(name="正", badge="O1", employee_no="E1", role=Role.OFFICER, rank=0, pin="1111")
    mid = ids(1)[0]
    receive(ledger, [mid])
    head = ledger.head()
    for reason in (split(TWELVE, "\u200b"), f"入院 {split(in_script(TWELVE, '０'), '.')}"):
        with pytest.raises(TextRefusal) as exc:
            set_hold(ledger, mid, reason, actor_id=officer.id)
        assert exc.value.field == "card_hold_set.reason"
    with pytest.raises(TextRefusal) as dev, ledger.unit() as u:
        u.append(EventKind.DEVICE_ONLINE, device=f"scanner-{TWELVE}", payload=DeviceOnline("scanner"))
    assert dev.value.field == "device_online.device"
    assert ledger.head() == head
    card = ledger.card(mid)
    assert card is not None
    assert card.hold_reason is None
    engine.dispose()
    assert TWELVE.encode() not in b"".join(p.read_bytes() for p in tmp_path.iterdir())


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'l.sqlite3'}"
    url: str = request.getfixturevalue("pg_schema_url")  # skips without KIOSK_TEST_PG_URL
    return url


def test_the_flush_hook_guards_every_string_column_of_new_and_changed_rows(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p")
    mid = ids(1)[0]
    receive(ledger, [mid])
    staff_before = _count(ledger, models.Staff)

    # Straight into the ORM, past every caller's check: the flush refuses it and the unit rolls back.
    def add_member_directly() -> None:
        with ledger.unit() as u:
            u.append(EventKind.SIGNED_IN)
            u.session.add(
                models.Staff(
                    name=f"X{split(TWELVE, '/')}",
                    badge="Z9",
                    employee_no="E8",
                    role="clerk",
                    pin_hash="h",
                    active=True,
                    failed_attempts=0,
                    created_at=u.at,
                )
            )

    def move_card_directly() -> None:
        with ledger.unit() as u:
            u.session.get_one(models.Card, mid).location = f"棚{split(TWELVE, '—')}"

    with pytest.raises(TextRefusal) as new:
        add_member_directly()
    assert new.value.field == "staff.name"
    assert _count(ledger, models.Staff) == staff_before
    with pytest.raises(TextRefusal) as dirty:
        move_card_directly()
    assert dirty.value.field == "cards.location"
    card = ledger.card(mid)
    assert card is not None
    assert card.location == "safe"
    with pytest.raises(TextRefusal):
        ledger.add_staff(name=f"山田 {TWELVE}", badge="C9", employee_no="E9", role=Role.CLERK, pin="1111")
    assert ledger.staff_by_badge("C9") is None
    engine.dispose()


def test_bulk_orm_inserts_and_updates_are_guarded_like_a_flush(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine)
    ledger = Ledger(engine, pepper=b"p")
    mid = ids(1)[0]
    receive(ledger, [mid])
    other = ids(1, 50)[0]

    def bulk_insert() -> None:
        with ledger.unit() as u:
            row = {"management_id": other, "kind": "mynumber_card", "status": "in_safe", "last_seq": 1}
            u.session.execute(insert(models.Card), [row | {"location": f"棚 {split(TWELVE, '.')}"}])

    def bulk_update() -> None:
        with ledger.unit() as u:
            u.session.execute(update(models.Card), [{"management_id": mid, "hold_reason": f"x{TWELVE}"}])

    with pytest.raises(TextRefusal) as inserted:
        bulk_insert()
    assert inserted.value.field == "cards.location"
    with pytest.raises(TextRefusal) as updated:
        bulk_update()
    assert updated.value.field == "cards.hold_reason"
    assert ledger.card(other) is None
    card = ledger.card(mid)
    assert card is not None
    assert card.hold_reason is None
    engine.dispose()


def test_every_column_check_names_a_real_string_column() -> None:
    columns = {(t.name, c.name) for t in models.Base.metadata.tables.values() for c in t.columns}
    assert set(COLUMN_CHECKS) <= columns
