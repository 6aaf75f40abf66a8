"""UID normalisation, the UHF frame format and the stocktake accumulator, without any I/O."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import FrameError
from drivers.rfid import RfidStocktake, TagRead, UidFormat, merge_reads, normalise_uid, uid_scan
from drivers.rfid_uhf import (
    STATUS_DONE,
    STATUS_MORE,
    Response,
    ResponseFramer,
    build_command,
    build_response,
    crc16,
    encode_inventory,
    parse_inventory,
)
from drivers.scan import Symbology
from drivers.text import REASON_MYNUMBER
from drivers.wedge import WedgeDecoder
from simulator.rfid import HfPad

EPC_A = "E2801160600002084F4B7A11"
EPC_B = "E2801160600002084F4B7A22"


# --- UHF frames ----------------------------------------------------------------------------------


def test_inventory_command_golden_frame() -> None:
    assert build_command(0x01) == bytes.fromhex("04 FF 01 1B B4")


def test_crc_is_mcrf4xx() -> None:
    # The catalogue check value of CRC-16/MCRF4XX.
    assert crc16(b"123456789") == 0x6F91


def test_response_round_trip_both_layouts() -> None:
    for layout, rssi in (("basic", None), ("rssi", 70)):
        data = encode_inventory([(EPC_A, rssi), (EPC_B, rssi)], layout)
        framer = ResponseFramer()
        out = framer.feed(build_response(STATUS_DONE, data))
        assert out == [Response(0x00, 0x01, STATUS_DONE, data)]
        assert parse_inventory(data, layout) == [TagRead(EPC_A, 1, rssi), TagRead(EPC_B, 1, rssi)]


def test_framer_reassembles_split_and_merged_frames() -> None:
    one = build_response(STATUS_MORE, encode_inventory([(EPC_A, None)]))
    two = build_response(STATUS_DONE, encode_inventory([(EPC_B, None)]))
    framer = ResponseFramer()
    stream = one + two
    got: list[object] = []
    for i in range(0, len(stream), 5):
        got += framer.feed(stream[i : i + 5])
    assert [r.status for r in got if isinstance(r, Response)] == [STATUS_MORE, STATUS_DONE]
    assert framer.pending == 0


def test_framer_reports_crc_error_and_truncation() -> None:
    good = build_response(STATUS_DONE, encode_inventory([(EPC_A, None)]))
    bad = good[:-1] + bytes([good[-1] ^ 1])
    framer = ResponseFramer("uhf-test")
    out = framer.feed(bad + good)
    assert isinstance(out[0], FrameError)
    assert out[0].reason == "crc"
    assert isinstance(out[1], Response)
    assert framer.feed(good[:7]) == []
    assert framer.pending == 7
    err = framer.truncated()
    assert err.reason == "truncated"
    assert framer.pending == 0


def test_parse_inventory_rejects_inconsistent_data() -> None:
    data = encode_inventory([(EPC_A, None), (EPC_B, None)])
    with pytest.raises(FrameError, match="truncated"):
        parse_inventory(data[:-3])
    with pytest.raises(FrameError, match="garbage"):
        parse_inventory(data + b"\x00")
    with pytest.raises(FrameError, match="truncated"):
        parse_inventory(bytes([3, 12]) + bytes.fromhex(EPC_A))


# --- HF UIDs -------------------------------------------------------------------------------------


def test_normalise_uid_formats() -> None:
    assert normalise_uid("04a1b2c3", "hex") == "04A1B2C3"
    assert normalise_uid("04:A1:B2:C3", UidFormat.HEX) == "04A1B2C3"
    assert normalise_uid("C3B2A104", "hex-reversed") == "04A1B2C3"
    assert normalise_uid(str(0x04A1B2C3).zfill(10), "decimal") == "04A1B2C3"
    assert normalise_uid(str(0xC3B2A104), "decimal-reversed") == "04A1B2C3"
    # Full-width digits from an IME normalise first.
    assert normalise_uid("０４Ａ１Ｂ２Ｃ３", "hex") == "04A1B2C3"


def test_normalise_uid_refuses_bad_input() -> None:
    for text, fmt in (("04A1B2C", "hex"), ("XYZ", "hex"), ("04A1B2", "hex"), ("12a", "decimal"), ("", "hex")):
        with pytest.raises(FrameError):
            normalise_uid(text, fmt)


def test_normalise_uid_refuses_twelve_digits_without_echoing_them() -> None:
    value = "".join(str(i % 10) for i in range(3, 15))
    assert len(value) == 12
    with pytest.raises(FrameError) as err:
        normalise_uid(value, "decimal")
    assert err.value.reason == REASON_MYNUMBER
    assert value not in str(err.value)


@given(
    st.sampled_from([4, 7, 8, 10]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
    st.sampled_from([UidFormat.HEX, UidFormat.HEX_REVERSED]),
    st.booleans(),
)
def test_hex_pad_output_normalises_back(data: bytes, fmt: UidFormat, lowercase: bool) -> None:
    uid = data.hex().upper()
    assert normalise_uid(HfPad(fmt, lowercase=lowercase).typed(uid), fmt) == uid


@given(st.binary(min_size=4, max_size=4), st.sampled_from([UidFormat.DECIMAL, UidFormat.DECIMAL_REVERSED]))
def test_decimal_pad_output_normalises_back(data: bytes, fmt: UidFormat) -> None:
    # Decimal pads are the "10-digit" 4-byte kind: 10 digits can never be an individual number.
    uid = data.hex().upper()
    assert normalise_uid(HfPad(fmt).typed(uid), fmt) == uid


def test_hf_pad_through_the_wedge_decoder() -> None:
    decoder = WedgeDecoder("hf-pad")
    pad = HfPad(UidFormat.HEX_REVERSED)
    results = []
    for ch, t in pad.keys("04A1B2C3", start=100.0):
        results += decoder.feed(ch, t)
    scans = [r for r in results if hasattr(r, "code")]
    assert len(scans) == 1
    tag = uid_scan(scans[0], UidFormat.HEX_REVERSED)  # type: ignore[arg-type]
    assert tag.code == "04A1B2C3"
    assert tag.symbology is Symbology.RFID_UID


# --- stocktake -----------------------------------------------------------------------------------


def test_merge_reads_adds_counts_and_keeps_strongest_rssi() -> None:
    merged = merge_reads(
        [TagRead(EPC_A, 1, 50), TagRead(EPC_B), TagRead(EPC_A, 2, 61), TagRead(EPC_A, 1, None)]
    )
    assert merged == [TagRead(EPC_A, 4, 61), TagRead(EPC_B, 1, None)]


def test_stocktake_stops_after_quiet_rounds_and_tallies() -> None:
    st_ = RfidStocktake(quiet_rounds=2)
    assert st_.add_round([TagRead(EPC_A)]) == 1
    assert not st_.done
    assert st_.add_round([TagRead(EPC_A, 2, 40), TagRead(EPC_B)]) == 1
    assert st_.add_round([TagRead(EPC_A)]) == 0
    assert not st_.done
    st_.add_failed_round()  # a lost round does not count as quiet
    assert not st_.done
    assert st_.add_round([]) == 0
    assert st_.done
    assert st_.tags[EPC_A].rounds == 3
    assert st_.tags[EPC_A].reads == 4
    assert st_.tags[EPC_A].best_rssi == 40
    assert st_.tags[EPC_B].first_round == 2
    assert st_.missing({EPC_A, "FF"}) == {"FF"}
    assert st_.unexpected({EPC_A}) == {EPC_B}


def test_stocktake_max_rounds_bounds_a_flapping_field() -> None:
    st_ = RfidStocktake(quiet_rounds=3, max_rounds=5)
    for i in range(5):
        st_.add_round([TagRead(f"{i:04X}")])
    assert st_.done
    with pytest.raises(ValueError, match="quiet_rounds"):
        RfidStocktake(quiet_rounds=0)


def test_golden_frames_captured_from_a_real_reader() -> None:
    from pathlib import Path

    lines = (Path(__file__).parent / "frames" / "uhfreader288_inventory.hex").read_text().splitlines()
    frames = [line.split() for line in lines if line and not line.startswith("#")]
    assert len(frames) == 3
    framer = ResponseFramer()
    stream = b"".join(bytes.fromhex(f[0]) for f in frames)
    responses = framer.feed(stream)  # back to back, as they arrive on the wire
    assert all(isinstance(r, Response) for r in responses)
    for (_hex, epc, rssi), response in zip(frames, responses, strict=True):
        assert isinstance(response, Response)
        assert (response.command, response.status) == (0x01, STATUS_MORE)
        assert parse_inventory(response.data, "rssi") == [TagRead(epc, 1, int(rssi))]
