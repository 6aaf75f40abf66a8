"""事務メニュー (F8 on the home screen): the office's jobs beyond the counter, one key each.

Every job is a screen of its own that works through the application core with the same people rules
as the CLI (badge + PIN for each person). The menu only lists them: a job is a digit key, its title
and where its screen lives, imported when chosen so the menu never loads what nobody opens.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from kiosk.tui.safe_text import plain
from kiosk.tui.screens.base import KioskScreen

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp


@dataclass(frozen=True, slots=True)
class OfficeJob:
    """One line of the menu: the function key that opens it, its title (i18n key) and its opener.

    `opener` is "module:function"; the function takes the app and opens the job's screen (signing
    the person in first where the job needs one).
    """

    key: str
    title: str
    opener: str

    async def open(self, app: KioskApp) -> None:
        module, _, name = self.opener.partition(":")
        opener = cast("Callable[[KioskApp], Awaitable[None]]", getattr(importlib.import_module(module), name))
        await opener(app)


# The office's day, in the order a clerk meets it. Add a job here, with its title in kiosk.texts.screens.
JOBS: tuple[OfficeJob, ...] = (
    OfficeJob("f2", "office.job.receipt", "kiosk.tui.screens.receipt:open_receipt"),
    OfficeJob("f3", "office.job.notices", "kiosk.tui.screens.notices:open_notices"),
    OfficeJob("f4", "office.job.disposal", "kiosk.tui.screens.disposal:open_disposal"),
    OfficeJob("f5", "office.job.staff", "kiosk.tui.screens.staff:open_staff"),
    OfficeJob("f6", "office.job.daily_close", "kiosk.tui.screens.daily_close:open_daily_close"),
    OfficeJob("f7", "office.job.due_lists", "kiosk.tui.screens.due:open_due_lists"),
    OfficeJob("f9", "office.job.papers", "kiosk.tui.screens.papers:open_papers"),
)


class OfficeScreen(KioskScreen):
    """The menu: a function key opens its job (keys, not digits: a scanner types digits); Esc goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        *(Binding(job.key, f"open_job('{job.key}')", job.title) for job in JOBS),
    ]

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('office.title')}"

    def compose_body(self) -> ComposeResult:
        t = self.kiosk.t
        lines = [f"  {job.key.upper()}  {t(job.title)}" for job in JOBS]
        yield Static(plain("\n".join(lines)), id="office-jobs")
        yield Static(t("office.hint"), classes="hint")

    @work(exclusive=True, group="flow")
    async def action_open_job(self, key: str) -> None:
        job = next(j for j in JOBS if j.key == key)
        await job.open(self.kiosk)

    def action_back(self) -> None:
        self.app.pop_screen()
