"""Issue 25, item 1: vendor Code IDs (Zebra, Honeywell, Datalogic, Denso), 1-D and 2-D, stripped before
the My Number guard; an unknown prefix named as such; AIM advised wherever a Code ID is seen. Over the
real serial driver on the simulator's `sim://` line."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from drivers.code_id import LABEL_SYMBOLOGIES, TABLES, VENDOR_NAMES, parse_code_id
from drivers.errors import FrameError
from drivers.payload import PayloadRules, decode_payload
from drivers.scan import Scan, Symbology, utc_now
from drivers.serial_scanner import SerialScanner
from simulator.cabinet import make_management_id
from simulator.hub import SimHub
from tests.drivers.conftest import drain
from tests.drivers.test_line_diagnosis import Reader

CODES = [make_management_id(i) for i in range(11, 14)]

# Every Code ID of every table that names a label symbology (Code 128, Data Matrix, QR).
LABEL_IDS = [
    (vendor, cid.text, cid.symbology)
    for vendor, table in TABLES.items()
    for cid in table.values()
    if cid.symbology in LABEL_SYMBOLOGIES
]


def _run(hub: SimHub, rules: PayloadRules, codes: list[str]) -> list[Scan | FrameError]:
    dev = SerialScanner(hub.url("s"), rules=rules, dedup_window=0)
    dev.open()
    try:
        for c in codes:
            hub.scan("s", c)
            time.sleep(0.01)
        return [x for x in drain(dev, quiet=0.6) if isinstance(x, Scan | FrameError)]
    finally:
        dev.close()


# What each vendor's published table says for the label symbologies, written out here (not read back
# from drivers.code_id) so that a wrong row in a table fails: Zebra "Symbol Code Identifiers", Honeywell
# "Symbology Charts", Datalogic "Label ID: Pre-loaded Sets" (USA / EU) with the Magellan 800i's 2-D
# defaults, Denso "code mark" Type 1 (BHT-100 MARK$, QS20P-A). `None`: no published row was found.
PUBLISHED: dict[str, dict[Symbology, str | None]] = {
    "zebra": {Symbology.CODE128: "D", Symbology.DATAMATRIX: "P00", Symbology.QR: "P01"},
    "honeywell": {Symbology.CODE128: "j", Symbology.DATAMATRIX: "w", Symbology.QR: "s"},
    "datalogic": {Symbology.CODE128: "#", Symbology.DATAMATRIX: None, Symbology.QR: "QR"},
    "datalogic-eu": {Symbology.CODE128: "T", Symbology.DATAMATRIX: None, Symbology.QR: "QR"},
    "denso": {Symbology.CODE128: "K", Symbology.DATAMATRIX: "Z", Symbology.QR: "Q"},
}
# A prefix shaped like the vendor's Code IDs that its table does not hold (for Datalogic, the Data Matrix
# Label ID the previous table guessed; for Denso, the MaxiCode letter it had where its manuals say `X`).
UNKNOWN_PREFIX = {
    "zebra": "P07",
    "honeywell": "Q",
    "datalogic": "Dm",
    "datalogic-eu": "Dm",
    "denso": "U",
}


@pytest.mark.parametrize("vendor", list(PUBLISHED))
def test_the_vendor_table_reads_each_label_symbology_and_names_an_unknown_prefix(vendor: str) -> None:
    rules = PayloadRules(code_id=vendor)
    for symbology, prefix in PUBLISHED[vendor].items():
        if prefix is None:
            assert all(c.symbology is not symbology for c in TABLES[vendor].values()), (vendor, symbology)
            continue
        scan = decode_payload(prefix + CODES[0], rules, source="t", at=utc_now())
        assert (scan.code, scan.symbology) == (CODES[0], symbology), (vendor, prefix)
    unknown = UNKNOWN_PREFIX[vendor]
    with pytest.raises(FrameError) as err:
        decode_payload(unknown + CODES[0], rules, source="t", at=utc_now())
    assert err.value.reason == "code_id_unknown", vendor
    assert f"'{unknown}'" in err.value.detail
    assert VENDOR_NAMES[vendor] in err.value.detail
    assert CODES[0] not in err.value.detail


@pytest.mark.parametrize(
    ("vendor", "prefix", "symbology"), LABEL_IDS, ids=[f"{v}-{t}" for v, t, _ in LABEL_IDS]
)
def test_each_label_code_id_is_stripped_and_names_the_symbology(
    hub: SimHub, vendor: str, prefix: str, symbology: Symbology
) -> None:
    hub.add_serial("s", framing="cr", aim=prefix)
    got = _run(hub, PayloadRules(code_id=vendor), CODES[:2])
    assert [(x.code, x.symbology) if isinstance(x, Scan) else x.reason for x in got] == [
        (c, symbology) for c in CODES[:2]
    ]


@pytest.mark.parametrize("baudrate", [2400, 9600])
@pytest.mark.parametrize(("prefix", "symbology"), [("P00", Symbology.DATAMATRIX), ("P01", Symbology.QR)])
def test_a_zebra_2d_reader_with_code_ids_reads_labels_even_paced_byte_by_byte(
    hub: SimHub, prefix: str, symbology: Symbology, baudrate: int
) -> None:
    line = hub.add_serial("s", framing="cr", aim=prefix)
    dev = SerialScanner(hub.url("s"), rules=PayloadRules(code_id="zebra"), dedup_window=0)
    dev.open()
    try:
        line.paced(CODES[0], baudrate=baudrate)
        got = [x for x in drain(dev, quiet=0.6) if isinstance(x, Scan | FrameError)]
    finally:
        dev.close()
    assert [(x.code, x.symbology) if isinstance(x, Scan) else x.reason for x in got] == [
        (CODES[0], symbology)
    ]


def test_a_zebra_2d_code_id_without_code_id_set_is_named_not_taken_for_an_individual_number(
    hub: SimHub,
) -> None:
    hub.add_serial("s", framing="cr", aim="P01")
    got = _run(hub, PayloadRules(), CODES[:1])
    assert [getattr(x, "reason", None) for x in got] == ["code_id"]
    detail = got[0].detail  # type: ignore[union-attr]
    assert "'P01'" in detail
    assert 'code_id = "zebra"' in detail
    assert "AIM" in detail
    assert CODES[0] not in detail


def test_an_unknown_prefix_is_named_as_an_unknown_code_id_never_as_an_individual_number(hub: SimHub) -> None:
    hub.add_serial("s", framing="cr", aim="P07")  # a 2-D Code ID newer than the table
    got = _run(hub, PayloadRules(code_id="zebra"), CODES[:1])
    assert [getattr(x, "reason", None) for x in got] == ["code_id_unknown"]
    detail = got[0].detail  # type: ignore[union-attr]
    assert "'P07'" in detail
    assert "Zebra" in detail


def test_an_unknown_letter_before_a_code_for_honeywell_is_named() -> None:
    with pytest.raises(FrameError) as err:
        decode_payload("Q" + CODES[0], PayloadRules(code_id="honeywell"), source="t", at=utc_now())
    assert err.value.reason == "code_id_unknown"
    assert "'Q'" in err.value.detail
    assert "Honeywell" in err.value.detail


def test_twelve_digits_behind_a_stripped_code_id_are_still_refused() -> None:
    twelve = "4" * 6 + "7" * 6
    for vendor, prefix in (("zebra", "P01"), ("zebra", "D"), ("honeywell", "w"), ("datalogic", "QR")):
        with pytest.raises(FrameError) as err:
            decode_payload(prefix + twelve, PayloadRules(code_id=vendor), source="t", at=utc_now())
        assert err.value.reason == "mynumber_refused", vendor
        assert twelve not in str(err.value)


def test_longest_code_id_wins() -> None:
    cid, rest = parse_code_id("FF" + "1234567", "datalogic")
    assert cid is not None
    assert (cid.symbology, rest) == (Symbology.EAN8, "1234567")
    cid, rest = parse_code_id("P0G" + CODES[0], "zebra")
    assert cid is not None
    assert (cid.symbology, rest) == (Symbology.DATAMATRIX, CODES[0])


def test_a_code_id_two_vendors_share_names_both_and_sets_neither(hub: SimHub) -> None:
    # Zebra's K is GS1-128, Denso's K is Code 128: the evidence does not single a vendor out.
    hub.add_serial("s", framing="cr", aim="K")
    got = _run(hub, PayloadRules(), CODES[:1])
    detail = got[0].detail  # type: ignore[union-attr]
    assert got[0].reason == "code_id"  # type: ignore[union-attr]
    assert "Zebra" in detail
    assert "Denso" in detail
    assert 'set code_id = "' not in detail


def test_listen_with_a_code_id_advises_aim_and_reads_the_2d_label() -> None:
    # The real CLI in a subprocess, on a simulator line scanned from inside (sim: scheme in-process).
    script = f"""
