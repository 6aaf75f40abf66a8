"""Issue 11, "Done when": every text path refuses 12 digits in any spelling, and no file keeps them.

Values: 12 digits in ASCII, full-width and Arabic-Indic digits, bare or split by each separator the issue
names (. / _ U+2212 − — U+200B, space, dash), alone or inside a sentence. Paths: the CLI options in
`CLI_CASES` (one table: update it when the CLI gains --operator/--witness), the CSV fields of a delivery
file, config values (file and environment), scans (serial, wedge, evdev, camera and typed entry through
the simulator). Afterwards no file under the data directory (ledger, its -wal/-shm, logs, reports) holds the
digits, searched in ASCII, UTF-16-LE/BE and full-width. Values are built at run time, never literals.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import _register, cli
from kiosk.config import ConfigError, load_settings
from kiosk.domain.card_state import CardState
from kiosk.domain.delivery import DeliveryRejected, parse_delivery
from kiosk.ledger.service import Ledger
from tests.reliability.helpers import json_lines, kiosk

# -- the values ---------------------------------------------------------------------------------------

DIGITS = "".join(str((7 * i + 5) % 10) for i in range(12))  # run time, never a literal
ZEROS = {"ascii": "0", "full-width": "０", "arabic-indic": "\u0660"}
SEPARATORS = {
    "none": "",
    "dot": ".",
    "slash": "/",
    "underscore": "_",
    "minus-sign": "\u2212",
    "em-dash": "—",
    "zero-width-space": "\u200b",
    "space": " ",
    "dash": "-",
}


def spelled(script: str, sep: str) -> str:
    zero = ord(ZEROS[script])
    digits = "".join(chr(zero + int(d)) for d in DIGITS)
    return SEPARATORS[sep].join((digits[:4], digits[4:8], digits[8:]))


SPELLINGS = [(script, sep) for script in ZEROS for sep in SEPARATORS]
values = st.builds(
    lambda spelling, around: around.format(spelled(*spelling)),
    st.sampled_from(SPELLINGS),
    st.sampled_from(["{}", "棚 {} 番", "see {} please"]),
)


def needles() -> list[bytes]:
    """Every byte form of the digits that would be a leak."""
    forms = {spelled(script, sep) for script, sep in SPELLINGS}
    forms |= {DIGITS, spelled("full-width", "none"), spelled("arabic-indic", "none")}
    out = set()
    for form in forms:
        for codec in ("utf-8", "utf-16-le", "utf-16-be"):
            out.add(form.encode(codec))
        # JSON with ensure_ascii escapes non-ASCII digits as \uXXXX.
        out.add(form.encode("ascii", "backslashreplace").replace(b"\\x", b"\\u00"))
    return sorted(out)


NEEDLES = needles()


def leaks(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {n[:12]!r}…" for n in NEEDLES if n in data]
    return found


# -- the CLI table -------------------------------------------------------------------------------------
# `{v}` is the value under test, `{mid}` a card in the safe, `{batch}` the approved disposal batch with
# its cards scanned, `{new}` a CSV delivery file of new cards. `stdin` holds the PINs (one a line).
# `field` is a word the refusal must name. `reported`: the command completes but reports the input as
# refused by reason code (a batch of RFID tags reports each refused tag, it does not fail the batch).


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...]
    stdin: str
    field: str
    reported: bool = False


# The people of each command and their PINs (stdin, in option order): update here when the CLI changes.
ADMIN = ("--operator", "A001", "--witness", "O001")  # an administrator and a second person
ADMIN_PINS = "9999\n1111\n"
OFFICER = ("--operator", "O001")
OFFICER_PIN = "1111\n"
PAIR = ("--operator", "O001", "--witness", "C001")
PAIR_PINS = "1111\n3333\n"
OFFICERS = ("--operator", "O001", "--witness", "O002")
OFFICERS_PINS = "1111\n2222\n"
NEW = "4321\n"  # a new member's PIN
CLI_CASES: tuple[Case, ...] = (
    Case("staff add --name", ("staff", "add", "--name", "{v}", "--badge", "Z9", "--employee-no", "E9",
                              "--role", "clerk", *ADMIN), ADMIN_PINS + NEW, "name"),
    Case("staff add --badge", ("staff", "add", "--name", "X", "--badge", "{v}", "--employee-no", "E9",
                               "--role", "clerk", *ADMIN), ADMIN_PINS + NEW, "badge"),
    Case("staff add --employee-no", ("staff", "add", "--name", "X", "--badge", "Z9", "--employee-no", "{v}",
                                     "--role", "clerk", *ADMIN), ADMIN_PINS + NEW, "employee"),
    Case("cards hold --reason", ("cards", "hold", "{mid}", "--reason", "{v}", *OFFICER), OFFICER_PIN,
         "reason"),
    Case("cards receive --location", ("cards", "receive", "--batch", "B-9", "--expect", "1",
                                      "--location", "{v}", *PAIR, "{new}"), PAIR_PINS, "location"),
    Case("cards receive --batch", ("cards", "receive", "--batch", "{v}", "--expect", "1", *PAIR, "{new}"),
         PAIR_PINS, "batch"),
    Case("cards receive CSV management_id", ("cards", "receive", "--batch", "B-9", "--expect", "1", *PAIR,
                                             "{csv_id}"), PAIR_PINS, "line 2"),
    Case("cards receive CSV kind", ("cards", "receive", "--batch", "B-9", "--expect", "1", *PAIR,
                                    "{csv_kind}"), PAIR_PINS, "line 2"),
    Case("cards show", ("cards", "show", "{v}"), "", "individual number"),
    Case("disposal finish --method", ("disposal", "finish", "{batch}", "--method", "{v}", *OFFICERS),
         OFFICERS_PINS, "method"),
    Case("stocktake scan --location", ("stocktake", "scan", "{mid}", "--location", "{v}", *OFFICER),
         OFFICER_PIN, "location"),
    Case("stocktake scan --source", ("stocktake", "scan", "{mid}", "--source", "{v}", *OFFICER),
         OFFICER_PIN, "source"),
    Case("stocktake scan --device", ("stocktake", "scan", "{mid}", "--device", "{v}", *OFFICER),
         OFFICER_PIN, "device"),
    Case("stocktake scan CODE", ("stocktake", "scan", "{v}", *OFFICER), OFFICER_PIN, "mynumber_refused",
         reported=True),
    Case("stocktake scan --tags", ("stocktake", "scan", "--tags", "{v}", *OFFICER), OFFICER_PIN, "tag"),
    # Integer and choice arguments: Click would echo a bad value back; it says which argument instead.
    Case("disposal show BATCH_ID", ("disposal", "show", "{v}"), "", "BATCH_ID"),
    Case("stocktake status --id", ("stocktake", "status", "--id", "{v}"), "", "--id"),
    Case("cards receive --expect", ("cards", "receive", "--batch", "B-9", "--expect", "{v}", *PAIR, "{new}"),
         PAIR_PINS, "--expect"),
    Case("staff add --role", ("staff", "add", "--name", "X", "--badge", "Z9", "--employee-no", "E9",
                              "--role", "{v}", *ADMIN), ADMIN_PINS + NEW, "--role"),
    Case("stocktake finish --missing", ("stocktake", "finish", *PAIR, "--missing", "{mid}={v}"), PAIR_PINS,
         "note"),
)  # fmt: skip


# -- the data directory ----------------------------------------------------------------------------------


@dataclass
class Office:
    root: Path
    env: dict[str, str | None]
    mid: str  # a card in the safe, not yet counted in the open stocktake
    batch: str  # an approved disposal batch, scanned, ready to finish
    new: Path  # a delivery file of one new card (outside the data directory: it holds no value)
    new_id: str  # the new card's management ID


def run(office: Office, args: tuple[str, ...], stdin: str = "") -> Result:
    runner = CliRunner()
    handlers = list(logging.getLogger().handlers)
    try:
        return runner.invoke(cli, list(args), input=stdin, env=office.env, catch_exceptions=True)
    finally:
        root = logging.getLogger()
        for handler in root.handlers[len(handlers) :]:
            root.removeHandler(handler)
            handler.close()


def filled(office: Office, case: Case, value: str) -> tuple[str, ...]:
    # Delivery files holding the value, outside the data directory (they are the input, not a leak).
    csv_id, csv_kind = office.new.with_name("id.csv"), office.new.with_name("kind.csv")
    csv_id.write_text(f"management_id,kind\n{value},mynumber_card\n", encoding="utf-8")
    csv_kind.write_text(f"management_id,kind\n{office.new_id},{value}\n", encoding="utf-8")
    names = {
        "v": value,
        "mid": office.mid,
        "batch": office.batch,
        "new": str(office.new),
        "csv_id": str(csv_id),
        "csv_kind": str(csv_kind),
    }
    return tuple(a.format(**names) for a in case.args)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    """The demo office, a disposal batch ready to finish and a stocktake with one card left to count."""
    from kiosk.demo.seed import seed_demo
    from kiosk.ledger.service import open_ledger
    from tests.ledger.helpers import ids
    from tests.ledger_ops import record_many, start

    _register()
    base = tmp_path_factory.mktemp("guard")
    root = base / "var"
    env = {
        "KIOSK_DB_URL": f"sqlite:///{root / 'ledger.sqlite3'}",
        "KIOSK_PATHS__PEPPER": str(root / "pepper"),
        "KIOSK_PATHS__LOGS": str(root / "log"),
        "KIOSK_PATHS__DATA_DIR": str(root),
        "KIOSK_CONFIG_FILE": str(base / "none.toml"),
    }
    (base / "none.toml").write_text("# defaults only\n", encoding="utf-8")
    new, new_id = base / "new.csv", ids(1, 900, "6")[0]
    new.write_text(f"management_id,kind\n{new_id},mynumber_card\n", encoding="utf-8")
    saved = {k: os.environ.get(k) for k in [*env, "KIOSK_PEPPER"]}
    os.environ.update(env)
    os.environ.pop("KIOSK_PEPPER", None)
    try:
        ledger = open_ledger(load_settings(), create=True)
        seed_demo(ledger)
        batch = _disposal_ready(ledger)
        cards = _cards(ledger)
        mid = next(c.management_id for c in cards if c.status.value == "in_safe")
        o1, c1 = ledger.staff_by_badge("O001"), ledger.staff_by_badge("C001")
        assert o1 is not None
        assert c1 is not None
        view = start(ledger, o1, c1)
        # Every other card counted: `mid` is the one missing card (a refused scan of it rolls back).
        others = [c.management_id for c in cards if c.management_id != mid]
        record_many(ledger, view.id, others, source="barcode", device="cli")
        ledger.engine.dispose()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    # CliRunner's env: None unsets a variable (the pepper comes from the file under the data directory).
    return Office(root, {**env, "KIOSK_PEPPER": None}, mid, batch, new, new_id)


def _cards(ledger: Ledger) -> list[CardState]:
    from sqlalchemy import select

    from kiosk.ledger import models
    from kiosk.ledger.service import to_card_state

    with ledger.read() as s:
        return [to_card_state(r) for r in s.scalars(select(models.Card).order_by(models.Card.management_id))]


def _disposal_ready(ledger: Ledger) -> str:
    """An approved batch of one eligible card, scanned out of the safe by two people: ready to finish."""
    from kiosk.domain.retention import RetentionPolicy
    from kiosk.ledger.service import today
    from tests.ledger_ops import (
        approve_disposal,
        close_session,
        due_lists,
        open_session,
        prepare_disposal,
        scan_into_disposal,
    )

    policy = RetentionPolicy.from_settings(load_settings().retention)
    eligible = [c.management_id for c in due_lists(ledger, policy, today(ledger.clock)).eligible[:1]]
    o1, o2, s1 = (ledger.staff_by_badge(b) for b in ("O001", "O002", "S001"))
    assert o1 is not None
    assert o2 is not None
    assert s1 is not None
    batch = prepare_disposal(ledger, policy, o1, eligible)
    approve_disposal(ledger, batch.id, s1)
    safe = open_session(ledger, o1, o2, required=[], confirmed=[]).id
    for mid in eligible:
        verdict = scan_into_disposal(
            ledger, policy, batch.id, mid, o1, o2, session_id=safe, device="cli", source="keyboard"
        )
        assert verdict.ok, verdict
    close_session(ledger, safe, o1, o2, required=[], confirmed=[])
    return str(batch.id)


# -- the tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda c: c.name)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=values)
def test_every_cli_text_option_refuses_the_digits_and_names_the_field(
    office: Office, case: Case, value: str
) -> None:
    result = run(office, filled(office, case, value), case.stdin)
    out = result.stdout + result.stderr
    # Never a traceback: a refusal is a one-line reason and an exit code.
    assert result.exception is None or isinstance(result.exception, SystemExit), out
    if case.reported:
        assert "mynumber_refused" in out, out
    else:
        assert result.exit_code != 0, out
        assert case.field in out, out
    assert not any(n in out.encode("utf-8") for n in NEEDLES), out
    assert leaks(office.root) == []


@pytest.mark.parametrize("offset", [0, 5])
def test_every_spelling_goes_through_the_cli_and_leaves_no_trace(office: Office, offset: int) -> None:
    # The sweep the random examples above sample from: each spelling once, the options in turn.
    for i, (script, sep) in enumerate(SPELLINGS):
        case = CLI_CASES[(i + offset) % len(CLI_CASES)]
        result = run(office, filled(office, case, spelled(script, sep)), case.stdin)
        out = result.stdout + result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit), (case.name, out)
        assert ("mynumber_refused" if case.reported else case.field) in out, (case.name, out)
    # What the kiosk prints and exports afterwards is searched too.
    reports = office.root / "reports"
    reports.mkdir(exist_ok=True)
    for args in (
        ("ledger", "export", "-o", str(reports / f"ledger-{offset}.csv")),
        (
            "report",
            "ledger",
            "--from",
            "2020-01-01",
            "--to",
            "2099-12-31",
            "-o",
            str(reports / f"l-{offset}.csv"),
        ),
        ("report", "daily", "--preview", "-o", str(reports / f"daily-{offset}.csv")),
    ):
        result = run(office, args)
        assert result.exit_code == 0, result.output
    assert leaks(office.root) == []


@given(value=values, column=st.sampled_from(["management_id", "kind"]))
def test_delivery_csv_fields_refuse_the_digits_without_repeating_them(value: str, column: str) -> None:
    row = {"management_id": "8000000015", "kind": "mynumber_card"} | {column: value}
    with pytest.raises(DeliveryRejected) as exc:
        parse_delivery(f"management_id,kind\n{row['management_id']},{row['kind']}\n")
    text = (str(exc.value) + "\n".join(exc.value.problems)).encode()
    assert not any(n in text for n in NEEDLES)


@pytest.mark.parametrize(("script", "sep"), SPELLINGS)
def test_config_values_refuse_the_digits_by_key_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, sep: str
) -> None:
    value = spelled(script, sep)
    cfg = tmp_path / "kiosk.toml"
    for toml, key in (
        (f'[reports]\noffice_name = "{value}市役所"\n', "reports.office_name"),
        (f'[session]\nopening_checklist = ["ok", "x{value}"]\n', "session.opening_checklist[1]"),
        (f'[[devices]]\nname = "s"\ndriver = "serial"\noptions = {{ port = "/dev/{value}" }}\n',
         "devices[0].options.port"),
    ):  # fmt: skip
        cfg.write_text(toml, encoding="utf-8")
        with pytest.raises(ConfigError) as from_file:
            load_settings(cfg)
        assert key in str(from_file.value)
        assert not any(n in str(from_file.value).encode() for n in NEEDLES)
    cfg.unlink()
    monkeypatch.setenv("KIOSK_KIOSK__NAME", f"kiosk {value}")
    with pytest.raises(ConfigError) as from_env:
        load_settings(None)
    assert "kiosk.name" in str(from_env.value)
    assert not any(n in str(from_env.value).encode() for n in NEEDLES)


def test_scans_of_every_spelling_are_refused_by_every_simulated_device(tmp_path: Path) -> None:
    def step(action: str, **fields: str) -> str:
        # JSON strings are TOML basic strings (\uXXXX escapes included).
        lines = "".join(f"{k} = {json.dumps(v)}\n" for k, v in fields.items())
        return f'[[steps]]\naction = "{action}"\n{lines}'

    text = 'name = "guard-spellings"\ncabinet = { size = 8, seed = 1 }\n'
    for name, kind in (("serial", "serial"), ("wedge", "keyboard"), ("evdev", "evdev")):
        text += f'[[devices]]\nname = "{name}"\nkind = "{kind}"\n'
    text += step("open_session", operator="O001", witness="C001")
    ascii_only = [spelled("ascii", sep) for sep in SEPARATORS if spelled("ascii", sep).isascii()]
    for device in ("serial", "wedge", "evdev"):
        for value in ascii_only:
            text += step("scan", device=device, code=value, verdict="rejected:mynumber_refused")
    for script, sep in SPELLINGS:
        text += step("enter", text=spelled(script, sep), verdict="refused_input:mynumber_refused")
    text += step("close_session", operator="O002", witness="C001", verdict="session_closed")
    scenario = tmp_path / "spellings.toml"
    scenario.write_text(text, encoding="utf-8")
    result = kiosk(tmp_path, "sim", "run", str(scenario), "--json")
    scenario.unlink()  # the scenario itself holds the values, on purpose
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    verdicts, summary = json_lines(result.stdout)
    assert summary["ok"] is True
    assert len([v for v in verdicts if v["detail"] == "mynumber_refused"]) == 3 * len(ascii_only) + len(
        SPELLINGS
    )
    assert not any(n in (result.stdout + result.stderr).encode() for n in NEEDLES)
    assert leaks(tmp_path) == []
