"""Every event kind the ledger holds: one `EventKind` enum, one frozen payload type per kind, its names.

One registry for the writers (the ledger appends `EventKind` members through `encode`), the paper
records (管理簿, 日次締め, カード別履歴), the TUI's history screens, the supervisor's view and `verify`
(which names an event of a kind that is not here). `EventKind` is a `StrEnum` whose values are the
strings the chain has always held, so the chain format is unchanged and every existing ledger verifies.

A payload is written either as its type (`TakenOut(override_by=…, reason=…)`) or, on older write paths,
as a mapping that `encode` checks against the type's fields; both come out as the same canonical dict.
Fields listed in a type's `OMIT_NONE` are left out when None (the chain never held them then).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar


class EventKind(enum.StrEnum):
    """The kinds of event on the chain (values are the stored strings)."""

    # The card's status machine (kiosk.domain.status.Action).
    CARD_RECEIVED = "card_received"
    CARD_STORED = "card_stored"
    CARD_TAKEN_OUT = "card_taken_out"
    CARD_PUT_BACK = "card_put_back"
    CARD_ISSUED = "card_issued"
    CARD_CANCELLED = "card_cancelled"
    CARD_DISPOSED = "card_disposed"
    CARD_MISSING = "card_missing"
    CARD_FOUND = "card_found"
    # Other card events.
    CARD_NOTICE_SENT = "card_notice_sent"
    CARD_REMINDER_SENT = "card_reminder_sent"
    CARD_HOLD_SET = "card_hold_set"
    CARD_HOLD_RELEASED = "card_hold_released"
    CARD_APPLICANT_SET = "card_applicant_set"
    RFID_BOUND = "rfid_bound"
    BATCH_RECEIVED = "batch_received"
    DELIVERY_DISCREPANCY = "delivery_discrepancy"
    PICK_LIST_ADDED = "pick_list_added"
    # The safe.
    SESSION_OPENED = "session_opened"
    SESSION_CLOSED = "session_closed"
    SESSION_JOINED = "session_joined"
    # Refusals, people and devices.
    REFUSED = "refused"
    AUTH_FAILED = "auth_failed"
    SIGNED_IN = "signed_in"
    LEDGER_VERIFIED = "ledger_verified"
    DEVICE_OFFLINE = "device_offline"
    DEVICE_ONLINE = "device_online"
    STAFF_ADDED = "staff_added"
    STAFF_DEACTIVATED = "staff_deactivated"
    STAFF_REACTIVATED = "staff_reactivated"
    STAFF_ROLE_CHANGED = "staff_role_changed"
    STAFF_PIN_RESET = "staff_pin_reset"
    STAFF_LOCKED = "staff_locked"
    STAFF_UNLOCKED = "staff_unlocked"
    STAFF_LOCK_EXPIRED = "staff_lock_expired"
    # Retention and disposal.
    DISPOSAL_PREPARED = "disposal_prepared"
    DISPOSAL_APPROVED = "disposal_approved"
    DISPOSAL_FINISHED = "disposal_finished"
    # Stocktake (点検).
    STOCKTAKE_STARTED = "stocktake_started"
    STOCKTAKE_LOCATION = "stocktake_location"
    STOCKTAKE_COUNTED = "stocktake_counted"
    STOCKTAKE_RECOUNTED = "stocktake_recounted"
    STOCKTAKE_BATCH = "stocktake_batch"
    STOCKTAKE_SEARCH_AGAIN = "stocktake_search_again"
    STOCKTAKE_FINISHED = "stocktake_finished"
    INCIDENT_OPENED = "incident_opened"
    OFFICER_HANDOVER = "officer_handover"
    # The ledger itself.
    LEDGER_CREATED = "ledger_created"
    LEDGER_IDENTIFIED = "ledger_identified"
    LEDGER_RESTORED = "ledger_restored"
    LEDGER_UPGRADED = "ledger_upgraded"


# -- payload types ---------------------------------------------------------------------------------


class Payload:
    """Base of the payload types: `encode()` gives the canonical dict the chain hashes."""

    __slots__ = ()
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()

    def encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            key = f.name.rstrip("_")  # `from_` is stored as "from"
            if value is None and key in self.OMIT_NONE:
                continue
            out[key] = _plain(value)
        return out


def _plain(value: Any) -> Any:
    """Tuples become lists and mappings dicts, as JSON holds them."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True, slots=True)
class NoPayload(Payload):
    """An event whose row says it all."""


