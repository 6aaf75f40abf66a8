"""The core of 受領 and 廃棄: a short delivery is received with its difference on the chain, and the
廃棄証明書's number comes from the chain, per April-start fiscal year in the office's time zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.desk import Desk, NotAllowed
from kiosk.desk.views import DisposalError
from kiosk.domain.delivery import DeliveryCheck, DeliveryRejected, ScanOutcome, parse_delivery
from kiosk.domain.fiscal import CertificateNo
from kiosk.domain.status import CardKind, CardStatus
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from tests.conftest import Crew, FakeClock
from tests.ledger.helpers import ids
from tests.retention.test_disposal import make_eligible


def delivery(cards: list[str]) -> str:
    return "管理ID,種別\n" + "".join(f"{m},個人番号カード\n" for m in cards)


def test_a_short_delivery_is_received_with_its_difference_on_the_chain(
    ledger: Ledger, crew: Crew, desk: Desk
) -> None:
    a, b, c, d, extra = ids(5, start=300)
    lines = parse_delivery(delivery([a, b, c, d]))
    check = DeliveryCheck(lines, slip=5)
    assert [check.scan(m) for m in (a, b, extra, b, c)] == [
        ScanOutcome.LISTED,
        ScanOutcome.LISTED,
        ScanOutcome.EXTRA,
        ScanOutcome.AGAIN,
        ScanOutcome.LISTED,
    ]
    count = check.count()
    assert (count.missing, count.extra, count.duplicates, count.present) == ((d,), (extra,), (b,), (a, b, c))
    assert not count.matches

    receipt = desk.receive_delivery("B-2026-7", lines, check.scans, 5, crew.officer, crew.deputy)
    assert [card.management_id for card in receipt.cards] == [a, b, c]
    assert all(card.status is CardStatus.IN_SAFE for card in receipt.cards)
    assert ledger.card(d) is None  # never arrived: not in the safe
    assert ledger.card(extra) is None  # not on the list: set aside, not received
    event = ledger.events(limit=1)[0]
    assert event.seq == receipt.discrepancy_seq
    assert event.kind == "delivery_discrepancy"
    assert (event.actor_id, event.witness_id) == (crew.officer.id, crew.deputy.id)
    assert json.loads(event.payload) == {
        "batch": "B-2026-7",
        "slip": 5,
        "listed": 4,
        "scanned": 4,
        "received": 3,
        "missing": [d],
        "extra": [extra],
        "duplicates": [b],
    }
    assert verify(ledger).ok


def test_a_delivery_that_matches_records_no_difference(ledger: Ledger, crew: Crew, desk: Desk) -> None:
    cards = ids(3, start=320)
    lines = parse_delivery(delivery(cards))
    receipt = desk.receive_delivery("B-OK", lines, cards, 3, crew.officer, crew.clerk)
    assert receipt.discrepancy_seq is None
    assert len(receipt.cards) == 3
    assert "delivery_discrepancy" not in {e.kind for e in ledger.events()}
    # A clerk is not a responsible officer: the table refuses, and nothing is received.
    other = parse_delivery(delivery(ids(1, start=330)))
    with pytest.raises(NotAllowed) as refused:
        desk.receive_delivery("B-NO", other, [], 1, crew.clerk, crew.officer)
    assert refused.value.reason == "role"
    assert ledger.card(other[0].management_id.value) is None


def test_a_returned_notification_card_is_received_on_its_own(ledger: Ledger, crew: Crew, desk: Desk) -> None:
    (mid,) = ids(1, start=340)
    card = desk.receive_returned(mid, crew.officer, crew.clerk)
    assert (card.kind, card.status) == (CardKind.NOTIFICATION_CARD.value, CardStatus.IN_SAFE)
    assert card.batch is not None
    assert card.batch.startswith("返送-")
    # The same ID again (or any ID already in the ledger) is refused, by its code, and nothing is written.
    head = ledger.head()
    with pytest.raises(DeliveryRejected) as again:
        desk.receive_returned(mid, crew.officer, crew.clerk)
    assert [(p.code, p.line) for p in again.value.problems] == [("already_known", 1)]  # type: ignore[attr-defined]
    assert ledger.head() == head


def test_a_delivery_that_never_arrived_is_recorded_as_a_difference_only(
    ledger: Ledger, crew: Crew, desk: Desk
) -> None:
    cards = ids(2, start=350)
    receipt = desk.receive_delivery(
        "B-LOST", parse_delivery(delivery(cards)), [], 2, crew.officer, crew.clerk
    )
    assert receipt.cards == ()
    event = ledger.events(limit=1)[0]
    assert event.kind == "delivery_discrepancy"
    assert json.loads(event.payload)["missing"] == cards
    assert "batch_received" not in {e.kind for e in ledger.events()}


def test_certificates_are_numbered_per_fiscal_year_from_the_chain(
    ledger: Ledger, clock: FakeClock, crew: Crew, desk: Desk
) -> None:
    a, b, c = ids(3, start=360)
    make_eligible(ledger, clock, [a, b, c], [])
    batches = [desk.disposal_prepare(crew.officer, [m]) for m in (a, b, c)]
    # Only a supervisor approves (the officer who prepared them cannot).
    with pytest.raises(NotAllowed) as officer:
        desk.disposal_approve(batches[0].id, crew.officer)
    assert officer.value.reason == "role"
    for batch in batches:
        desk.disposal_approve(batch.id, crew.supervisor)
    safe = desk.open_safe(crew.officer, crew.clerk, desk.settings.session.opening_checklist).id
    for batch, mid in zip(batches, (a, b, c), strict=True):
        assert desk.disposal_scan(batch.id, mid, crew.officer, crew.clerk, session_id=safe).ok
    # 23:59 JST on 31 March is still 令和8年度; 00:00 JST on 1 April (15:00 UTC) is 令和9年度.
    finish_at = [
        datetime(2026, 7, 10, 1, 0, tzinfo=UTC),
        datetime(2027, 3, 31, 14, 59, tzinfo=UTC),
        datetime(2027, 3, 31, 15, 0, tzinfo=UTC),
    ]
    for batch, at in zip(batches, finish_at, strict=True):
        clock.now = at
        desk.disposal_finish(batch.id, crew.officer, crew.clerk, "裁断")
    numbers = [desk.disposal_batch(b.id).certificate for b in batches]  # type: ignore[union-attr]
    assert numbers == [CertificateNo(2026, 1), CertificateNo(2026, 2), CertificateNo(2027, 1)]
    assert [n.ja for n in numbers if n] == ["令和8年度 第1号", "令和8年度 第2号", "令和9年度 第1号"]
    # Read again (and in the list of every batch), the numbers do not move.
    assert [b.certificate for b in desk.disposal_batches()] == numbers
    assert verify(ledger).ok


def test_the_preparer_cannot_approve_and_the_refusal_is_recorded(
    ledger: Ledger, clock: FakeClock, crew: Crew, desk: Desk
) -> None:
    (a,) = ids(1, start=380)
    make_eligible(ledger, clock, [a], [])
    batch = desk.disposal_prepare(crew.supervisor)
    with pytest.raises(DisposalError) as same:
        desk.disposal_approve(batch.id, crew.supervisor)
    assert same.value.reason == "same_person"
    last = ledger.events(limit=1)[0]
    assert last.kind == "refused"
    assert json.loads(last.payload)["reason"] == "same_person"
    assert desk.disposal_batch(batch.id).state == "prepared"  # type: ignore[union-attr]


def test_delivery_files_are_offered_from_the_import_folders_only(tmp_path: Path) -> None:
    from kiosk.config import Settings
    from kiosk.desk.imports import delivery_files, read_delivery_file
    from kiosk.domain.delivery import DeliveryRejected

    imports, media, elsewhere = tmp_path / "imports", tmp_path / "media", tmp_path / "elsewhere"
    stick = media / "kiosk" / "USB"
    for folder in (imports / "2026", stick, elsewhere):
        folder.mkdir(parents=True)
    text = "management_id,kind\n" + "".join(f"{m},notification_card\n" for m in ids(2, start=390))
    (imports / "2026" / "a.csv").write_text(text, encoding="utf-8")
    (stick / "B.CSV").write_bytes(text.encode("cp932"))
    (stick / ".hidden.csv").write_text(text, encoding="utf-8")
    (elsewhere / "c.csv").write_text(text, encoding="utf-8")
    (imports / "link.csv").symlink_to(elsewhere / "c.csv")
    settings = Settings.model_validate({"paths": {"imports": [str(imports)]}})
    offered = {f.name for f in delivery_files(settings, media)}
    assert offered == {"a.csv", "B.CSV", "link.csv"}
    assert len(read_delivery_file(settings, stick / "B.CSV", media)) == 2
    # Whatever the name, a file is read only from inside an import folder (links resolved).
    for outside in (elsewhere / "c.csv", imports / "link.csv"):
        with pytest.raises(DeliveryRejected) as refused:
            read_delivery_file(settings, outside, media)
        assert refused.value.problems == ["the file is not in an import folder"]


def test_the_demo_offers_a_delivery_list_of_cards_outside_its_cabinet(tmp_path: Path) -> None:
    from kiosk.cli.app_cmds import demo_settings
    from kiosk.config import Settings, resolve_paths
    from kiosk.demo.delivery import ensure_demo_delivery
    from kiosk.demo.seed import demo_cabinet
    from kiosk.desk.imports import delivery_files, read_delivery_file

    usb = tmp_path / "usb"
    configured = resolve_paths(Settings.model_validate({"paths": {"imports": [str(usb)]}}), tmp_path)
    demo = demo_settings(configured)
    folder = demo.paths.data_dir / "imports"
    assert demo.paths.imports == [usb, folder]  # the configured folders stay, the demo's own joins them
    path = ensure_demo_delivery(folder)
    assert [f.path for f in delivery_files(demo, tmp_path / "no-media")] == [path]
    lines = read_delivery_file(demo, path, tmp_path / "no-media")
    assert len(lines) == 6
    assert not {line.management_id.value for line in lines} & set(demo_cabinet().ids())
