"""Reusable widgets: the banners and status bar every screen shows, the verdict panel, the key bar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import Static

from drivers.contract import DeviceStatus
from kiosk.texts import device_reason_text, look
from kiosk.tui.safe_text import plain, visible

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """Everything the status bar shows, as one comparable value (a change redraws every bar)."""

    devices: tuple[tuple[str, DeviceStatus], ...] = ()
    # Why a device is offline ("path absent", "permission denied", "busy …"), by name; "" while online.
    device_reasons: tuple[tuple[str, str], ...] = ()
    session_id: int | None = None
    session_since: str = ""
    user: str | None = None
    in_safe: int = 0
    out: int = 0
    clock: str = ""
    overdue_minutes: int | None = None
    language: str = "ja"
    # The safe's door contact and lock, where a module is watched (`safe_watched`).
    safe_watched: bool = False
    safe_online: bool | None = None
    door: str | None = None  # "open" / "closed" / None (not read yet)
    lock: str | None = None  # "engaged" / "released" / None
    door_alarm_since: str | None = None  # a forced door not yet acknowledged (the time it opened)


def kiosk_app(widget: Any) -> KioskApp:
    """The running app, typed (widgets only ever run inside a KioskApp)."""
    return cast("KioskApp", widget.app)


class TrainingBanner(Static):
    """研修モード: a banner on every screen while the kiosk runs on the training ledger."""

    DEFAULT_CSS = """
    TrainingBanner {
        height: 1;
        width: 100%;
        background: $warning;
        color: $text;
        text-style: bold;
        content-align: center middle;
    }
    """

    def on_mount(self) -> None:
        app = kiosk_app(self)
        self.display = app.training
        self.update(f"▶▶ {app.t('training.banner')} ◀◀")


class AlertBanner(Static):
    """The overdue-session alert; hidden while there is nothing to say."""

    DEFAULT_CSS = """
    AlertBanner {
        height: 1;
        width: 100%;
        background: $error;
        color: $text;
        text-style: bold;
        content-align: center middle;
        display: none;
    }
    """

    def on_mount(self) -> None:
        self.watch(kiosk_app(self), "status", self._show)

    def _show(self, status: StatusSnapshot) -> None:
        app = kiosk_app(self)
        if status.overdue_minutes is None:
            self.display = False
            return
        self.display = True
        limit = app.settings.session.max_open_minutes
        self.update("⚠ " + app.t("alert.overdue", minutes=status.overdue_minutes, limit=limit))


class DoorAlarmBanner(Static):
    """The forced-door alarm (扉の不正開放): red on every screen until a supervisor acknowledges it."""

    DEFAULT_CSS = """
    DoorAlarmBanner {
        height: auto;
        width: 100%;
        background: $error;
        color: $text;
        text-style: bold reverse;
        content-align: center middle;
        text-align: center;
        padding: 0 1;
        display: none;
    }
    """

    def on_mount(self) -> None:
        self.watch(kiosk_app(self), "status", self._show)

    def _show(self, status: StatusSnapshot) -> None:
        if status.door_alarm_since is None:
            self.display = False
            return
        self.display = True
        self.update("🚨 " + kiosk_app(self).t("alarm.forced", since=status.door_alarm_since) + " 🚨")


def safe_line(app: KioskApp, status: StatusSnapshot) -> Text:
    """扉: 閉  錠: 施錠 (or the module offline), for the status bar."""
    text = Text()
    if status.safe_online is False:
        text.append("✖ " + app.t("status.safe_io_offline"), style="bold red")
        return text
    door = app.t("door." + (status.door or "unknown"))
    lock = app.t("lock." + (status.lock or "unknown"))
    text.append(
        "🚪 " + app.t("status.door", door=door), style="bold red" if status.door == "open" else "bold"
    )
    text.append("  ")
    text.append(app.t("status.lock", lock=lock), style="bold yellow" if status.lock == "released" else "bold")
    return text


class StatusBar(Static):
    """Devices (online / offline / reconnecting), the safe session, the user, counts and the clock."""

    DEFAULT_CSS = """
    StatusBar {
        height: 2;
        width: 100%;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.watch(kiosk_app(self), "status", self._show)

    def _show(self, status: StatusSnapshot) -> None:
        app = kiosk_app(self)
        line1 = Text()
        if status.safe_watched:
            # The safe's door and lock first: they are the one thing on this line that must never be cut.
            line1.append_text(safe_line(app, status))
            line1.append("  │ ")
        line1.append(app.t("status.devices") + ": ", style="bold")
        for name, state in status.devices:
            mark, style = {
                DeviceStatus.ONLINE: ("●", "bold green"),
                DeviceStatus.OFFLINE: ("✖", "bold red"),
                DeviceStatus.RECONNECTING: ("↻", "bold yellow"),
            }[state]
            line1.append(f"{mark} {visible(name)} ", style=style)
            why = dict(status.device_reasons).get(name, "") if state is not DeviceStatus.ONLINE else ""
            why = device_reason_text(why, app.language) if why else ""
            line1.append(f"[{app.t('status.' + state.value)}{': ' + visible(why) if why else ''}]  ")
        # Devices get a line of their own: with a scanner, a wedge, a webcam and an RFID reader the
        # first line is full. The second line leads with who is signed in (担当), then the safe, the
        # counts and the clock, short enough for 80 columns: the person is what must never be cut off.
        line2 = Text()
        line2.append(
            app.t("status.user", name=_fit(visible(status.user), 12))
            if status.user
            else app.t("status.nobody"),
            style="bold",
        )
        line2.append(" │ ")
        if status.session_id is not None:
            line2.append(
                "🔓 " + app.t("status.session_open", id=status.session_id, since=status.session_since),
                style="bold",
            )
        else:
            line2.append("🔒 " + app.t("status.session_closed"))
        line2.append(" │ ")
        line2.append(app.t("status.counts", in_safe=status.in_safe, out=status.out))
        line2.append(" │ ")
        line2.append(status.clock)
        # Each line is cut at the edge, never wrapped: a wrapped device line would push the person off.
        self.update(Text("\n", no_wrap=True, overflow="ellipsis").join([line1, line2]))


def _fit(text: str, cells: int) -> str:
    """`text` cut to at most `cells` terminal cells (a long name must not push the rest off the line)."""
    from rich.cells import cell_len

    if cell_len(text) <= cells:
        return text
    out = ""
    for ch in text:
        if cell_len(out + ch + "…") > cells:
            break
        out += ch
    return out + "…"


# Keys as their caps read (never Textual's key names such as ESCAPE or PAGEDOWN).
KEY_CAPS = {
    "escape": "Esc",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "home": "Home",
    "end": "End",
    "enter": "Enter",
    "tab": "Tab",
    "delete": "Del",
}


def key_cap(key: str) -> str:
    """The label of a key as printed on the keyboard: F1, Esc, PgDn, a letter in capitals."""
    key = key.split(",")[0]
    return KEY_CAPS.get(key, key.upper())


class VerdictPanel(Static):
    """The large verdict of the last scan: colour, a symbol, a headline and a detail line."""

    DEFAULT_CSS = """
    VerdictPanel {
        height: 7;
        width: 100%;
        border: heavy $primary;
        padding: 0 2;
        content-align: center middle;
        text-align: center;
    }
    VerdictPanel.-ok { background: $success; color: $text; border: heavy $success-lighten-2; }
    VerdictPanel.-info { background: $primary-darken-1; color: $text; border: heavy $primary; }
    VerdictPanel.-warn { background: $warning; color: $text; border: double $warning-lighten-2; }
    VerdictPanel.-error { background: $error; color: $text; border: double $error-lighten-2; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.code: str | None = None
        self.text_shown = ""
        self.hint = ""  # what the panel says when no verdict is shown (reset() goes back to it)

    def show(self, code: str, detail: str = "", card_id: str | None = None, title: str | None = None) -> None:
        """Show the verdict `code` (see kiosk.texts) with an optional detail line."""
        app = kiosk_app(self)
        shown = look(code)
        headline = title or (shown.en if app.language == "en" else shown.ja)
        text = Text(justify="center")
        text.append(f"{shown.symbol}  {visible(headline)}  {shown.symbol}\n", style="bold")
        if card_id:
            text.append(f"{visible(card_id)}\n", style="bold")
        if detail:
            text.append(visible(detail, keep_newlines=True))
        self.code = code
        self.text_shown = text.plain
        for tone in ("ok", "info", "warn", "error"):
            self.set_class(tone == shown.tone, f"-{tone}")
        self.update(text)

    def reset(self) -> None:
        """Back to the screen's hint: a verdict must not stay behind the next dialog or a fixed fault."""
        self.clear(self.hint)

    def clear(self, hint: str = "") -> None:
        self.hint = hint
        self.code = None
        self.text_shown = hint
        for tone in ("ok", "info", "warn", "error"):
            self.remove_class(f"-{tone}")
        self.update(plain(hint))


class KeyBar(Static):
    """The function keys of the current screen, from its bindings (the description is an i18n key)."""

    DEFAULT_CSS = """
    KeyBar {
        height: auto;
        width: 100%;
        background: $primary-darken-2;
        color: $text;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.refresh_keys()

    def refresh_keys(self) -> None:
        app = kiosk_app(self)
        text = Text()
        for binding in self.screen.BINDINGS:
            if not isinstance(binding, Binding) or not binding.show:
                continue
            text.append(f" {key_cap(binding.key)} ", style="reverse bold")
            text.append(f" {app.t(binding.description)}  ")
        self.update(text)


class DemoPanel(Vertical):
    """The demo's cheat sheet: the demo badges and PINs, and the key for simulated scans."""

    DEFAULT_CSS = """
    DemoPanel {
        width: 32;
        height: 100%;
        background: $boost;
        border-left: tall $accent;
        padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        app = kiosk_app(self)
        rig = app.demo
        lines = [f"[b]{app.t('demo.title')}[/b]", "", f"[b]{app.t('demo.staff')}[/b]"]
        if rig is not None:
            lines += [escape(visible(f"{s.badge} / {s.pin}  {s.name}")) for s in rig.staff]
        lines += ["", f"[b reverse] F12 [/] {app.t('demo.keys')}"]
        yield Static("\n".join(lines))