@dataclass(frozen=True, slots=True)
class Received(Payload):
    kind: str
    batch: str
    location: str


@dataclass(frozen=True, slots=True)
class AtLocation(Payload):
    """card_stored, card_put_back, stocktake_location (None: the whole safe)."""

    location: str | None


@dataclass(frozen=True, slots=True)
class TakenOut(Payload):
    """A take-out; a supervisor's override names the supervisor and the reason."""

    OMIT_NONE = frozenset({"override_by", "reason"})
    override_by: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Issued(Payload):
    OMIT_NONE = frozenset({"location"})
    location: str | None = None


@dataclass(frozen=True, slots=True)
class Cancelled(Payload):
    batch: int
    location: str


@dataclass(frozen=True, slots=True)
class Disposed(Payload):
    batch: int
    method: str


@dataclass(frozen=True, slots=True)
class Missing(Payload):
    OMIT_NONE = frozenset({"stocktake"})
    note: str
    stocktake: int | None = None


@dataclass(frozen=True, slots=True)
class Found(Payload):
    OMIT_NONE = frozenset({"note", "stocktake"})
    location: str
    note: str | None = None
    stocktake: int | None = None


@dataclass(frozen=True, slots=True)
class SentOn(Payload):
    """card_notice_sent, card_reminder_sent: the ISO date the letter went out."""

    date: str


@dataclass(frozen=True, slots=True)
class HoldSet(Payload):
    reason: str


@dataclass(frozen=True, slots=True)
class ApplicantSet(Payload):
    ref: str  # the fold (kiosk.domain.card_state) reads "ref"


@dataclass(frozen=True, slots=True)
class RfidBound(Payload):
    tag: str


@dataclass(frozen=True, slots=True)
class BatchReceived(Payload):
    batch: str
    count: int


@dataclass(frozen=True, slots=True)
class DeliveryDiscrepancy(Payload):
    """A delivery whose count differed (受領時の相違): the slip's count, the list's, what was scanned and
    received, and every card missing, extra or scanned twice."""

    batch: str
    slip: int
    listed: int
    scanned: int
    received: int
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    duplicates: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Booked(Payload):
    day: str


@dataclass(frozen=True, slots=True)
class Checklist(Payload):
    """session_opened, session_closed: the checklist items both people confirmed."""

    checklist: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StaffRef(Payload):
    """session_joined and the staff events that name only the member."""

    staff: int


@dataclass(frozen=True, slots=True)
class Refused(Payload):
    """A refused attempt: the reason code and the act, never the refused value."""

    reason: str
    attempted: str


@dataclass(frozen=True, slots=True)
class AuthFailed(Payload):
    reason: str


@dataclass(frozen=True, slots=True)
class LedgerVerified(Payload):
    ok: bool
    events: int
    anchors: int


@dataclass(frozen=True, slots=True)
class DeviceOffline(Payload):
    device: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeviceOnline(Payload):
    device: str


@dataclass(frozen=True, slots=True)
class StaffAdded(Payload):
    OMIT_NONE = frozenset({"bootstrap"})
    staff: int
    name: str
    badge: str
    employee_no: str
    role: str
    rank: int | None
    bootstrap: bool | None = None


@dataclass(frozen=True, slots=True)
class RoleChanged(Payload):
    staff: int
    role: str
    rank: int | None


@dataclass(frozen=True, slots=True)
class DisposalPrepared(Payload):
    cards: tuple[str, ...]
    policy: str


@dataclass(frozen=True, slots=True)
class DisposalApproved(Payload):
    batch: int


@dataclass(frozen=True, slots=True)
class DisposalFinished(Payload):
    batch: int
    method: str
    disposed: tuple[str, ...]
    not_scanned: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StocktakeStarted(Payload):
    expected: int
    expected_sha256: str
    reads_on_chain: bool


@dataclass(frozen=True, slots=True)
class Counted(Payload):
    """One sighting: its verdict and place; `id` only for an ID that is not a card of ours."""

    OMIT_NONE = frozenset({"id", "note"})
    verdict: str
    location: str | None
    id: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Recounted(Payload):
    OMIT_NONE = frozenset({"id"})
    location: str | None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class StocktakeBatch(Payload):
    OMIT_NONE = frozenset({"refused", "unbound_tags", "times"})
    location: str | None
    counted: Mapping[str, tuple[str, ...]]
    refused: Mapping[str, int] | None = None
    unbound_tags: tuple[str, ...] | None = None
    times: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class SearchAgain(Payload):
    cards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StocktakeFinished(Payload):
    expected: int
    found: int
    recorded_missing: tuple[str, ...]
    notes: Mapping[str, str]
    found_elsewhere: tuple[str, ...]
    incidents: tuple[int, ...]
    recovered: tuple[str, ...]
    misplaced: tuple[str, ...]
    unexpected: tuple[str, ...]
    unknown: tuple[str, ...]
    duplicates: int
    sources: Mapping[str, int]
    reads: int


