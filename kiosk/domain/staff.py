"""Staff, roles and authentication rules (PIN hashing, lockout, the two-person rule)."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from drivers import damm

MAX_FAILED_ATTEMPTS = 5
# A lockout ends by itself after this long (configurable: `[staff] lockout_minutes`), so a prankster at the
# keyboard cannot lock every officer out for good; an administrator with a witness can unlock sooner.
DEFAULT_LOCKOUT_MINUTES = 30
PIN_MIN_LENGTH = 4
PIN_MAX_LENGTH = 12

# scrypt cost: ~50 ms on a kiosk PC, so guessing a 4-6 digit PIN from a stolen database is slow,
# while a sign-in stays instant for a person.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


class Role(enum.StrEnum):
    """What a member of staff may do."""

    CLERK = "clerk"  # 交付担当
    OFFICER = "officer"  # 保管責任者 (with a rank: 正, 副1, 副2 …)
    SUPERVISOR = "supervisor"  # 責任者/管理職
    ADMIN = "admin"  # システム管理者


def rank_label(rank: int | None) -> str:
    """The Japanese label of an officer rank: 0 → 正, 1 → 副1, …"""
    if rank is None:
        return ""
    return "正" if rank == 0 else f"副{rank}"


def parse_rank(text: str) -> int:
    """Parse a rank as typed on the CLI: 正/0/primary, 副1/1, 副2/2 …"""
    value = text.strip()
    if value in {"正", "0", "primary"}:
        return 0
    value = value.removeprefix("副").removeprefix("deputy")
    if value.isdigit() and int(value) >= 1:
        return int(value)
    raise ValueError(f"rank must be 正 (0) or 副N (N ≥ 1), not {text!r}")


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A member of staff as the rules see them (a frozen view, never a live ORM object)."""

    id: int
    name: str
    badge: str
    role: Role
    rank: int | None
    active: bool
    failed_attempts: int = 0
    employee_no: str = ""  # 職員番号: one person, one account
    locked_at: datetime | None = None
    # A PIN an administrator reset is one-time: its owner must choose a new one before anything else.
    pin_change_due: bool = False

    @property
    def locked(self) -> bool:
        """Locked out by failed sign-ins (whether or not the lockout has run out by now)."""
        return self.failed_attempts >= MAX_FAILED_ATTEMPTS

    def is_locked(self, now: datetime, lockout_minutes: int = DEFAULT_LOCKOUT_MINUTES) -> bool:
        """Locked out now: the count reached the maximum and the lockout has not yet run out."""
        if not self.locked:
            return False
        if self.locked_at is None:
            return True
        return now - self.locked_at < timedelta(minutes=lockout_minutes)

    @property
    def is_officer(self) -> bool:
        return self.role is Role.OFFICER

    @property
    def display(self) -> str:
        rank = rank_label(self.rank)
        return f"{self.name}（{rank}）" if rank else self.name


class AuthError(Exception):
    """Sign-in refused. `reason`: unknown_badge, wrong_pin, locked, inactive."""

    def __init__(self, reason: str, remaining: int | None = None) -> None:
        self.reason = reason
        self.remaining = remaining
        super().__init__(reason if remaining is None else f"{reason} ({remaining} attempts left)")


