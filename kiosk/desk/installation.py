"""An installed kiosk and its ledger: a second kiosk joining, upgrades, and what its jobs ask.

`kiosk join` and `kiosk export-pepper` (several kiosks, one PostgreSQL ledger), `kiosk upgrade`, and the
few read-only facts the installed timers and `kiosk doctor` need. The front ends (`kiosk.cli`) reach the
ledger only through the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from kiosk.desk import Desk
from kiosk.domain.events import EventKind, LedgerUpgraded
from kiosk.ledger import models

if TYPE_CHECKING:
    from kiosk.config import Settings


def last_daily_close(desk: Desk) -> datetime | None:
    """When the daily close (日次締め: the kiosk's screen or `kiosk report daily`) last ran, if ever.

    A close is on the chain as `daily_closed`. Ledgers closed before that event existed have only the
    close's `ledger_verified` (recorded whether or not the ledger verified): that time is taken then.
    """
    last = desk.last_close()
    if last is not None:
        return last.at

    def work() -> datetime | None:
        with desk.ledger.read() as s:
            return s.scalar(
                select(models.Event.at)
                .where(models.Event.kind == EventKind.LEDGER_VERIFIED)
                .order_by(models.Event.seq.desc())
                .limit(1)
            )

    return desk.read(work)


def ledger_head(desk: Desk) -> tuple[int, str]:
    """The chain head (sequence number, hash): a ledger that answers this is reachable."""
    return desk.read(desk.ledger.head)


@dataclass(frozen=True, slots=True)
class LedgerAnswer:
    """Whether the configured ledger opens and passes the start-up check (`kiosk doctor`)."""

    ok: bool
    where: str  # the URL without its password
    detail: str  # the head, or one line saying why not and what to do


def check_ledger(settings: Settings) -> LedgerAnswer:
    """Open the configured ledger as `kiosk run` would (start-up check included), read its head, close."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from kiosk.ledger.anchors import AnchorError, IntegrityRefused
    from kiosk.ledger.service import open_ledger

    url = settings.ledger.url
    try:
        where = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return LedgerAnswer(
            False, url, "[ledger] url is not a database URL (e.g. postgresql://kiosk_app@host/ledger)"
        )
    try:
        ledger = open_ledger(settings)
    except IntegrityRefused as exc:
        return LedgerAnswer(False, where, f"REFUSED: {exc}")
    except AnchorError as exc:
        return LedgerAnswer(False, where, f"the anchor log is not usable: {exc}")
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        return LedgerAnswer(
            False, where, f"cannot open it: {first}: check [ledger] url and the database server"
        )
    except OSError as exc:
        return LedgerAnswer(False, where, f"cannot open it: {exc.strerror or exc}")
    try:
        seq, digest = ledger.head()
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        return LedgerAnswer(False, where, f"cannot read its head: {first}")
    finally:
        ledger.engine.dispose()
    return LedgerAnswer(True, where, f"opens and passes the start-up check; head {seq} {digest[:16]}…")


# -- several kiosks, one ledger: the pepper travels from the first kiosk to the next ---------------


class JoinRefused(Exception):
    """`kiosk join` stopped at `step` ("database", "role", "pepper", "name", "start-up check"); the
    message says what is wrong and what to do. Nothing was written."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Joined:
    """A kiosk joined a shared ledger: where, as which kiosk, the head it saw, where its pepper is."""

    where: str
    kiosk: str
    role: str
    head_seq: int
    head_hash: str
    pepper: Path
    pepper_written: bool


def export_pepper(settings: Settings) -> bytes:
    """The pepper of the configured ledger, after the ledger confirmed it is its own (start-up check
    included): what `kiosk export-pepper` writes for the next kiosk."""
    from kiosk.ledger.service import open_ledger

    ledger = open_ledger(settings)
    try:
        return ledger.pepper
    finally:
        ledger.engine.dispose()


# What the application role needs, and what it must never have, on the ledger's own tables.
_NEEDED = {
    "events": ("SELECT", "INSERT"),
    "ledger_head": ("SELECT", "UPDATE"),
    "ledger_meta": ("SELECT",),
    "alert_state": ("SELECT", "INSERT", "UPDATE"),  # the alert sender's lease and cursor
}
_FORBIDDEN = {"events": ("UPDATE", "DELETE", "TRUNCATE")}


def join(settings: Settings, pepper_file: Path, *, replace: bool = False) -> Joined:
    """Add this kiosk to the shared PostgreSQL ledger its configuration names, with the pepper the first
    kiosk exported: check the database, the role, the pepper's check value and the kiosk's name, then
    write the pepper where `[paths] pepper` says (0600) and open the ledger as `kiosk run` will.
    Raises `JoinRefused` at the first step that fails, before anything is written."""
    import hmac
    import os

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, SQLAlchemyError

    from kiosk.config import data_paths
    from kiosk.fs import write_private_file
    from kiosk.ledger.anchors import AnchorError, IntegrityRefused
    from kiosk.ledger.engine import make_engine
    from kiosk.ledger.meta import LEDGER_ID, PEPPER_CHECK, pepper_check
    from kiosk.ledger.service import has_ledger, open_ledger

    url = settings.ledger.url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise JoinRefused("database", "[ledger] url is not a database URL") from None
    where = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() != "postgresql":
        raise JoinRefused(
            "database",
            f"[ledger] url is {where}: several kiosks share one PostgreSQL ledger; set [ledger] url to the"
            " first kiosk's database as the application role (README: At an office)",
        )
    if os.environ.get("KIOSK_PEPPER"):
        raise JoinRefused(
            "pepper", "KIOSK_PEPPER is set in the environment: unset it; join writes the pepper file"
        )
    try:
        pepper = pepper_file.read_bytes()
    except OSError as exc:
        raise JoinRefused("pepper", f"cannot read {pepper_file}: {exc.strerror or exc}") from None
    if not pepper:
        raise JoinRefused("pepper", f"{pepper_file} is empty: export it again with kiosk export-pepper")

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            role = str(conn.execute(text("SELECT current_user")).scalar_one())
            search_path = str(conn.execute(text("SHOW search_path")).scalar_one())
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            if schema is None:
                named = [s.strip().strip('"') for s in search_path.split(",") if "$user" not in s]
                existing = [
                    s for s in named
                    if conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": s}).first()
                ]  # fmt: skip
                if existing:
                    raise JoinRefused(
                        "role",
                        f"the role {role} may not use the schema {existing[0]}: as the owner role run"
                        f" `kiosk --db OWNER_URL init --app-role {role}` on the first kiosk",
                    )
                raise JoinRefused(
                    "database",
                    f"{where}: no schema of the search_path ({search_path}) exists here: the wrong database"
                    " or search_path (the first kiosk's [ledger] url names both)",
                )
        if not has_ledger(engine):
            raise JoinRefused(
                "database",
                f"{where} (schema {schema}) holds no kiosk ledger: the wrong database or schema, or the"
                " first kiosk has not run `kiosk init --app-role ROLE` as the owner role yet",
            )
        with engine.connect() as conn:
            superuser = bool(
                conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
            )
            owner = conn.execute(
                text(
                    "SELECT tableowner FROM pg_tables"
                    " WHERE schemaname = current_schema() AND tablename = 'events'"
                )
            ).scalar()
            if superuser or owner == role:
                what = "a superuser" if superuser else "the owner of the ledger's tables"
                raise JoinRefused(
                    "role",
                    f"{where} connects as {role}, {what}: it could alter or drop the triggers that protect"
                    " the events. A kiosk connects as the application role (README: PostgreSQL roles)",
                )

            def may(table: str, privilege: str) -> bool:
                query = text("SELECT has_table_privilege(current_user, :t, :p)")
                return bool(conn.execute(query, {"t": table, "p": privilege}).scalar())

            missing = [f"{p} on {t}" for t, ps in _NEEDED.items() for p in ps if not may(t, p)]
            if missing:
                raise JoinRefused(
                    "role",
                    f"the role {role} lacks {', '.join(missing)}: as the owner role run"
                    f" `kiosk --db OWNER_URL init --app-role {role}` on the first kiosk",
                )
            too_much = [f"{p} on {t}" for t, ps in _FORBIDDEN.items() for p in ps if may(t, p)]
            if too_much:
                raise JoinRefused(
                    "role",
                    f"the role {role} has {', '.join(too_much)}: events must be append-only; connect as"
                    " the application role that `kiosk init --app-role` granted",
                )
            meta = {str(k): str(v) for k, v in conn.execute(text("SELECT key, value FROM ledger_meta")).all()}
            if LEDGER_ID not in meta or PEPPER_CHECK not in meta:
                raise JoinRefused(
                    "database", f"{where} holds a ledger without identity: run kiosk init on the first kiosk"
                )
            if not hmac.compare_digest(meta[PEPPER_CHECK], pepper_check(pepper)):
                raise JoinRefused(
                    "pepper",
                    f"{pepper_file} is not this ledger's pepper (its check value differs): export it again"
                    " on the first kiosk with `kiosk export-pepper -o FILE`",
                )
            name = settings.kiosk.name
            used = conn.execute(text("SELECT 1 FROM events WHERE device = :d LIMIT 1"), {"d": name}).first()
            if used is not None and not replace:
                raise JoinRefused(
                    "name",
                    f"another kiosk already records as {name!r} on this ledger: give this PC its own"
                    " [kiosk] name (or pass --replace when it takes that kiosk's place)",
                )
    except SQLAlchemyError as exc:
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        raise JoinRefused(
            "database",
            f"cannot use {where}: {first}: check the host, the database, the role and pg_hba.conf",
        ) from None
    finally:
        engine.dispose()

    target = data_paths(settings).pepper
    written = False
    if target.exists():
        if not hmac.compare_digest(target.read_bytes(), pepper):
            raise JoinRefused(
                "pepper",
                f"{target} already holds a different pepper: move it aside (keep it), then run kiosk"
                " join again",
            )
    else:
        write_private_file(target, pepper)
        written = True
    try:
        ledger = open_ledger(settings)
    except (IntegrityRefused, AnchorError) as exc:
        raise JoinRefused("start-up check", str(exc)) from None
    try:
        seq, digest = ledger.head()
    finally:
        ledger.engine.dispose()
    return Joined(where, settings.kiosk.name, role, seq, digest, target, written)


# -- updates: back up, verify, migrate, verify again, record -------------------------------------


class UpgradeFailed(Exception):
    """`kiosk upgrade` stopped at `step`; `backup` names the copy made before anything changed."""

    def __init__(self, step: str, reason: str, backup: Path | None = None) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason
        self.backup = backup


@dataclass(frozen=True, slots=True)
class Upgraded:
    """What `kiosk upgrade` did: the schema revisions, the backup, the events verified after."""

    from_revision: str
    to_revision: str
    backup: Path | None  # None when there was nothing to migrate
    backup_verified: bool
    events: int
    migrated: bool


def schema_revision(settings: Settings) -> tuple[str | None, str]:
    """(the ledger's schema revision, the newest this code knows)."""
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from kiosk.ledger import engine as ledger_engine

    # The migrations `kiosk.ledger.engine.upgrade` runs: the folder beside it.
    head = ScriptDirectory(str(Path(ledger_engine.__file__).parent / "migrations")).get_current_head()
    assert head is not None
    engine = ledger_engine.make_engine(settings.ledger.url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    return current, head


def upgrade_ledger(settings: Settings) -> Upgraded:
    """After installing a new version: verify the ledger in full, back it up, migrate its schema, verify
    it in full again and record `ledger_upgraded` on the chain.

    Each migration runs inside one transaction, so a failed one leaves the ledger as it was; the
    `UpgradeFailed` names the backup made before it. Nothing migrates when the ledger does not verify or
    no backup could be made.
    """
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from drivers.text import holds_individual_number
    from kiosk.config import data_paths
    from kiosk.ledger.anchors import AnchorError, AnchorLog, IntegrityRefused, note_kept
    from kiosk.ledger.backup import BackupError, backup, verify_against_log
    from kiosk.ledger.engine import upgrade
    from kiosk.ledger.service import open_ledger

    before, head = schema_revision(settings)
    if before is None:
        raise UpgradeFailed("ledger", "the database holds no ledger: only `kiosk init` creates one")
    try:
        ledger = open_ledger(settings, migrate=False)  # the start-up check, on the schema as it is
    except (IntegrityRefused, AnchorError) as exc:
        raise UpgradeFailed("start-up check", str(exc)) from None
    try:
        report, _ = verify_against_log(ledger, settings)
        if not report.ok:
            raise UpgradeFailed(
                "verify",
                f"the ledger does not verify (seq {report.first_bad_seq}): {report.problem}; nothing was"
                " migrated: see README, When the start-up check refuses",
            )
        if before == head:
            return Upgraded(before, head, None, False, report.events, migrated=False)
        try:
            made = backup(ledger, settings, note_anchors=False)  # a failed upgrade changes nothing
        except (BackupError, OSError) as exc:
            raise UpgradeFailed("backup", f"{exc}; nothing was migrated") from None
    finally:
        ledger.engine.dispose()
    try:
        upgrade(ledger.engine)
    except (SQLAlchemyError, CommandError) as exc:
        first = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
        now, _ = schema_revision(settings)
        state = "the ledger is as it was" if now == before else f"the schema is at {now}: restore the backup"
        raise UpgradeFailed(
            "migration", f"{before} → {head} failed ({first}); {state} (schema {now})", made.path
        ) from None
    finally:
        ledger.engine.dispose()
    ledger = open_ledger(settings, migrate=False, check=False)
    try:
        after, _ = verify_against_log(ledger, settings)
        if not after.ok:
            raise UpgradeFailed(
                "verify after migrating",
                f"seq {after.first_bad_seq}: {after.problem}: stop the kiosks and restore the backup",
                made.path,
            )
        # A backup's name carries its time, often a run of 12+ digits the guard refuses: then the copy is
        # named on the chain by its head's sequence number alone (as `kiosk restore` does).
        shown = "(withheld: 12 digits)" if holds_individual_number(made.path.name) else made.path.name
        # The backup wrote an anchor line: the chain says this kiosk keeps anchors (issue 22), now that
        # the upgrade went through (a failed one leaves the ledger as it was).
        note_kept(ledger, settings, AnchorLog(data_paths(settings).anchor_log, ledger.pepper))
        with ledger.unit() as u:
            u.append(
                EventKind.LEDGER_UPGRADED,
                device=ledger.kiosk,
                payload=LedgerUpgraded(before, head, shown, made.anchor.seq),
            )
    finally:
        ledger.engine.dispose()
    return Upgraded(before, head, made.path, made.verified, after.events, migrated=True)