@dataclass(frozen=True, slots=True)
class IncidentOpened(Payload):
    type: str
    stocktake: int
    note: str


@dataclass(frozen=True, slots=True)
class OfficerHandover(Payload):
    from_: int
    to: int


@dataclass(frozen=True, slots=True)
class LedgerIdentity(Payload):
    ledger: str
    pepper_check: str


@dataclass(frozen=True, slots=True)
class LedgerRestored(Payload):
    restored_head_seq: int
    restored_head_hash: str
    source: str
    behind_anchor_seq: int | None
    behind_anchor_hash: str | None


@dataclass(frozen=True, slots=True)
class LedgerUpgraded(Payload):
    """`kiosk upgrade`: the schema migrated after a verified backup (both verifies passed)."""

    from_revision: str | None
    to_revision: str | None
    backup: str
    backup_seq: int


# -- the registry ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KindInfo:
    """How people call one kind of event (`ja` on paper and in the Japanese UI), and its payload type."""

    ja: str
    en: str
    payload_type: type[Payload] = NoPayload

    @property
    def payload(self) -> tuple[str, ...]:
        """The keys its payload may carry."""
        return tuple(f.name.rstrip("_") for f in fields(self.payload_type))  # type: ignore[arg-type]


K = EventKind
KINDS: dict[EventKind, KindInfo] = {
    K.CARD_RECEIVED: KindInfo("受領", "received", Received),
    K.CARD_STORED: KindInfo("保管庫へ格納", "stored", AtLocation),
    K.CARD_TAKEN_OUT: KindInfo("持出", "taken out", TakenOut),
    K.CARD_PUT_BACK: KindInfo("返却（保管庫へ戻す）", "put back", AtLocation),
    K.CARD_ISSUED: KindInfo("交付", "issued", Issued),
    K.CARD_CANCELLED: KindInfo("交付取りやめ", "cancelled", Cancelled),
    K.CARD_DISPOSED: KindInfo("廃棄", "disposed", Disposed),
    K.CARD_MISSING: KindInfo("所在不明", "missing", Missing),
    K.CARD_FOUND: KindInfo("発見（保管庫へ）", "found", Found),
    K.CARD_NOTICE_SENT: KindInfo("交付通知書送付", "notice sent", SentOn),
    K.CARD_REMINDER_SENT: KindInfo("督促状送付", "reminder sent", SentOn),
    K.CARD_HOLD_SET: KindInfo("保留開始", "hold set", HoldSet),
    K.CARD_HOLD_RELEASED: KindInfo("保留解除", "hold released"),
    K.CARD_APPLICANT_SET: KindInfo("申請者参照の設定", "applicant reference set", ApplicantSet),
    K.RFID_BOUND: KindInfo("RFIDタグ登録", "RFID tag bound", RfidBound),
    K.BATCH_RECEIVED: KindInfo("納品受領", "delivery received", BatchReceived),
    K.DELIVERY_DISCREPANCY: KindInfo("受領時の相違", "delivery discrepancy", DeliveryDiscrepancy),
    K.PICK_LIST_ADDED: KindInfo("交付予定登録", "booked for issue", Booked),
    K.SESSION_OPENED: KindInfo("保管庫開錠", "safe opened", Checklist),
    K.SESSION_CLOSED: KindInfo("保管庫施錠", "safe closed", Checklist),
    K.SESSION_JOINED: KindInfo("保管庫利用への参加", "joined the safe session", StaffRef),
    K.REFUSED: KindInfo("拒否", "refused", Refused),
    K.AUTH_FAILED: KindInfo("認証失敗", "sign-in failed", AuthFailed),
    K.SIGNED_IN: KindInfo("サインイン", "signed in"),
    K.LEDGER_VERIFIED: KindInfo("管理簿の検証（日次締め）", "ledger verified (daily close)", LedgerVerified),
    K.DEVICE_OFFLINE: KindInfo("機器の切断", "device offline", DeviceOffline),
    K.DEVICE_ONLINE: KindInfo("機器の再接続", "device back online", DeviceOnline),
    K.STAFF_ADDED: KindInfo("職員登録", "staff added", StaffAdded),
    K.STAFF_DEACTIVATED: KindInfo("職員無効化", "staff deactivated", StaffRef),
    K.STAFF_REACTIVATED: KindInfo("職員の再有効化", "staff reactivated", StaffRef),
    K.STAFF_ROLE_CHANGED: KindInfo("職員の役割変更", "staff role changed", RoleChanged),
    K.STAFF_PIN_RESET: KindInfo("PINの再設定", "PIN reset", StaffRef),
    K.STAFF_LOCKED: KindInfo("職員ロック", "staff locked", StaffRef),
    K.STAFF_UNLOCKED: KindInfo("ロック解除", "staff unlocked", StaffRef),
    K.STAFF_LOCK_EXPIRED: KindInfo("ロックの時間切れ解除", "lock expired", StaffRef),
    K.DISPOSAL_PREPARED: KindInfo("廃棄リスト作成", "disposal list prepared", DisposalPrepared),
    K.DISPOSAL_APPROVED: KindInfo("廃棄承認", "disposal approved", DisposalApproved),
    K.DISPOSAL_FINISHED: KindInfo("廃棄実施", "disposal carried out", DisposalFinished),
    K.STOCKTAKE_STARTED: KindInfo("点検開始", "stocktake started", StocktakeStarted),
    K.STOCKTAKE_LOCATION: KindInfo("点検場所の読取", "stocktake location scanned", AtLocation),
    K.STOCKTAKE_COUNTED: KindInfo("点検で確認", "counted in stocktake", Counted),
    K.STOCKTAKE_RECOUNTED: KindInfo("点検で再確認", "counted again in stocktake", Recounted),
    K.STOCKTAKE_BATCH: KindInfo("点検の一括読取", "stocktake batch read", StocktakeBatch),
    K.STOCKTAKE_SEARCH_AGAIN: KindInfo("再捜索", "search again", SearchAgain),
    K.STOCKTAKE_FINISHED: KindInfo("点検終了", "stocktake finished", StocktakeFinished),
    K.INCIDENT_OPENED: KindInfo("事故報告の起票", "incident opened", IncidentOpened),
    K.OFFICER_HANDOVER: KindInfo("保管責任者の交代", "officer handover", OfficerHandover),
    K.LEDGER_CREATED: KindInfo("管理簿の作成", "ledger created", LedgerIdentity),
    K.LEDGER_IDENTIFIED: KindInfo("管理簿の識別子の記録", "ledger identified", LedgerIdentity),
    K.LEDGER_RESTORED: KindInfo("バックアップからの復元", "restored from a backup", LedgerRestored),
    K.LEDGER_UPGRADED: KindInfo("管理簿のスキーマ更新", "ledger upgraded", LedgerUpgraded),
}
del K

