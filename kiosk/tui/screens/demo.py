"""デモ操作: simulated scans from the keyboard (demo and training mode only)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from kiosk.desk import StorageError
from kiosk.tui.safe_text import notify, visible
from kiosk.tui.screens.base import KioskModal

ACTIONS = (
    ("1", "next_pick", "本日の交付予定の次のカードをスキャン", "Scan the next booked card"),
    ("2", "card_out", "持出中のカードをスキャン（返却・交付用）", "Scan a card that is out"),
    ("3", "random_in_safe", "予定外の保管中カードをスキャン", "Scan an unbooked card in the safe"),
    ("4", "unknown", "管理簿にないIDをスキャン", "Scan an unknown ID"),
    ("5", "twelve", "12桁の数字をスキャン（拒否される）", "Scan a 12-digit value (refused)"),
    ("6", "ime", "IMEオンのキーボードスキャナー", "Wedge scanner with the IME on"),
    ("7", "cable", "スキャナーのケーブルを抜く／挿す", "Unplug / replug the scanner"),
    ("8", "garbage", "ノイズ（読めない信号）", "Line noise"),
)

# Stocktake (点検): the simulated webcam and UHF reader, and the "two cards gone" scenario.
STOCKTAKE_ACTIONS = (
    ("t", "tray", "demo.tray"),
    ("u", "rfid", "demo.rfid"),
    ("r", "remove_two", "demo.remove_two"),
)

# The safe's door and its module (simulated): open, close, force, module power off / on.
DOOR_ACTIONS = (
    ("o", "open", "demo.door_open"),
    ("s", "close", "demo.door_close"),  # "c" is a demo badge
    ("f", "force", "demo.door_force"),
    ("p", "power", "demo.safe_io_power"),
)


class DemoPadModal(KioskModal[None]):
    """Each key runs one simulated action and closes the pad, so the verdict shows at once."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "key.back"),
        *(Binding(key, f"run('{name}')", ja, show=False) for key, name, ja, _ in ACTIONS),
        *(Binding(key, f"badge({i})", "badge", show=False) for i, key in enumerate("abcde")),
        *(Binding(key, f"stocktake('{name}')", text, show=False) for key, name, text in STOCKTAKE_ACTIONS),
        *(Binding(key, f"door('{name}')", text, show=False) for key, name, text in DOOR_ACTIONS),
    ]

    def compose(self) -> ComposeResult:
        app = self.kiosk
        en = app.language == "en"
        lines = [f"[b reverse] {key} [/] {e if en else j}" for key, _, j, e in ACTIONS]
        lines += [f"[b reverse] {key} [/] {app.t(text)}" for key, _, text in STOCKTAKE_ACTIONS]
        rig = app.demo
        if rig is not None and rig.safe_io is not None:
            lines += [f"[b reverse] {key} [/] {app.t(text)}" for key, _, text in DOOR_ACTIONS]
        if rig is not None:
            lines += [""]
            pin = "PIN" if en else "暗証番号"
            lines += [
                f"[b reverse] {key} [/] {escape(visible(f'{s.badge} {s.name}'))}（{pin} {escape(s.pin)}）"
                for key, s in zip("abcde", rig.staff, strict=False)
            ]
        lines += ["", "Esc: " + app.t("key.back")]
        with Vertical(classes="dialog"):
            yield Static(app.t("demo.pad_title"), classes="dialog-title")
            yield Static("\n".join(lines))

    def action_badge(self, index: int) -> None:
        rig = self.kiosk.demo
        self.dismiss(None)
        if rig is not None and index < len(rig.staff):
            rig.scan(rig.staff[index].badge)

    def action_door(self, name: str) -> None:
        """The simulated safe: the door opened, shut or forced, or the module's power switched."""
        app = self.kiosk
        rig = app.demo
        self.dismiss(None)
        if rig is None or rig.safe_io is None:
            app.notify(app.t("demo.no_safe_io"), severity="warning")
            return
        # The simulated module answers over loopback Modbus: a blocking call, off the UI thread.
        app.submit(lambda: rig.door(name), self._door_done, read=True)

    def _door_done(self, done: str) -> None:
        if done in ("off", "on"):
            notify(self.kiosk, self.kiosk.t(f"demo.safe_io_{done}"))

    def action_stocktake(self, name: str) -> None:
        """Tray photo and RFID rounds run on the stocktake screen; "remove two" takes two cards that the
        ledger has in the safe out of the simulated cabinet, so the stocktake finds them missing."""
        from kiosk.tui.screens.stocktake import StocktakeScreen

        app = self.kiosk
        rig = app.demo
        below = app.screen_stack[-2] if len(app.screen_stack) > 1 else None
        self.dismiss(None)
        if rig is None:
            return
        if name == "remove_two":

            def remove_two() -> list[str]:
                # The simulated hand asks the ledger which cards are in the safe: on the reader thread.
                removed = []
                for _ in range(2):
                    mid = rig.random_in_safe()
                    if mid is not None:
                        rig.cabinet.remove(mid)
                        removed.append(mid)
                return removed

            def done(removed: list[str]) -> None:
                notify(
                    app, app.t("demo.removed", ids=", ".join(removed)) if removed else app.t("demo.nothing")
                )

            app.submit(remove_two, done, read=True)
            return
        if not isinstance(below, StocktakeScreen):
            app.notify(app.t("demo.only_stocktake"), severity="warning")
            return
        if name == "tray":
            below.action_tray()
        else:
            below.action_rfid()

    def action_run(self, name: str) -> None:
        app = self.kiosk
        rig = app.demo
        self.dismiss(None)
        if rig is None:
            return
        try:
            if name == "cable":
                plugged = rig.toggle_scanner_cable()
                app.notify(app.t("demo.scanner_replugged" if plugged else "demo.scanner_unplugged"))
                return
            if name == "ime":
                rig.ime_text()
                return
            if name == "garbage":
                rig.garbage()
                return
            if name == "unknown":
                self._scan(rig.unknown_id())
                return
            if name == "twelve":
                self._scan(rig.twelve_digits())
                return
        except StorageError:
            app.show_verdict("ledger_error", app.t("error.ledger"))
            return
        # Which card the simulated hand picks is a ledger query: on the reader thread.
        pickers = {"next_pick": rig.next_pick, "card_out": rig.card_out, "random_in_safe": rig.random_in_safe}
        app.submit(pickers[name], self._scan, read=True)

    def _scan(self, code: str | None) -> None:
        app = self.kiosk
        if code is None:
            app.notify(app.t("demo.nothing"), severity="warning")
            return
        if app.demo is not None:
            app.demo.scan(code)
