"""`kiosk listen` in-process over the simulator: JSON lines for scans and rejections, nothing leaked."""

from __future__ import annotations

import json
import threading

import pytest
from click.testing import CliRunner

from kiosk.cli import _register, cli
from kiosk.cli.listen import KINDS, serial_framing
from simulator.hub import SimHub


@pytest.fixture(scope="module", autouse=True)
def commands() -> None:
    _register()


def run_listen(
    hub: SimHub, args: list[str], feed: list[tuple[str, object]]
) -> tuple[list[dict[str, str]], str]:
    def play() -> None:
        for kind, value in feed:
            if kind == "scan":
                hub.scan("s", str(value))
            else:
                hub.garbage("s", value)  # type: ignore[arg-type]

    # A sim line keeps bytes until the driver reads them, so when the feed runs does not matter.
    threading.Thread(target=play).start()
    result = CliRunner().invoke(cli, ["listen", "serial", hub.url("s"), *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return lines, result.output


def test_json_lines_for_scans_and_rejections_without_the_refused_value() -> None:
    value = "".join(str((3 * i + 1) % 10) for i in range(12))
    with SimHub() as hub:
        hub.add_serial("s", framing="crlf", aim="]C0")
        lines, output = run_listen(
            hub,
            ["--count", "2", "--json"],
            [("scan", "8000000015"), ("scan", value), ("garbage", b"AT\r\n"), ("scan", "8000000028")],
        )
    assert lines[0]["code"] == "8000000015"
    assert lines[0]["symbology"] == "code128"
    assert set(lines[0]) == {"code", "symbology", "source", "at", "management_id"}
    assert lines[0]["management_id"] == "valid"
    assert [x.get("rejected") for x in lines[1:3]] == ["mynumber_refused", "modem_probe"]
    assert set(lines[1]) == {"rejected", "source", "at"}
    assert lines[3]["code"] == "8000000028"
    assert value not in output


def test_a_wrong_damm_check_digit_is_said_not_printed_as_a_good_code() -> None:
    good = "8000000015"
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)  # one digit off: Damm catches every such error
    with SimHub() as hub:
        hub.add_serial("s", framing="cr")
        lines, _ = run_listen(
            hub, ["--count", "3", "--json"], [("scan", good), ("scan", bad), ("scan", "ABC-1")]
        )
        assert [(x["code"], x["management_id"]) for x in lines] == [
            (good, "valid"),
            (bad, "check_digit_wrong"),
            ("ABC-1", "not_an_id"),
        ]
    with SimHub() as hub:
        hub.add_serial("s", framing="cr")
        hub.scan("s", bad)  # the line keeps it until the driver reads it
        result = CliRunner().invoke(cli, ["listen", "serial", hub.url("s"), "--count", "1"])
    assert result.exit_code == 0, result.output
    assert "NOT a management ID: the Damm check digit is wrong" in result.output


def test_symbology_allow_list_from_the_command_line() -> None:
    with SimHub() as hub:
        hub.add_serial("s", framing="cr", aim="]E0")
        lines, _ = run_listen(
            hub,
            ["--count", "1", "--json", "--symbology", "code128", "--terminator", "cr"],
            [("scan", "8000000015"), ("garbage", b"]C08000000028\r")],
        )
    assert [x.get("rejected") for x in lines] == ["symbology_not_allowed", None]
    assert lines[1]["code"] == "8000000028"


def test_framing_options() -> None:
    assert serial_framing("auto", None) == "auto"
    assert serial_framing("line", None) == "crlf"
    assert serial_framing("auto", "tab") == "tab"
    assert serial_framing("stx-etx", None) == "stx-etx"
    assert {"serial", "evdev"} <= set(KINDS)


def test_unknown_kind_is_a_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["listen", "camera9", "x"])
    assert result.exit_code == 2
    assert "unknown device kind" in result.output


def test_wedge_self_test_on_a_terminal() -> None:
    """A wedge scanner typing into a real terminal (a pty): burst in, one scan out; typing is not."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    master, slave = os.openpty()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "kiosk"), "listen", "wedge", "-", "--count", "1", "--json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(slave)
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == "kiosk: terminal: online"
        os.write(master, "８０００００００１５\r".encode())  # full-width: an IME in full-width mode
        out, err = proc.communicate(timeout=20)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    record = json.loads(out.splitlines()[-1])
    assert record["code"] == "8000000015"
    assert record["symbology"] == "keyboard"
