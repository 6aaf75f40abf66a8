"""職員: the staff list and every change to it, at the kiosk, by badge and PIN.

The list shows each member's name, badge, role and rank, whether the account is active or locked, and
the last training; F8 switches to who is due for training (`[staff] training_every_days`; a new member
is due until trained on arrival). A member is picked with the arrow keys or by scanning their badge.
Every change (add, role, deactivate/reactivate, unlock, PIN, training) is made by an administrator (the
person signed in, or one who signs in for it) with a second person, each by badge and PIN, through the
application core, which decides; F9 records the responsible officers' hand-over (引継ぎ) under its own
rule (the outgoing and incoming officers and a witness).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from kiosk.desk import NotAllowed, StorageError
from kiosk.desk.views import today
from kiosk.domain.guard import looks_like_individual_number
from kiosk.domain.management_id import Refusal
from kiosk.domain.staff import (
    PIN_MAX_LENGTH,
    PIN_MIN_LENGTH,
    Role,
    StaffMember,
    TwoPersonError,
    normalize_badge,
    normalize_employee_no,
    rank_label,
)
from kiosk.domain.training import StaffRecord, TrainingDue, TrainingRecord
from kiosk.tui.safe_text import cells, plain
from kiosk.tui.screens.base import KioskScreen
from kiosk.tui.screens.forms import ConfirmModal, FormField, FormModal, Values
from kiosk.tui.screens.notices import parse_day
from kiosk.tui.screens.signin import SignInModal
from kiosk.tui.widgets import VerdictPanel

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

T = TypeVar("T")

ROLE_KEYS = {"1": Role.CLERK, "2": Role.OFFICER, "3": Role.SUPERVISOR, "4": Role.ADMIN}
ROLE_DIGIT = {role: digit for digit, role in ROLE_KEYS.items()}

# The core's refusals of a staff change (kiosk.ledger.staff_ops, in English for the CLI) in the screen's
# words: a phrase of the message and the text key.
ERRORS = (
    ("badge code is already registered", "staff.error.exists_badge"),
    ("already has an account", "staff.error.exists_employee"),
    ("already has that role", "staff.error.same_role"),
    ("last active administrator", "staff.error.last_admin"),
    ("already deactivated", "staff.error.already_inactive"),
    ("already active", "staff.error.already_active"),
    ("badge code is", "staff.error.bad_badge"),
    ("employee number", "staff.error.bad_employee"),
    ("name", "staff.error.bad_name"),
    ("needs a rank", "staff.form.rank_needed"),
    ("only responsible officers have a rank", "staff.form.rank_not_officer"),
    ("PIN is", "staff.form.bad_pin"),
    ("future", "staff.form.future_date"),
    ("configured kinds", "staff.form.bad_kind"),
)


async def open_staff(app: KioskApp) -> None:
    """The office menu's entry: the list needs someone signed in; changes ask for an administrator."""
    if await app.ensure_user() is not None:
        await app.push_screen(StaffScreen())


