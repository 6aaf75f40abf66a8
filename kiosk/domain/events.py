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
    HANDED_OVER_CARD_SEEN = "handed_over_card_seen"  # an alarm: the card should be with its holder
    RFID_BOUND = "rfid_bound"
    BATCH_RECEIVED = "batch_received"
    DELIVERY_DISCREPANCY = "delivery_discrepancy"
    PICK_LIST_ADDED = "pick_list_added"
    # The safe.
    SESSION_OPENED = "session_opened"
    SESSION_CLOSED = "session_closed"
    SESSION_JOINED = "session_joined"
    # The safe's own signals (door contact and lock on an I/O module, kiosk.domain.safe_door).
    SAFE_DOOR_OPENED = "safe_door_opened"
    SAFE_DOOR_CLOSED = "safe_door_closed"
    SAFE_LOCK_RELEASED = "safe_lock_released"
    SAFE_LOCK_ENGAGED = "safe_lock_engaged"
    SAFE_DOOR_FORCED = "safe_door_forced"
    SAFE_DOOR_LEFT_OPEN = "safe_door_left_open"
    SAFE_IO_OFFLINE = "safe_io_offline"
    SAFE_IO_ONLINE = "safe_io_online"
    SAFE_ALARM_ACKNOWLEDGED = "safe_alarm_acknowledged"
    SAFE_MANUAL_APPROVED = "safe_manual_approved"
    # Refusals, people and devices.
    REFUSED = "refused"
    AUTH_FAILED = "auth_failed"
    SIGNED_IN = "signed_in"
    LEDGER_VERIFIED = "ledger_verified"
    DAILY_CLOSED = "daily_closed"
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
    STAFF_TRAINED = "staff_trained"
    STAFF_PIN_SET = "staff_pin_set"  # the member chose a new PIN (ends a one-time PIN)
    STAFF_SEALED = "staff_sealed"  # the staff rows were put under the pepper's MAC (first open)
    WEB_SIGNED_OUT = "web_signed_out"  # the member's web sessions end (sign-out at the supervisor's view)
    INTEGRITY_ALERT = "integrity_alert"  # an authorising row did not carry its MAC: refused
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
    RESTORE_ACKNOWLEDGED = "restore_acknowledged"
    LEDGER_UPGRADED = "ledger_upgraded"
    ANCHORS_KEPT = "anchors_kept"  # this kiosk wrote its first anchor line: its log must exist from now
    # This PC wrote its first staff-journal line: a restore that drops events needs its journal.
    JOURNAL_KEPT = "journal_kept"
    # Alerts that reach people (kiosk.domain.alerts): the chain is their durable outbox.
    ALERT_QUEUED = "alert_queued"
    ALERT_SENT = "alert_sent"
    ALERT_FAILED = "alert_failed"


# -- payload types ---------------------------------------------------------------------------------