_KEYS: dict[str, frozenset[str]] = {kind.value: frozenset(info.payload) for kind, info in KINDS.items()}


class UnknownPayload(ValueError):
    """A payload that does not fit its kind: an unregistered kind, or a key the kind's type lacks."""


def encode(kind: str, payload: Payload | Mapping[str, Any] | None) -> dict[str, Any]:
    """The canonical payload dict of an event of `kind` (the one mapper every writer goes through)."""
    keys = _KEYS.get(kind)
    if keys is None:
        raise UnknownPayload(f"event kind {kind!r} is not in the registry")
    if payload is None:
        return {}
    if isinstance(payload, Payload):
        if type(payload) is not KINDS[EventKind(kind)].payload_type:
            raise UnknownPayload(f"{type(payload).__name__} is not the payload of {kind}")
        return payload.encode()
    extra = set(payload) - keys
    if extra:
        raise UnknownPayload(f"{kind} carries no {', '.join(sorted(extra))}")
    return dict(payload)


def info(kind: str | None) -> KindInfo | None:
    """The registry's entry for a stored kind string (None when the registry does not name it)."""
    if kind is None:
        return None
    try:
        return KINDS[EventKind(kind)]
    except ValueError:
        return None


def kind_name(kind: str, language: str = "ja") -> str:
    """The name of an event kind in `language` ("ja" or "en"); an unregistered kind shows its code."""
    try:
        entry = KINDS[EventKind(kind)]
    except ValueError:
        return kind
    return entry.en if language == "en" else entry.ja


def is_registered(kind: str) -> bool:
    """True when `kind` has names in the registry."""
    return kind in _KEYS
