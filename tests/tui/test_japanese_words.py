"""Issue 21 item 8: no raw code, English word or key name on any Japanese screen or page.

Every screen and dialog of the kiosk is found generically (each `KioskScreen` and `KioskModal` subclass
in `kiosk.tui.screens`, so a screen added later is covered without touching this test), shown in
Japanese over a ledger with a day's work on it (take-outs, an override, refusals, an alarm), and its
rendered text is searched for ASCII words. The supervisor's page is rendered the same way. A word is
allowed only when it is an ID (digits), a key cap, a unit or one of the short list of names below.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.testclient import TestClient
from textual.screen import Screen

import kiosk.tui.screens
from kiosk.desk import Desk
from kiosk.desk.views import ResultLine, StocktakeResult, StocktakeView
from kiosk.domain.stocktake import MissingDecision
from kiosk.supervise.app import ViewSettings, create_app
from kiosk.tui.app import KioskApp
from kiosk.tui.screens.base import KioskModal, KioskScreen
from kiosk.tui.screens.session import SessionScreen
from tests.conftest import PINS
from tests.tui.conftest import BOOKED, CARDS, SCANNER, Office, open_safe, verdict, wait_for

# Key caps as printed on the keyboard, names of things staff know by these letters, and units.
ALLOWED = frozenset(
    {
        "Esc",
        "Enter",
        "Tab",
        "PgDn",
        "PgUp",
        "Home",
        "End",
        "Del",
        "Ctrl",
        "NumLock",
        "ID",
        "IME",
        "RFID",
        "UHF",
        "CSV",
        "PDF",
        "QR",
        "OK",
        "USB",
        "csv",  # a file name's extension (the delivery list 納品一覧_デモ.csv)
        "English",  # the language switch names the language in its own words
    }
)
# Identifiers, not words: a badge code (A001, C002) and a hash shown in part (the chain's head).
IDENT = re.compile(r"^(?:[A-Z]{1,3}\d{2,}|(?=[0-9a-f]*\d)[0-9a-f]{8,})$")
KEY_CAP = re.compile(r"^F\d{1,2}$")  # (a single letter is a key cap too: M, S, F on the dialogs)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
PATH = re.compile(r"(?:\.{0,2}/[\w.\-/]+)")  # a file path the screen reports (where a report went)

# The base classes: frames other screens fill in, never shown as they are.
BASES = {"KioskScreen", "KioskModal", "ScanningScreen", "EventTableScreen"}

Factory = Callable[[KioskApp, "Sample"], Screen[Any]]


class Sample:
    """What a screen that takes arguments is shown with: values from the ledger of the test."""

    def __init__(self, office: Office, stocktake: StocktakeView) -> None:
        self.office = office
        self.stocktake = stocktake
        line = ResultLine(CARDS[-1], "safe", None, None, 0, None)
        self.result = StocktakeResult(stocktake.id, 10, 9, (line,), (), (), (), (), {"barcode": 9}, 9)


# Screens whose constructor needs arguments. A screen added later with required arguments fails the test
# with its name until a line is added here: every screen is covered, none silently skipped.
SAMPLES: dict[str, Factory] = {
    "ChecklistModal": lambda app, s: _checklist(app),
    "EntryModal": lambda app, s: _entry(app),
    "CloseBlockedModal": lambda app, s: _close_blocked(),
    "OverrideReasonModal": lambda app, s: _override(app),
    "StocktakeScreen": lambda app, s: _stocktake(s),
    "DecideMissingModal": lambda app, s: _decide(s),
    "StocktakeDoneModal": lambda app, s: _done(app, s),
    "ChooseModal": lambda app, s: _choose(app),
    "ConfirmModal": lambda app, s: _confirm(app),
    "FormModal": lambda app, s: _form(app),
    "TypedEntryModal": lambda app, s: _typed(app),
    "PeriodModal": lambda app, s: _period(),
    "StocktakePickModal": lambda app, s: _stocktake_pick(s),
}


def _choose(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.choose import ChooseModal

    return ChooseModal(app.t("office.job.receipt"), app.t("office.hint"), [("納品一覧_デモ.csv", 1)])


def _confirm(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.forms import ConfirmModal

    return ConfirmModal(app.t("office.job.receipt"), app.t("office.hint"))


def _form(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.forms import FormField, FormModal

    return FormModal(
        app.t("office.job.staff"), [FormField("name", "氏名"), FormField("badge", "バッジ", scans=True)]
    )


def _typed(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.forms import TypedEntryModal

    return TypedEntryModal(app.t("key.manual"), app.t("entry.id"), digits=True)


def _period() -> Screen[Any]:
    from kiosk.tui.screens.papers import PeriodModal

    return PeriodModal("papers.ledger_book")


def _stocktake_pick(s: Sample) -> Screen[Any]:
    from kiosk.desk.registers import StocktakeLine
    from kiosk.tui.screens.papers import StocktakePickModal

    return StocktakePickModal((StocktakeLine(s.stocktake.id, s.stocktake.started_at, None),))


def _checklist(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.dialogs import ChecklistModal

    return ChecklistModal(
        "check.open_title", app.settings.session.opening_checklist, ("保管 正子", "窓口 一郎")
    )


def _entry(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.dialogs import EntryModal

    return EntryModal(app.t("key.manual"), app.t("entry.id"), digits=True)


def _close_blocked() -> Screen[Any]:
    from kiosk.tui.screens.dialogs import CloseBlockedModal

    return CloseBlockedModal(CARDS[:2])


def _override(app: KioskApp) -> Screen[Any]:
    from kiosk.tui.screens.dialogs import OverrideReasonModal

    return OverrideReasonModal(app.settings.session.override_reasons, CARDS[-1])


def _stocktake(s: Sample) -> Screen[Any]:
    from kiosk.tui.screens.stocktake import StocktakeScreen

    return StocktakeScreen(s.stocktake)


def _decide(s: Sample) -> Screen[Any]:
    from kiosk.tui.screens.stocktake import DecideMissingModal

    return DecideMissingModal(s.result.missing)


def _done(app: KioskApp, s: Sample) -> Screen[Any]:
    from kiosk.tui.screens.stocktake import StocktakeDoneModal

    officer = app.desk.person_by_badge("O001")
    clerk = app.desk.person_by_badge("C001")
    assert officer is not None
    assert clerk is not None
    decisions: dict[str, MissingDecision] = {}
    return StocktakeDoneModal(s.stocktake, s.result, decisions, ["/r/1.pdf"], (officer, clerk))


def screen_classes() -> list[type[Screen[Any]]]:
    """Every screen and dialog class of the kiosk (all modules of kiosk.tui.screens imported)."""
    for info in pkgutil.iter_modules(kiosk.tui.screens.__path__):
        importlib.import_module(f"kiosk.tui.screens.{info.name}")
    found: dict[str, type[Screen[Any]]] = {}
    todo: list[type[Any]] = [KioskScreen, KioskModal]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("kiosk.tui.screens") and sub.__name__ not in BASES:
                found[sub.__name__] = sub
    return [found[name] for name in sorted(found)]


def build(cls: type[Screen[Any]], app: KioskApp, sample: Sample) -> Screen[Any]:
    factory = SAMPLES.get(cls.__name__)
    if factory is not None:
        return factory(app, sample)
    required = [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    assert not required, f"{cls.__name__} needs arguments: add a sample for it to SAMPLES in this test"
    return cls()


def rendered(app: KioskApp) -> str:
    """The text the terminal shows for the top screen (a dialog with the screen behind it)."""
    lines: list[str] = []
    for screen in app.screen_stack[1:]:
        lines += [strip.text for strip in screen._compositor.render_strips()]
    return "\n".join(lines)


def foreign_words(text: str, names: set[str]) -> set[str]:
    text = PATH.sub(" ", text)
    return {
        w
        for w in WORD.findall(text)
        if w not in ALLOWED and w not in names and not KEY_CAP.match(w) and not IDENT.match(w) and len(w) > 1
    }


async def _settle(pilot: Any, app: KioskApp) -> None:
    # Every screen reads on the reader thread: wait until nothing says 読み込み中 any more.
    await wait_for(pilot, lambda: "読み込み中" not in rendered(app))


async def test_no_ascii_word_on_any_japanese_screen_or_dialog(office: Office) -> None:
    app = office.make()
    # The configured device and kiosk names (kiosk-test reads as two words).
    names = {w for name in (*app.links, office.ledger.kiosk) for w in WORD.findall(name)}
    found: dict[str, set[str]] = {}
    classes = screen_classes()
    # Screens added by others are found too; these are the ones known when the test was written.
    assert {"SessionScreen", "LedgerScreen", "HistoryScreen", "SignInModal", "OverrideReasonModal"} <= {
        c.__name__ for c in classes
    }
    async with app.run_test(size=(120, 40)) as pilot:
        await open_safe(pilot, office)
        # A day's work on the ledger: a take-out, an override with its reason, refusals, an alarm.
        desk: Desk = app.desk
        session = app.session
        assert session is not None
        office.scan(BOOKED[0])
        await wait_for(pilot, lambda: verdict(app).code == "taken_out")
        office.scan(CARDS[-1][:-1] + str((int(CARDS[-1][-1]) + 1) % 10))  # a wrong check digit
        await wait_for(pilot, lambda: verdict(app).code == "refused_input")
        await pilot.press("f4")
        office.scan(BOOKED[1])  # still in the safe: "take it out first"
        await wait_for(pilot, lambda: verdict(app).code == "wrong_status")
        found_text = rendered(app)
        assert "先に持出してください" in found_text
        await pilot.press("f2")
        supervisor = desk.person_by_badge("S001")
        officer = desk.person_by_badge("O001")
        clerk = desk.person_by_badge("C001")
        assert supervisor is not None
        assert officer is not None
        assert clerk is not None
        from kiosk.domain.management_id import ManagementId
        from kiosk.domain.safe_session import Override, ScanMode

        taken = desk.scan(
            session.id,
            ManagementId.parse(CARDS[-1]),
            ScanMode.TAKE_OUT,
            officer,
            override=Override(supervisor, "郵送"),
        )
        assert taken.ok
        desk.scan(session.id, ManagementId.parse(BOOKED[0]), ScanMode.HAND_OVER, officer, witness=clerk)
        desk.scan(session.id, ManagementId.parse(BOOKED[0]), ScanMode.PUT_BACK, officer)  # the alarm
        stocktake = StocktakeView(
            99, office.ledger.kiosk, datetime(2026, 4, 1, tzinfo=UTC), 1, 3, None, "open", 10
        )
        sample = Sample(office, stocktake)
        office.hub.unplug(SCANNER)  # the status bar says why a device is offline
        await wait_for(pilot, lambda: "切断" in rendered(app))
        for cls in classes:
            if cls.__name__ == "StocktakeScreen":
                continue  # shown over a real stocktake below
            screen = build(cls, app, sample)
            await app.push_screen(screen)
            await wait_for(pilot, lambda screen=screen: app.screen is screen)  # type: ignore[misc]
            if cls.__name__ == "HistoryScreen":
                screen.show_card(CARDS[-1])  # type: ignore[attr-defined]
            await _settle(pilot, app)
            if cls.__name__ == "LedgerScreen":
                # The book in words: the override marked with its reason, a refusal with its reason.
                await wait_for(pilot, lambda: "持出（予定外・郵送" in rendered(app))
                assert "拒否（チェックディジット不一致）" in rendered(app)
                assert "交付済カードの検知（警報）" in rendered(app)
            words = foreign_words(rendered(app), names)
            if words:
                found[cls.__name__] = words
            app.pop_screen()
            await wait_for(pilot, lambda: isinstance(app.screen, SessionScreen))
        words = foreign_words(rendered(app), names)
        if words:
            found["SessionScreen (with its lists)"] = words
    assert not found, f"ASCII words on Japanese screens: {found}"


def test_no_ascii_word_on_the_supervisors_page(office: Office) -> None:
    from kiosk.config import Settings

    desk = Desk(office.ledger, Settings())
    officer = desk.person_by_badge("O001")
    clerk = desk.person_by_badge("C001")
    supervisor = desk.person_by_badge("S001")
    assert officer is not None
    assert clerk is not None
    assert supervisor is not None
    from kiosk.domain.management_id import ManagementId
    from kiosk.domain.safe_session import Override, ScanMode

    session = desk.open_safe(officer, clerk, desk.settings.session.opening_checklist)
    desk.scan(session.id, ManagementId.parse(BOOKED[0]), ScanMode.TAKE_OUT, officer)
    desk.scan(
        session.id,
        ManagementId.parse(CARDS[-1]),
        ScanMode.TAKE_OUT,
        officer,
        override=Override(supervisor, "郵送"),
    )
    desk.scan(session.id, ManagementId.parse(BOOKED[0]), ScanMode.HAND_OVER, officer, witness=clerk)
    desk.scan(session.id, ManagementId.parse(BOOKED[0]), ScanMode.PUT_BACK, officer)  # the alarm
    desk.record_refusal("no_terminator", attempted="take_out", device="kiosk-test")
    desk.record_device(SCANNER, online=False, reason="device gone")
    view = ViewSettings(max_open_minutes=30, poll_seconds=0.1, refresh_seconds=0.5)
    client = TestClient(create_app(desk, view, clock=office.clock, random_key=True))
    signin = client.get("/signin").text
    token = re.search(r'name="csrf" value="([^"]+)"', signin)
    assert token is not None
    refused = client.post(
        "/signin",
        content=f"badge=C001&pin={PINS['C001']}&csrf={token.group(1)}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert refused.status_code == 403  # a clerk's badge: refused by its role before any PIN is counted
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/signin").text)
    assert token is not None
    r = client.post(
        "/signin",
        content=f"badge=S001&pin={PINS['S001']}&csrf={token.group(1)}",
        headers={"content-type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get("/").text
    assert "交付済カードの検知" in page
    assert "予定外（郵送）" in page
    # The refused reasons are counted in words (a driver's reason code among them).
    assert "読み取りの終わりがない" in page
    assert "no_terminator" not in _page_text(page)  # (only in an attribute, for scripts)
    names = {w for name in (office.ledger.kiosk, SCANNER) for w in WORD.findall(name)}
    found = {}
    for name, html in (("signin", signin), ("page", page)):
        words = foreign_words(_page_text(html), names)
        if words:
            found[name] = words
    assert not found, f"ASCII words on the supervisor's Japanese page: {found}"


def _page_text(html: str) -> str:
    """The text a person reads on a page: no tags, scripts, styles or attribute values."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    # The chain head's hash is an identifier, like a management ID.
    html = re.sub(r'<p class="head" id="head">.*?</p>', " ", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    html = re.sub(r"&[a-z]+;|&#\d+;", " ", html)
    return html