class StaffScreen(KioskScreen):
    """The staff list (or who is due for training) and the keys that change it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "key.back"),
        Binding("f2", "add", "staff.key.add"),
        Binding("f3", "role", "staff.key.role"),
        Binding("f4", "active", "staff.key.active"),
        Binding("f5", "unlock", "staff.key.unlock"),
        Binding("f6", "pin", "staff.key.pin"),
        Binding("f7", "training", "staff.key.training"),
        Binding("f8", "due", "staff.key.due"),
        Binding("f9", "handover", "staff.key.handover"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[StaffRecord] = []
        self.due: list[TrainingDue] = []
        self.now: datetime | None = None
        self.showing_due = False
        self.loads = 0  # reloads asked for; only the newest is drawn
        self.loaded = 0  # the newest one drawn (tests wait for it)
        # A badge scanned before the list was first drawn: picked once it is (never dropped, never
        # answered with "unknown badge" against an empty list).
        self._early_scan: tuple[str, str | None, str | None] | None = None

    def heading(self) -> str:
        return f"{self.kiosk.t('app.title')} ― {self.kiosk.t('staff.title')}"

    def compose_body(self) -> ComposeResult:
        yield VerdictPanel(id="verdict")
        yield Static(self.kiosk.t("loading"), id="staff-summary")
        yield DataTable(id="staff-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="staff-detail")
        yield Static(self.kiosk.t("staff.hint"), classes="hint")

    def on_mount(self) -> None:
        self.verdict.clear(self.kiosk.t("staff.hint"))
        self.query_one(DataTable).focus()
        self.reload()

    # -- reading and drawing ------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the staff and who is due on the reader thread; redraw when they arrive."""
        app = self.kiosk
        desk = app.desk
        self.loads += 1
        ticket = self.loads
        day = today(app.clock)

        def read() -> tuple[list[StaffRecord], list[TrainingDue], datetime]:
            return desk.staff_roster(), desk.training_due(day), desk.now()

        def done(found: tuple[list[StaffRecord], list[TrainingDue], datetime]) -> None:
            if ticket != self.loads or not self.is_mounted:
                return
            self.records, self.due, self.now = found
            self._draw()
            self.loaded = ticket
            if self._early_scan is not None:
                text, device, source = self._early_scan
                self._early_scan = None
                self.handle_scan(text, device=device, source=source)

        app.submit(read, done, read=True)

    def _locked(self, member: StaffMember) -> bool:
        now = self.now or self.kiosk.clock()
        return member.is_locked(now, self.kiosk.settings.staff.lockout_minutes)

    def _role(self, member: StaffMember) -> str:
        return self.kiosk.t(f"staff.role.{member.role.value}")

    def _trained(self, record: StaffRecord) -> str:
        if record.trained_on is None:
            return self.kiosk.t("staff.never_trained")
        return f"{record.trained_on.isoformat()} {record.training_kind or ''}".strip()

    def _draw(self) -> None:
        t = self.kiosk.t
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear(columns=True)
        if self.showing_due:
            table.add_columns(
                t("staff.col.name"),
                t("staff.col.badge"),
                t("staff.col.role"),
                t("staff.col.rank"),
                t("staff.col.reason"),
                t("staff.col.trained"),
            )
            for due in self.due:
                m = due.record.member
                since = due.due_on.isoformat() if due.due_on else "―"
                table.add_row(
                    *cells(
                        m.name,
                        m.badge,
                        self._role(m),
                        rank_label(m.rank) or "―",
                        t(f"staff.due.{due.reason.value}", since=since),
                        self._trained(due.record),
                    ),
                    key=m.badge,
                )
            summary = t("staff.due.title", n=len(self.due))
            if not self.due:
                summary += "\n" + t("staff.due.none")
        else:
            table.add_columns(
                t("staff.col.name"),
                t("staff.col.badge"),
                t("staff.col.role"),
                t("staff.col.rank"),
                t("staff.col.active"),
                t("staff.col.locked"),
                t("staff.col.trained"),
            )
            for record in self.records:
                m = record.member
                table.add_row(
                    *cells(
                        m.name,
                        m.badge,
                        self._role(m),
                        rank_label(m.rank) or "―",
                        t("staff.active") if m.active else t("staff.inactive"),
                        t("staff.locked") if self._locked(m) else t("staff.not_locked"),
                        self._trained(record),
                    ),
                    key=m.badge,
                )
            summary = t(
                "staff.summary",
                n=len(self.records),
                active=sum(1 for r in self.records if r.member.active),
                locked=sum(1 for r in self.records if self._locked(r.member)),
                due=len(self.due),
            )
        self.query_one("#staff-summary", Static).update(plain(summary))
        if table.row_count:
            table.move_cursor(row=min(max(keep, 0), table.row_count - 1))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted member's training records (研修の記録), read on the reader thread."""
        record = self.selected()
        if record is None:
            return
        app = self.kiosk
        desk = app.desk
        member = record.member

        def shown(records: list[TrainingRecord]) -> None:
            if not self.is_mounted or (now := self.selected()) is None or now.member.id != member.id:
                return
            t = app.t
            lines = [
                t("staff.training.line", day=r.on.isoformat(), kind=r.kind, trainer=r.trainer)
                for r in reversed(records[-3:])
            ]
            text = t("staff.training.none") if not lines else t("staff.training.head") + "、".join(lines)
            self.query_one("#staff-detail", Static).update(plain(f"{member.display}: {text}"))

        app.submit(lambda: desk.training_records(member.id), shown, read=True)

    def shown(self) -> list[StaffRecord]:
        return [d.record for d in self.due] if self.showing_due else self.records

    def selected(self) -> StaffRecord | None:
        rows = self.shown()
        row = self.query_one(DataTable).cursor_row
        return rows[row] if 0 <= row < len(rows) else None

    # -- keys ---------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_due(self) -> None:
        self.showing_due = not self.showing_due
        self._draw()

    def handle_scan(self, text: str, *, device: str | None, source: str | None) -> bool:
        """A badge scanned here picks that member."""
        app = self.kiosk
        if looks_like_individual_number(text):
            app.show_verdict("refused_input", app.t("signin.refused"), title=app.t("staff.title"))
            return True
        if not self.loaded or not self.query(DataTable):
            self._early_scan = (text, device, source)
            return True
        try:
            badge = normalize_badge(text)
        except ValueError:
            badge = ""
        rows = self.shown()
        for n, record in enumerate(rows):
            if record.member.badge == badge:
                self.query_one(DataTable).move_cursor(row=n)
                app.show_verdict("info", record.member.display, title=app.t("staff.title"))
                return True
        app.show_verdict("unknown_id", app.t("staff.unknown_badge"), title=app.t("staff.title"))
        return True

    def _last_admin(self, member: StaffMember) -> bool:
        """`member` is the only active administrator (who keeps the role and the account)."""
        admins = [r.member for r in self.records if r.member.active and r.member.role is Role.ADMIN]
        return member.role is Role.ADMIN and [m.id for m in admins] == [member.id]

    def _pick(self) -> StaffRecord | None:
        record = self.selected()
        if record is None:
            self.kiosk.show_verdict(
                "info", self.kiosk.t("staff.selected_none"), title=self.kiosk.t("staff.title")
            )
        return record

    # -- the people of a change ---------------------------------------------------------------------

    async def _people(self) -> tuple[StaffMember, StaffMember] | None:
        """An administrator (the person signed in, or one who signs in now) and a second person."""
        app = self.kiosk
        admin = app.user if app.user is not None and app.user.role is Role.ADMIN else None
        if admin is None:
            admin = await app.push_screen_wait(SignInModal("staff.admin_prompt"))
            if admin is None:
                return None
            if admin.role is not Role.ADMIN:
                app.show_verdict("not_allowed", app.t("staff.need_admin"), title=app.t("staff.title"))
                return None
        second = await app.push_screen_wait(SignInModal("staff.second_prompt", exclude_id=admin.id))
        if second is None:
            return None
        return admin, second

    async def _change(self, work: Callable[[], T], done: Callable[[T], str]) -> bool:
        """Run one change of the core; show its outcome (or its refusal in the screen's words)."""
        app = self.kiosk
        try:
            result = await app.call(work)
        except StorageError as exc:
            app.ledger_failed(exc)
            return False
        except (NotAllowed, TwoPersonError) as exc:
            app.show_verdict("not_allowed", app.reason(exc.reason), title=app.t("staff.title"))
            return False
        except Refusal as exc:
            app.show_verdict("refused_input", app.reason(exc.reason), title=app.t("staff.title"))
            return False
        except ValueError as exc:
            message = str(exc)
            key = next((k for phrase, k in ERRORS if phrase in message), "staff.error.other")
            app.show_verdict("wrong_status", app.t(key), title=app.t("staff.title"))
            return False
        app.show_verdict("added", done(result), title=app.t("staff.title"))
        self.reload()
        return True

    # -- the changes ----------------------------------------------------------------------------------

    @work(exclusive=True, group="flow")
    async def action_unlock(self) -> None:
        app = self.kiosk
        record = self._pick()
        if record is None:
            return
        member = record.member
        if not member.locked:
            # Asked before anyone signs in: the people are asked only for a change that can happen.
            app.show_verdict(
                "info", app.t("staff.not_locked_now", name=member.display), title=app.t("staff.title")
            )
            return
        if not await app.push_screen_wait(
            ConfirmModal(app.t("staff.key.unlock"), app.t("staff.confirm.unlock", name=member.display))
        ):
            return
        people = await self._people()
        if people is None:
            return
        admin, second = people
        desk = app.desk
        await self._change(
            lambda: desk.unlock(admin, second, member.badge),
            lambda m: app.t("staff.done.unlock", name=m.display),
        )

    @work(exclusive=True, group="flow")
    async def action_active(self) -> None:
        app = self.kiosk
        record = self._pick()
        if record is None:
            return
        member = record.member
        which = "deactivate" if member.active else "reactivate"
        if member.active and self._last_admin(member):
            app.show_verdict("not_allowed", app.t("staff.error.last_admin"), title=app.t("staff.title"))
            return
        if not await app.push_screen_wait(
            ConfirmModal(app.t("staff.key.active"), app.t(f"staff.confirm.{which}", name=member.display))
        ):
            return
        people = await self._people()
        if people is None:
            return
        admin, second = people
        desk = app.desk
        change = desk.deactivate if member.active else desk.reactivate
        await self._change(
            lambda: change(admin, second, member.badge),
            lambda m: app.t(f"staff.done.{which}", name=m.display),
        )

    def _role_check(self, values: Values) -> tuple[str, str] | None:
        t = self.kiosk.t
        role = ROLE_KEYS.get(values["role"])
        if role is None:
            return "role", t("staff.form.bad_role")
        rank = values["rank"]
        if rank and not rank.isdigit():
            return "rank", t("staff.form.bad_rank")
        if role is Role.OFFICER and not rank:
            return "rank", t("staff.form.rank_needed")
        if role is not Role.OFFICER and rank:
            return "rank", t("staff.form.rank_not_officer")
        return None

    def _pin_check(self, values: Values) -> tuple[str, str] | None:
        t = self.kiosk.t
        pin = values["pin"]
        if not (pin.isdigit() and PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH):
            return "pin", t("staff.form.bad_pin")
        if pin != values["pin2"]:
            return "pin2", t("staff.form.pin_mismatch")
        return None

    def _pin_fields(self) -> list[FormField]:
        t = self.kiosk.t
        return [
            FormField("pin", t("staff.field.pin"), password=True, restrict=r"[0-9]*", max_length=12),
            FormField("pin2", t("staff.field.pin2"), password=True, restrict=r"[0-9]*", max_length=12),
        ]

    @work(exclusive=True, group="flow")
    async def action_add(self) -> None:
        app = self.kiosk
        t = app.t

        def check(values: Values) -> tuple[str, str] | None:
            for key in ("name", "badge", "employee_no"):
                if not values[key]:
                    return key, t("staff.form.required", field=t(f"staff.field.{key}"))
            # Said in the form, before anyone signs in (the core checks again inside the write).
            try:
                badge = normalize_badge(values["badge"])
            except ValueError:
                return "badge", t("staff.error.bad_badge")
            if any(r.member.badge == badge for r in self.records):
                return "badge", t("staff.error.exists_badge")
            try:
                employee_no = normalize_employee_no(values["employee_no"])
            except ValueError:
                return "employee_no", t("staff.error.bad_employee")
            if any(r.member.employee_no == employee_no for r in self.records):
                return "employee_no", t("staff.error.exists_employee")
            return self._role_check(values) or self._pin_check(values)

        fields = [
            FormField("name", t("staff.field.name")),
            FormField("badge", t("staff.field.badge"), max_length=64, scans=True),
            FormField("employee_no", t("staff.field.employee_no"), max_length=32),
            FormField("role", t("staff.field.role"), restrict=r"[1-4]?", max_length=1),
            FormField("rank", t("staff.field.rank"), restrict=r"[0-9]*", max_length=2),
            *self._pin_fields(),
        ]
        values = await app.push_screen_wait(FormModal(t("staff.form.add"), fields, check))
        if values is None:
            return
        people = await self._people()
        if people is None:
            return
        admin, second = people
        desk = app.desk
        await self._change(
            lambda: desk.add_staff(
                admin,
                second,
                name=values["name"],
                badge=values["badge"],
                employee_no=values["employee_no"],
                role=ROLE_KEYS[values["role"]],
                rank=int(values["rank"]) if values["rank"] else None,
                pin=values["pin"],
            ),
            lambda m: t("staff.done.add", name=m.display, badge=m.badge),
        )

    @work(exclusive=True, group="flow")
    async def action_role(self) -> None:
        app = self.kiosk
        t = app.t
        record = self._pick()
        if record is None:
            return
        member = record.member
        fields = [
            FormField(
                "role", t("staff.field.role"), ROLE_DIGIT[member.role], restrict=r"[1-4]?", max_length=1
            ),
            FormField(
                "rank",
                t("staff.field.rank"),
                "" if member.rank is None else str(member.rank),
                restrict=r"[0-9]*",
                max_length=2,
            ),
        ]
        values = await app.push_screen_wait(
            FormModal(t("staff.form.role", name=member.display), fields, self._role_check)
        )
        if values is None:
            return
        role = ROLE_KEYS[values["role"]]
        rank = int(values["rank"]) if values["rank"] else None
        if role is member.role and rank == member.rank:
            app.show_verdict("info", t("staff.error.same_role"), title=t("staff.title"))
            return
        if role is not Role.ADMIN and self._last_admin(member):
            app.show_verdict("not_allowed", t("staff.error.last_admin"), title=t("staff.title"))
            return
        people = await self._people()
        if people is None:
            return
        admin, second = people
        desk = app.desk
        await self._change(
            lambda: desk.set_role(admin, second, member.badge, role, rank),
            lambda m: t("staff.done.role", name=m.display, role=self._role(m)),
        )

    @work(exclusive=True, group="flow")
    async def action_pin(self) -> None:
        app = self.kiosk
        t = app.t
        record = self._pick()
        if record is None:
            return
        member = record.member
        values = await app.push_screen_wait(
            FormModal(t("staff.form.pin", name=member.display), self._pin_fields(), self._pin_check)
        )
        if values is None:
            return
        people = await self._people()
        if people is None:
            return
        admin, second = people
        desk = app.desk
        await self._change(
            lambda: desk.reset_pin(admin, second, member.badge, values["pin"]),
            lambda m: t("staff.done.pin", name=m.display),
        )

    @work(exclusive=True, group="flow")
    async def action_training(self) -> None:
        app = self.kiosk
        t = app.t
        record = self._pick()
        if record is None:
            return
        member = record.member
        kinds = list(app.settings.staff.training_kinds)
        day_today = today(app.clock)
        listing = "　".join(f"{n} {kind}" for n, kind in enumerate(kinds, start=1))

        def check(values: Values) -> tuple[str, str] | None:
            day = parse_day(values["date"])
            if day is None:
                return "date", t("staff.form.bad_date")
            if day > day_today:
                return "date", t("staff.form.future_date")
            if not values["kind"].isdigit() or not 1 <= int(values["kind"]) <= len(kinds):
                return "kind", t("staff.form.bad_kind")
            if not values["trainer"]:
                return "trainer", t("staff.form.required", field=t("staff.field.trainer"))
            return None

        fields = [
            FormField("date", t("staff.field.date"), day_today.isoformat(), max_length=10),
            FormField("kind", t("staff.field.kind", kinds=listing), restrict=r"[0-9]*", max_length=2),
            FormField("trainer", t("staff.field.trainer")),
        ]
        values = await app.push_screen_wait(
            FormModal(t("staff.form.training", name=member.display), fields, check)
        )
        if values is None:
            return
        day = parse_day(values["date"])
        assert day is not None  # checked by the form
        kind = kinds[int(values["kind"]) - 1]
        people = await self._people()
        if people is None:
            return
        admin, second = people
        desk = app.desk
        await self._change(
            lambda: desk.record_training(
                admin, second, member.badge, on=day, kind=kind, trainer=values["trainer"]
            ),
            lambda m: t(
                "staff.done.training",
                name=m.display,
                kind=kind,
                day=day.isoformat(),
                trainer=values["trainer"],
            ),
        )

    @work(exclusive=True, group="flow")
    async def action_handover(self) -> None:
        """責任者の引継ぎ: the outgoing officer, the incoming officer and a witness, each by badge and PIN."""
        app = self.kiosk
        t = app.t
        outgoing = await app.push_screen_wait(SignInModal("staff.handover.outgoing"))
        if outgoing is None:
            return
        if not outgoing.is_officer:
            app.show_verdict("not_allowed", t("staff.handover.not_officer", name=outgoing.display))
            return
        incoming = await app.push_screen_wait(SignInModal("staff.handover.incoming", exclude_id=outgoing.id))
        if incoming is None:
            return
        if not incoming.is_officer:
            app.show_verdict("not_allowed", t("staff.handover.not_officer", name=incoming.display))
            return
        witness = await app.push_screen_wait(SignInModal("staff.handover.witness", exclude_id=incoming.id))
        if witness is None:
            return
        if witness.id == outgoing.id:
            app.show_verdict("not_allowed", t("staff.handover.third"))
            return
        desk = app.desk
        await self._change(
            lambda: desk.officer_handover(outgoing, incoming, witness),
            lambda _seq: t("staff.done.handover", old=outgoing.display, new=incoming.display),
        )