class TwoPersonError(ValueError):
    """The two-person rule was not met. `reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def check_rank(role: Role, rank: int | None) -> None:
    """Officers (保管責任者) have a rank, 正 (0) or 副1 … 副99; nobody else has one."""
    if role is Role.OFFICER and rank is None:
        raise ValueError("a responsible officer needs a rank (正, 副1, 副2 …)")
    if role is not Role.OFFICER and rank is not None:
        raise ValueError("only responsible officers have a rank")
    if rank is not None and not 0 <= rank <= 99:
        raise ValueError("an officer rank is 正 (0) or 副1 … 副99")


def normalize_badge(text: str) -> str:
    """The one form of a badge code: NFKC, case-folded (stored upper-case), no surrounding space.

    `o001`, `Ｏ００１` and `O001` are one badge, so one person cannot hold two by changing the case.
    """
    value = unicodedata.normalize("NFKC", text).strip().casefold().upper()
    if not value or not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError("a badge code is printable ASCII without spaces")
    if len(value) > 64:
        raise ValueError("a badge code is at most 64 characters")
    return value


def normalize_employee_no(text: str) -> str:
    """The one form of an employee number (職員番号): NFKC, upper-case ASCII letters, digits, `-`."""
    value = unicodedata.normalize("NFKC", text).strip().upper()
    if not value or len(value) > 32 or not all(c.isascii() and (c.isalnum() or c == "-") for c in value):
        raise ValueError("an employee number (職員番号) is 1–32 ASCII letters, digits or '-'")
    return value


def _name_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def _number_key(employee_no: str) -> str:
    digits = "".join(c for c in unicodedata.normalize("NFKC", employee_no) if c.isascii() and c.isdigit())
    return digits.lstrip("0") or ("0" if digits else "")


def suggests_same_person(name: str, employee_no: str, other: StaffMember) -> bool:
    """Whether a new account (name, employee number) suggests the same person as `other`.

    "Suggests" is concrete: the same name after NFKC and case folding with every space removed
    (`情報 管理子` and `情報管理子`, full-width or not), or the same employee number digits ignoring any
    prefix and zero padding (`E-0042`, `42`, `X42`; a number without digits is compared by name only).
    """
    if _name_key(name) and _name_key(name) == _name_key(other.name):
        return True
    mine = _number_key(employee_no)
    return bool(mine) and mine == _number_key(other.employee_no)


def validate_pin(pin: str) -> None:
    """A PIN is 4–12 ASCII digits, and never has the form of a management ID.

    A card label read while a PIN field waits (a keyboard-wedge scanner types into it) is then told
    apart from a PIN without trying it, so it never counts towards the person's lockout.
    """
    if not (pin.isascii() and pin.isdigit()) or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        raise ValueError(f"a PIN is {PIN_MIN_LENGTH}–{PIN_MAX_LENGTH} digits")
    if damm.is_management_id(pin):
        raise ValueError("a PIN must not have the form of a management ID (10 digits with a check digit)")


def hash_pin(pin: str, pepper: bytes) -> str:
    """A slow salted hash of the PIN, keyed with a pepper kept outside the database."""
    validate_pin(pin)
    salt = secrets.token_bytes(16)
    digest = _scrypt(pin, salt, pepper)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str, pepper: bytes) -> bool:
    """True when `pin` matches the stored hash (constant-time compare)."""
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(
        pepper + pin.encode(), salt=bytes.fromhex(salt_hex), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(digest, bytes.fromhex(digest_hex))


def _scrypt(pin: str, salt: bytes, pepper: bytes) -> bytes:
    return hashlib.scrypt(pepper + pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)


def require_two_people(
    operator: StaffMember, witness: StaffMember, *, need_officer: bool = False, need_supervisor: bool = False
) -> None:
    """Refuse the same person twice, an inactive or locked person, or a pair without the needed role.

    `need_officer`: at least one of the two is a responsible officer (opening/closing the safe).
    `need_supervisor`: at least one is a supervisor (disposal approval, overrides).
    """
    if operator.id == witness.id:
        raise TwoPersonError("same_person", "the operator and the witness must be two different people")
    for person in (operator, witness):
        if not person.active:
            raise TwoPersonError("inactive", f"{person.name} is deactivated")
        if person.locked:
            raise TwoPersonError("locked", f"{person.name} is locked out")
    if need_officer and not (operator.is_officer or witness.is_officer):
        raise TwoPersonError("need_officer", "one of the two must be a responsible officer (保管責任者)")
    if need_supervisor and Role.SUPERVISOR not in (operator.role, witness.role):
        raise TwoPersonError("need_supervisor", "one of the two must be a supervisor (責任者)")


# -- the pepper's MACs over the rows that authorise (issue 22) ---------------------------------------
# Plain HMACs: the ledger stores them and checks them at every sign-in and authorisation.


def pin_mac(pepper: bytes, staff_id: int, pin_hash: str) -> str:
    """Binds a PIN hash to one member: a hash copied onto another row no longer matches its MAC."""
    return hmac.new(pepper, f"kiosk-pin\n{staff_id}\n{pin_hash}".encode(), hashlib.sha256).hexdigest()


ROW_MAC_VERSION = 1


class StaffRow(Protocol):
    """The authorising columns of a staff row (an ORM row or a plain select of them)."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def rank(self) -> int | None: ...
    @property
    def active(self) -> bool: ...
    @property
    def failed_attempts(self) -> int: ...
    @property
    def locked_at(self) -> datetime | None: ...
    @property
    def pin_hash(self) -> str: ...
    @property
    def pin_change_due(self) -> bool: ...


def row_mac(pepper: bytes, row: StaffRow) -> str:
    """The MAC over every column that authorises: role, rank, active, lock state, PIN hash, one-time PIN.

    Written by the core with each change (`seal`); checked at every sign-in and authorisation, so a row
    edited in the database (a clerk made officer, a lock cleared, a PIN hash copied) is refused at once.
    """
    locked = "" if row.locked_at is None else row.locked_at.astimezone(UTC).isoformat(timespec="microseconds")
    fields = (
        f"kiosk-staff-row v{ROW_MAC_VERSION}",
        str(row.id),
        str(row.role),
        "" if row.rank is None else str(int(row.rank)),
        "1" if row.active else "0",
        str(int(row.failed_attempts or 0)),
        locked,
        str(row.pin_hash),
        "1" if row.pin_change_due else "0",
    )
    return hmac.new(pepper, "\n".join(fields).encode(), hashlib.sha256).hexdigest()


def row_bound(pepper: bytes, row: Any, *, sealed: bool | Callable[[], bool]) -> bool:
    """A row (object or mapping) carries its MAC; rows of an unsealed ledger may lack one."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    stored = get("row_mac")
    if stored is None:
        # Only a row without a MAC asks whether the ledger is sealed (a query, cached once true).
        return not (sealed() if callable(sealed) else sealed)
    return hmac.compare_digest(str(stored), values_mac(pepper, row))


def values_mac(pepper: bytes, row: Any) -> str:
    """`row_mac` of a row given as an object or a mapping of its columns (as read, or about to be
    written by a statement rather than the ORM: a restore carrying staff rows)."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    view = _RowView(
        id=int(str(get("id"))),
        role=str(get("role")),
        rank=get("rank"),
        active=bool(get("active")),
        failed_attempts=int(str(get("failed_attempts") or 0)),
        locked_at=_as_time(get("locked_at")),
        pin_hash=str(get("pin_hash")),
        pin_change_due=bool(get("pin_change_due")),
    )
    return row_mac(pepper, view)


@dataclass(frozen=True, slots=True)
class _RowView:
    id: int
    role: str
    rank: int | None
    active: bool
    failed_attempts: int
    locked_at: datetime | None
    pin_hash: str
    pin_change_due: bool


def _as_time(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value)
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