import sys, threading, time
import simulator
from simulator.hub import SimHub
from kiosk.cli import main
hub = SimHub(hub_id="codeid")
hub.add_serial("s", framing="cr", aim="P00")
def scan():
    time.sleep(1.0)
    hub.scan("s", {CODES[0]!r})
threading.Thread(target=scan, daemon=True).start()
sys.argv = ["kiosk", "listen", "serial", hub.url("s"), "--code-id", "zebra", "--count", "1", "--json"]
main()
"""
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    scans = [rec for rec in lines if "code" in rec]
    assert [(s["code"], s["symbology"]) for s in scans] == [(CODES[0], "datamatrix")]
    assert "AIM" in out.stderr


def test_datalogic_sets_follow_the_vendor_tables_where_they_differ() -> None:
    """The USA and EU pre-loaded sets disagree on Interleaved 2 of 5 and GS1 DataBar (PD96 PRG Table 18)."""
    cid, rest = parse_code_id("i" + "12345678", "datalogic")
    assert cid is not None
    assert cid.symbology is Symbology.ITF
    assert rest == "12345678"
    eu, _ = parse_code_id("N" + "12345678", "datalogic-eu")
    assert eu is not None
    assert eu.symbology is Symbology.ITF
    usa_n, _ = parse_code_id("N" + "12345678", "datalogic")
    assert usa_n is None  # not a USA Label ID: never taken for ITF there
    for vendor, prefix, name in (
        ("datalogic", "RX", "GS1 DataBar Expanded"),
        ("datalogic", "RL", "GS1 DataBar Limited"),
        ("datalogic-eu", "t", "GS1 DataBar Expanded"),
        ("datalogic-eu", "v", "GS1 DataBar Limited"),
    ):
        found, _ = parse_code_id(prefix + "0101234", vendor)
        assert found is not None
        assert found.name == name


# What a 2-D reader with Zebra Code IDs may send before a good scan, and what each must be answered with.
# Twelve digits are built at run time (never a literal that could be somebody's number).
_TWELVE = "4" * 6 + "7" * 6
HOSTILE = {
    "twelve-digits-behind-the-code-id": (b"P01" + _TWELVE.encode(), "mynumber_refused"),
    "unknown-code-id": (b"P07" + CODES[1].encode(), "code_id_unknown"),
    "control-byte-after-the-code-id": (b"P01\x1d" + CODES[1].encode(), "control_bytes"),
    "no-code-id": (CODES[1].encode(), "code_id_missing"),
}


@pytest.mark.parametrize("pacing", ["2400", "9600", "burst"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_bad_frame_from_a_code_id_reader_is_its_reason_at_every_pacing_and_the_next_scan_reads(
    hub: SimHub, case: str, pacing: str
) -> None:
    raw, reason = HOSTILE[case]
    line = hub.add_serial("s", framing="cr", aim="P01")
    with Reader(SerialScanner(hub.url("s"), rules=PayloadRules(code_id="zebra"), dedup_window=0)) as reader:
        time.sleep(0.15)  # the reader is waiting, as the kiosk's device worker always is
        for data in (raw + b"\r", line.fmt.encode(CODES[2])):
            if pacing == "burst":
                line.send_raw(data)
            else:
                line.paced_raw(data, int(pacing))
            time.sleep(0.3)
        reader.wait_for(2)
        time.sleep(0.3)
    got = [x.code if isinstance(x, Scan) else x.reason for x in reader.got]
    assert got == [reason, CODES[2]]
    assert not any(_TWELVE in str(x) or _TWELVE in getattr(x, "detail", "") for x in reader.got)