class Payload:
    """Base of the payload types: `encode()` gives the canonical dict the chain hashes."""

    __slots__ = ()
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()
    # Fields left out when empty (added to a kind after events of it were on chains).
    OMIT_EMPTY: ClassVar[frozenset[str]] = frozenset()

    def encode(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            key = f.name.rstrip("_")  # `from_` is stored as "from"
            if value is None and key in self.OMIT_NONE:
                continue
            if value == () and key in self.OMIT_EMPTY:
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
    """A take-out; a supervisor's override names the supervisor, the reason and an optional note.

    `reason` is one of the configured override reasons (予約外来庁, 郵送, 再交付, その他 …; free text on
    overrides recorded before the list existed); `note` the free text added to it.
    """

    OMIT_NONE = frozenset({"override_by", "reason", "note"})
    override_by: int | None = None
    reason: str | None = None
    note: str | None = None


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
    """The opaque applicant reference (申請者参照); a correction names the event it corrects and why."""

    OMIT_NONE = frozenset({"corrects", "reason"})
    ref: str  # the fold (kiosk.domain.card_state) reads "ref"
    corrects: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class HandedOverSeen(Payload):
    """A card recorded as handed over (交付済) was scanned at the safe: `attempted` is the scan's mode."""

    attempted: str


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

    OMIT_NONE = frozenset({"door", "lock", "manual"})
    checklist: tuple[str, ...]
    # Where the safe has a door contact and a lock (session_closed): the door and lock at closing,
    # and (session_opened) "key" when the module was offline and the manual procedure was approved.
    door: str | None = None
    lock: str | None = None
    manual: str | None = None


@dataclass(frozen=True, slots=True)
class DoorMoved(Payload):
    """safe_door_opened, safe_door_closed: `while_offline` when the module, back after an outage, read
    a door other than the one last recorded (the change happened while nobody could see it)."""

    OMIT_NONE = frozenset({"while_offline"})
    while_offline: bool | None = None


@dataclass(frozen=True, slots=True)
class LockMoved(Payload):
    """safe_lock_released, safe_lock_engaged: why (commanded, timer, door_opened, read)."""

    reason: str


@dataclass(frozen=True, slots=True)
class DoorForced(Payload):
    """safe_door_forced: the door opened with no safe session open (a key, or force)."""

    lock: str  # the lock as last known: engaged (a key or force) or released
    while_offline: bool


@dataclass(frozen=True, slots=True)
class DoorLeftOpen(Payload):
    """safe_door_left_open: the door stayed open past `[safe_io] door_open_limit_s`."""

    opened_seq: int
    limit_s: int


@dataclass(frozen=True, slots=True)
class SafeIoDown(Payload):
    """safe_io_offline: the module stopped answering, and the driver's short reason."""

    module: str
    reason: str


@dataclass(frozen=True, slots=True)
class SafeIoUp(Payload):
    """safe_io_online: the module answers (again); the door it reads follows as its own event."""

    module: str


@dataclass(frozen=True, slots=True)
class AlarmAcknowledged(Payload):
    """safe_alarm_acknowledged: a supervisor acknowledged a forced-door alarm (the incident), why."""

    incident: int
    forced: int
    reason: str


@dataclass(frozen=True, slots=True)
class ManualApproved(Payload):
    """safe_manual_approved: with the module offline, a supervisor approved the manual (key) procedure."""

    supervisor: int
    reason: str
    outage: int  # the safe_io_offline event it answers


@dataclass(frozen=True, slots=True)
class StaffRef(Payload):
    """session_joined and the staff events that name only the member."""

    staff: int


@dataclass(frozen=True, slots=True)
class PinChanged(Payload):
    """staff_pin_reset and staff_pin_set: the member, and the MAC that binds the new PIN hash to them.

    The PIN and its hash are never on the chain; the MAC (HMAC under the pepper over the member's id and
    the hash, what the row's `pin_mac` holds) tells without them which PIN hash is the newest. A row
    put back with an older PIN hash, with its own valid MACs, is then refused at sign-in. Absent on
    events written before it was recorded.
    """

    OMIT_NONE = frozenset({"pin_mac"})
    staff: int
    pin_mac: str | None = None


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
class DailyClosed(Payload):
    """日次締め: the office day closed, the head printed on its paper (and anchored), the events verified."""

    day: str  # ISO office date
    head_seq: int
    head_hash: str
    verified: int  # events the close's full verify walked


@dataclass(frozen=True, slots=True)
class DeviceOffline(Payload):
    device: str
    reason: str


@dataclass(frozen=True, slots=True)
class DeviceOnline(Payload):
    device: str


@dataclass(frozen=True, slots=True)
class StaffAdded(Payload):
    OMIT_NONE = frozenset({"bootstrap", "pin_mac"})
    staff: int
    name: str
    badge: str
    employee_no: str
    role: str
    rank: int | None
    bootstrap: bool | None = None
    # The first PIN's MAC (see `PinChanged`); absent on events written before it was recorded.
    pin_mac: str | None = None


@dataclass(frozen=True, slots=True)
class RoleChanged(Payload):
    staff: int
    role: str
    rank: int | None


@dataclass(frozen=True, slots=True)
class StaffTrained(Payload):
    """A training record (研修): the member, the ISO date, its kind (着任時研修, 定期研修 …), the trainer."""

    staff: int
    on: str
    kind: str
    trainer: str


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
    """An incident: a card recorded missing at a stocktake (`stocktake`), or the safe's door forced
    (`forced`, the safe_door_forced event; no stocktake)."""

    OMIT_NONE = frozenset({"forced"})
    type: str
    stocktake: int | None
    note: str
    forced: int | None = None


@dataclass(frozen=True, slots=True)
class OfficerHandover(Payload):
    from_: int
    to: int


@dataclass(frozen=True, slots=True)
class LedgerIdentity(Payload):
    OMIT_NONE = frozenset({"staff_mac"})
    ledger: str
    pepper_check: str
    staff_mac: int | None = None  # the staff rows carry the row MAC of this version from the start


@dataclass(frozen=True, slots=True)
class StaffSealed(Payload):
    staff_mac: int  # the version of the row MAC
    rows: int


@dataclass(frozen=True, slots=True)
class IntegrityAlert(Payload):
    table: str
    row: int
    check: str  # what failed: "row_mac"


@dataclass(frozen=True, slots=True)
class LedgerRestored(Payload):
    """`kiosk restore`: the copy's head, and what the restore dropped (issue 22).

    The officer is the event's actor and the supervisor its witness whenever events were dropped.
    `dropped_first_seq`..`dropped_last_seq`: the events of the replaced ledger (or, when it could not be
    read, up to the checkpoint or the last anchor) that the restored ledger no longer holds;
    `replaced_head_*`: the newest head known outside the copy. `carried_staff_events`: staff events of
    the dropped range put back on this chain (`source` of each: "carried from seq N").
    `confirmed_on`: where the two people were authenticated ("current ledger" or, when it could not be
    read, "copy"). Older restore events lack the fields added here.
    """

    OMIT_NONE = frozenset({"confirmed_on"})
    OMIT_EMPTY = frozenset({"kiosks_read", "kiosks_lost"})
    restored_head_seq: int
    restored_head_hash: str
    source: str
    behind_anchor_seq: int | None
    behind_anchor_hash: str | None
    dropped_first_seq: int | None = None
    dropped_last_seq: int | None = None
    replaced_head_seq: int | None = None
    replaced_head_hash: str | None = None
    carried_staff_events: int = 0
    confirmed_on: str | None = None
    # PostgreSQL: the other kiosk PCs whose anchors folders the restore read ("NAME@SEQ:HASH", that
    # PC's newest committed head: it starts again on the restored chain), and those named lost.
    kiosks_read: tuple[str, ...] = ()
    kiosks_lost: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RestoreAcknowledged(Payload):
    """A supervisor acknowledged a restore (the restore's alert ends): the `ledger_restored` seq."""

    restored_seq: int


@dataclass(frozen=True, slots=True)
class JournalKept(Payload):
    """This kiosk PC (the event's device) keeps a staff journal for this ledger (PostgreSQL: several PCs
    share it). Recorded in the unit of the PC's first staff event, so the chain knows every PC whose
    journal a `restore --in-place` that drops events must read (issue 22). `first_seq`: the first staff
    event of the unit."""

    first_seq: int


@dataclass(frozen=True, slots=True)
class AnchorsKept(Payload):
    """This kiosk (the event's device) keeps an anchor log for this ledger, recorded just before it
    writes its first line (`anchor_number`, that line's running number). From this event on, a start
    of that kiosk with no anchor log is refused: the folder was deleted (issue 22)."""

    anchor_number: int


@dataclass(frozen=True, slots=True)
class LedgerUpgraded(Payload):
    """`kiosk upgrade`: the schema migrated after a verified backup (both verifies passed)."""

    from_revision: str | None
    to_revision: str | None
    backup: str
    backup_seq: int


@dataclass(frozen=True, slots=True)
class AlertQueued(Payload):
    """An alert put into the outbox: its kind (`kiosk.domain.alerts.AlertKind`), the event it came from
    (None for a time-based alert such as the missing daily close), its words and where it goes."""

    alert: str
    source: int | None
    subject: str
    body: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AlertSent(Payload):
    """One channel ("mail", "webhook") of a queued alert (`queued`: its seq) delivered."""

    queued: int
    channel: str


@dataclass(frozen=True, slots=True)
class AlertFailed(Payload):
    """One channel of a queued alert not delivered; tried again from `retry_at` (ISO UTC)."""

    queued: int
    channel: str
    attempt: int
    error: str
    retry_at: str


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
    K.HANDED_OVER_CARD_SEEN: KindInfo(
        "交付済カードの検知（警報）", "handed-over card seen at the safe (alarm)", HandedOverSeen
    ),
    K.RFID_BOUND: KindInfo("RFIDタグ登録", "RFID tag bound", RfidBound),
    K.BATCH_RECEIVED: KindInfo("納品受領", "delivery received", BatchReceived),
    K.DELIVERY_DISCREPANCY: KindInfo("受領時の相違", "delivery discrepancy", DeliveryDiscrepancy),
    K.PICK_LIST_ADDED: KindInfo("交付予定登録", "booked for issue", Booked),
    K.SESSION_OPENED: KindInfo("保管庫開錠", "safe opened", Checklist),
    K.SESSION_CLOSED: KindInfo("保管庫施錠", "safe closed", Checklist),
    K.SESSION_JOINED: KindInfo("保管庫利用への参加", "joined the safe session", StaffRef),
    K.SAFE_DOOR_OPENED: KindInfo("保管庫の扉が開いた", "safe door opened", DoorMoved),
    K.SAFE_DOOR_CLOSED: KindInfo("保管庫の扉が閉じた", "safe door closed", DoorMoved),
    K.SAFE_LOCK_RELEASED: KindInfo("電気錠の解錠", "safe lock released", LockMoved),
    K.SAFE_LOCK_ENGAGED: KindInfo("電気錠の施錠", "safe lock engaged", LockMoved),
    K.SAFE_DOOR_FORCED: KindInfo("保管庫の扉の不正開放", "safe door forced", DoorForced),
    K.SAFE_DOOR_LEFT_OPEN: KindInfo("保管庫の扉の開けっ放し", "safe door left open", DoorLeftOpen),
    K.SAFE_IO_OFFLINE: KindInfo("扉・錠の入出力機器の切断", "safe I/O module offline", SafeIoDown),
    K.SAFE_IO_ONLINE: KindInfo("扉・錠の入出力機器の再接続", "safe I/O module back online", SafeIoUp),
    K.SAFE_ALARM_ACKNOWLEDGED: KindInfo("扉の警報の確認", "door alarm acknowledged", AlarmAcknowledged),
    K.SAFE_MANUAL_APPROVED: KindInfo(
        "鍵による手動手順の承認", "manual (key) procedure approved", ManualApproved
    ),
    K.REFUSED: KindInfo("拒否", "refused", Refused),
    K.AUTH_FAILED: KindInfo("認証失敗", "sign-in failed", AuthFailed),
    K.SIGNED_IN: KindInfo("サインイン", "signed in"),
    K.LEDGER_VERIFIED: KindInfo("管理簿の検証（日次締め）", "ledger verified (daily close)", LedgerVerified),
    K.DAILY_CLOSED: KindInfo("日次締め", "daily close", DailyClosed),
    K.DEVICE_OFFLINE: KindInfo("機器の切断", "device offline", DeviceOffline),
    K.DEVICE_ONLINE: KindInfo("機器の再接続", "device back online", DeviceOnline),
    K.STAFF_ADDED: KindInfo("職員登録", "staff added", StaffAdded),
    K.STAFF_DEACTIVATED: KindInfo("職員無効化", "staff deactivated", StaffRef),
    K.STAFF_REACTIVATED: KindInfo("職員の再有効化", "staff reactivated", StaffRef),
    K.STAFF_ROLE_CHANGED: KindInfo("職員の役割変更", "staff role changed", RoleChanged),
    K.STAFF_PIN_RESET: KindInfo("暗証番号の再設定", "PIN reset", PinChanged),
    K.STAFF_LOCKED: KindInfo("職員ロック", "staff locked", StaffRef),
    K.STAFF_UNLOCKED: KindInfo("ロック解除", "staff unlocked", StaffRef),
    K.STAFF_LOCK_EXPIRED: KindInfo("ロックの時間切れ解除", "lock expired", StaffRef),
    K.STAFF_TRAINED: KindInfo("研修の記録", "training recorded", StaffTrained),
    K.STAFF_PIN_SET: KindInfo("PINの変更（本人）", "PIN set by its owner", PinChanged),
    K.STAFF_SEALED: KindInfo("職員情報の保護（MAC）", "staff rows sealed", StaffSealed),
    K.WEB_SIGNED_OUT: KindInfo("監督画面からのサインアウト", "signed out of the web view", StaffRef),
    K.INTEGRITY_ALERT: KindInfo("改ざんの検知", "integrity alert", IntegrityAlert),
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
    K.RESTORE_ACKNOWLEDGED: KindInfo("復元の確認（責任者）", "restore acknowledged", RestoreAcknowledged),
    K.LEDGER_UPGRADED: KindInfo("管理簿のスキーマ更新", "ledger upgraded", LedgerUpgraded),
    K.ANCHORS_KEPT: KindInfo("控え（アンカー）の記録開始", "anchor log started", AnchorsKept),
    K.JOURNAL_KEPT: KindInfo("職員記録の控えの開始", "staff journal started", JournalKept),
    K.ALERT_QUEUED: KindInfo("通知の登録", "alert queued", AlertQueued),
    K.ALERT_SENT: KindInfo("通知の送信", "alert sent", AlertSent),
    K.ALERT_FAILED: KindInfo("通知の送信失敗（再試行）", "alert not sent (will retry)", AlertFailed),
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
