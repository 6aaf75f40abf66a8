"""The frame every kiosk screen shares: banners on top, status and keys at the bottom, and the
terminal keyboard-wedge path (keys go to the wedge decoder unless a text field has the focus)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from kiosk.tui.widgets import (
    AlertBanner,
    DemoPanel,
    DoorAlarmBanner,
    KeyBar,
    StatusBar,
    TrainingBanner,
    VerdictPanel,
    kiosk_app,
)

if TYPE_CHECKING:
    # Only for typing: the app imports the screens, never the other way round at run time.
    from kiosk.tui.app import KioskApp

R = TypeVar("R")


class WedgeKeys:
    """Mixin: feed this screen's unclaimed keys and pastes to the terminal keyboard wedge."""

    app: Any

    def _wedge_key(self, event: events.Key) -> None:
        wedge = kiosk_app(self).terminal_wedge
        if wedge is None or isinstance(kiosk_app(self).focused, Input):
            return
        if event.key.startswith("f") and event.key[1:].isdigit():
            return  # function keys are the kiosk's own commands
        if event.key in ("escape", "pageup", "pagedown", "up", "down", "home", "end"):
            return
        if event.character is None and event.key not in ("enter", "tab"):
            return
        wedge.feed_key(event.key, event.character, event.time)
        # Printable keys, Enter and Tab belong to the wedge: no binding or focus change fires on them.
        event.stop()
        event.prevent_default()
        if wedge.typed:
            wedge.typed.clear()
            self.typed_text()

    def typed_text(self) -> None:
        """A person typed a line (slow keys + Enter): not a scan. Screens may explain how to type an ID."""
        app = kiosk_app(self)
        app.show_verdict("info", app.t("session.typed_hint"), title=app.t("key.manual"))


class KioskScreen(WedgeKeys, Screen[None]):
    """A full screen: banners, the screen's own body, the demo panel (demo only), keys and status."""

    def compose(self) -> ComposeResult:
        app = kiosk_app(self)
        with Vertical(id="top"):
            yield TrainingBanner()
            yield DoorAlarmBanner()
            yield AlertBanner()
            yield Static(self.heading(), id="heading")
        with Vertical(id="bottom"):
            yield KeyBar()
            yield StatusBar()
        with Horizontal(id="main"):
            with Vertical(id="body"):
                yield from self.compose_body()
            if app.expects_demo:
                yield DemoPanel()

    def heading(self) -> str:
        return kiosk_app(self).t("app.title")

    def compose_body(self) -> ComposeResult:
        yield from ()

    @property
    def kiosk(self) -> KioskApp:
        return kiosk_app(self)

    @property
    def verdict(self) -> VerdictPanel:
        return self.query_one(VerdictPanel)

    def on_key(self, event: events.Key) -> None:
        self._wedge_key(event)

    def on_paste(self, event: events.Paste) -> None:
        wedge = self.kiosk.terminal_wedge
        if wedge is not None and not isinstance(self.kiosk.focused, Input):
            wedge.feed_paste(event.text, event.time)
            event.stop()

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        """A scan arrived while this screen is on top; return False when the screen takes no scans."""
        return False

    def handle_rejected(self, reason: str, *, device: str | None) -> bool:
        return False


class KioskModal(ModalScreen[R]):
    """A dialog over the current screen (whose banners and status bar stay visible behind it)."""

    BINDINGS: ClassVar[list[BindingType]] = [("escape", "cancel", "key.back")]
    # A dialog that asks for input opens on a clean panel: the last verdict must not stay behind it
    # and read as the answer to this dialog (the dialogs that only show a result keep it).
    clears_verdict: ClassVar[bool] = False

    @property
    def kiosk(self) -> KioskApp:
        return kiosk_app(self)

    def __init__(self, *, clear_verdict: bool | None = None) -> None:
        super().__init__()
        if self.clears_verdict if clear_verdict is None else clear_verdict:
            # Cleared when the flow asks (the dialog is made just before it is pushed): a verdict that
            # arrives while the dialog is up (a scan behind it) is new, and stays.
            reset = getattr(self.app, "reset_verdict", None)
            if reset is not None:
                reset()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        return False

    def handle_rejected(self, reason: str, *, device: str | None) -> bool:
        return False
