"""A 500-card stocktake on the simulator: barcode scans, tray photos (rendered and decoded) and RFID rounds.

The cabinet is the truth; the stocktake must find every card present and report exactly the removed ones
as missing, whichever source saw each card.
"""

from __future__ import annotations

import random

import pytest

from drivers.decode import decode, label_codes
from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import Decision, DecisionError, MissingDecision, Sighting
from kiosk.ledger.service import Ledger
from kiosk.ledger.verify import verify
from simulator.cabinet import Cabinet, VirtualCard, make_management_id
from simulator.render import render_tray
from tests import ledger_ops as st
from tests.conftest import Crew
from tests.stocktake.helpers import fill_from_cabinet

CARDS = 500
TRAY = 20


def test_mixed_source_stocktake_finds_every_card_and_exactly_the_missing_ones(
    ledger: Ledger, crew: Crew
) -> None:
    cabinet = Cabinet.generate(CARDS, seed=2017)
    fill_from_cabinet(ledger, cabinet, actor_id=crew.officer.id)
    rng = random.Random(6)
    removed = sorted(rng.sample(cabinet.ids(), 7))
    for mid in removed:
        cabinet.remove(mid)
    # A card that is physically there but was never received into the ledger.
    stranger = make_management_id(90_000)
    cabinet.add(VirtualCard(stranger, tag_epc=None, location="shelf-1"))

    view = st.start(ledger, crew.officer, crew.clerk)
    assert view.expected == CARDS
    present = cabinet.ids()
    rng.shuffle(present)
    by_barcode, by_photo, by_rfid = present[:150], present[150:250], present[250:]
    counted: set[str] = set()

    # 1. Barcode, one by one, shelf label first (location-first counting).
    shelf_of = {m: c.location for m, c in cabinet.cards.items()}
    for shelf in sorted({shelf_of[m] for m in by_barcode}):
        assert st.record_scan(ledger, view.id, f"L:{shelf}", device="gun").code is Sighting.LOCATION
        for mid in (m for m in by_barcode if shelf_of[m] == shelf):
            v = st.record_scan(ledger, view.id, mid, device="gun")
            expected = Sighting.UNKNOWN if mid == stranger else Sighting.FOUND
            assert v.code is expected, (mid, v)
            counted.add(mid)

    # 2. Tray photos: the simulator renders the tray, the camera decoder reads it.
    unread: list[str] = []
    for i in range(0, len(by_photo), TRAY):
        tray = by_photo[i : i + TRAY]
        codes = label_codes(decode(render_tray(tray, seed=i, size=(2560, 1440)), many=True))
        assert set(codes) <= set(tray)
        batch = st.record_many(ledger, view.id, codes, source=st.SOURCE_TRAY, device="webcam")
        assert batch.ids(Sighting.UNEXPECTED) == ()
        counted.update(codes)
        unread.extend(set(tray) - set(codes))
    # The decoder reads nearly every label; any it missed is scanned by hand, as staff would.
    assert len(unread) <= len(by_photo) // 10
    for mid in unread:
        st.record_scan(ledger, view.id, mid, device="gun")
        counted.add(mid)

    # 3. RFID inventory rounds: each round misses some tags; stop after 3 rounds that add nothing.
    tags = {c.tag_epc: m for m, c in cabinet.cards.items() if m in by_rfid and c.tag_epc}
    quiet = 0
    rounds = 0
    while quiet < 3:
        rounds += 1
        heard = [t for t in tags if rng.random() > 0.2]
        batch = st.record_many(ledger, view.id, tags=heard * 2, source=st.SOURCE_RFID, device="uhf")
        new = {m for k, v in batch.by_sighting.items() if k is not Sighting.DUPLICATE for m in v}
        quiet = 0 if new else quiet + 1
        counted.update(new)
        assert rounds < 50
    untagged = [m for m in by_rfid if cabinet.cards[m].tag_epc is None]
    for mid in untagged:
        st.record_scan(ledger, view.id, mid)

    result = st.reconcile(ledger, view.id)
    assert result.missing_ids == removed
    assert [line.management_id for line in result.unknown] == ([stranger] if stranger in present else [])
    assert result.unexpected == ()
    assert result.misplaced == ()
    assert result.found == CARDS - len(removed)
    assert set(result.sources) == {"barcode", "tray_photo", "rfid"}
    assert st.progress(ledger, view.id).missing == len(removed)

    # Finishing: nothing is marked missing until a person decides every card.
    with pytest.raises(DecisionError):
        st.finish(ledger, view.id, {}, crew.officer, crew.clerk)
    assert all(ledger.card(m).status is CardStatus.IN_SAFE for m in removed)  # type: ignore[union-attr]
    decisions = {m: MissingDecision(Decision.RECORD_MISSING, "棚に無し。課長へ報告済み") for m in removed}
    final = st.finish(ledger, view.id, decisions, crew.officer, crew.deputy)
    assert final.missing_ids == removed
    assert all(ledger.card(m).status is CardStatus.MISSING for m in removed)  # type: ignore[union-attr]
    assert ledger.counts()[CardStatus.IN_SAFE] == CARDS - len(removed)
    assert verify(ledger).ok
