"""Every event kind the ledger holds, with its Japanese and English names and its payload keys.

One registry for the paper records (管理簿, 日次締め, カード別履歴), the TUI's history screens and
`kiosk verify` (which names an event of a kind that is not here). Adding a kind is one entry in `KINDS`;
a test scans the source for the kinds the code writes and fails on one without names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EventKind:
    """How people call one kind of event (`ja` on paper and in the Japanese UI, `en` in English)."""

    ja: str
    en: str
    payload: tuple[str, ...] = ()  # the keys its payload may carry (documentation, and a test's check)


KINDS: dict[str, EventKind] = {
    # The card's status machine (kiosk.domain.status.Action).
    "card_received": EventKind("受領", "received", ("kind", "batch", "location")),
    "card_stored": EventKind("保管庫へ格納", "stored", ("location",)),
    "card_taken_out": EventKind("持出", "taken out", ("override_by", "reason")),
    "card_put_back": EventKind("返却（保管庫へ戻す）", "put back", ("location",)),
    "card_issued": EventKind("交付", "issued", ("location",)),
    "card_cancelled": EventKind("交付取りやめ", "cancelled", ("batch", "location")),
    "card_disposed": EventKind("廃棄", "disposed", ("batch", "method")),
    "card_missing": EventKind("所在不明", "missing", ("note", "stocktake")),
    "card_found": EventKind("発見（保管庫へ）", "found", ("note", "location", "stocktake")),
    # Other card events.
    "card_notice_sent": EventKind("交付通知書送付", "notice sent", ("date",)),
    "card_reminder_sent": EventKind("督促状送付", "reminder sent", ("date",)),
    "card_hold_set": EventKind("保留開始", "hold set", ("reason",)),
    "card_hold_released": EventKind("保留解除", "hold released", ()),
    "card_applicant_set": EventKind("申請者参照の設定", "applicant reference set", ("reference",)),
    "rfid_bound": EventKind("RFIDタグ登録", "RFID tag bound", ("tag",)),
    "batch_received": EventKind("納品受領", "delivery received", ("batch", "count")),
    "pick_list_added": EventKind("交付予定登録", "booked for issue", ("day",)),
    # The safe.
    "session_opened": EventKind("保管庫開錠", "safe opened", ("checklist",)),
    "session_closed": EventKind("保管庫施錠", "safe closed", ("checklist",)),
    "session_joined": EventKind("保管庫利用への参加", "joined the safe session", ("staff",)),
    # Refusals and staff.
    "refused": EventKind("拒否", "refused", ("reason", "attempted")),
    "auth_failed": EventKind("認証失敗", "sign-in failed", ("reason",)),
    "signed_in": EventKind("サインイン", "signed in", ()),
    # Devices at the safe: recorded when one goes offline or comes back (the supervisor's view alerts).
    "ledger_verified": EventKind(
        "管理簿の検証（日次締め）", "ledger verified (daily close)", ("ok", "events", "anchors")
    ),
    "device_offline": EventKind("機器の切断", "device offline", ("device", "reason")),
    "device_online": EventKind("機器の再接続", "device back online", ("device",)),
    "staff_added": EventKind(
        "職員登録", "staff added", ("staff", "name", "employee_no", "role", "rank", "badge", "bootstrap")
    ),
    "staff_deactivated": EventKind("職員無効化", "staff deactivated", ("staff",)),
    "staff_reactivated": EventKind("職員の再有効化", "staff reactivated", ("staff",)),
    "staff_role_changed": EventKind("職員の役割変更", "staff role changed", ("staff", "role", "rank")),
    "staff_pin_reset": EventKind("PINの再設定", "PIN reset", ("staff",)),
    "staff_locked": EventKind("職員ロック", "staff locked", ("staff",)),
    "staff_unlocked": EventKind("ロック解除", "staff unlocked", ("staff",)),
    "staff_lock_expired": EventKind("ロックの時間切れ解除", "lock expired", ("staff",)),
    # Retention and disposal.
    "disposal_prepared": EventKind("廃棄リスト作成", "disposal list prepared", ("cards", "policy")),
    "disposal_approved": EventKind("廃棄承認", "disposal approved", ("batch",)),
    "disposal_finished": EventKind(
        "廃棄実施", "disposal carried out", ("batch", "method", "disposed", "not_scanned")
    ),
    # Stocktake (点検).
    "stocktake_started": EventKind(
        "点検開始", "stocktake started", ("expected", "expected_sha256", "reads_on_chain")
    ),
    "stocktake_location": EventKind("点検場所の読取", "stocktake location scanned", ("location",)),
    "stocktake_counted": EventKind(
        "点検で確認", "counted in stocktake", ("verdict", "location", "id", "note")
    ),
    "stocktake_recounted": EventKind("点検で再確認", "counted again in stocktake", ("location", "id")),
    "stocktake_batch": EventKind(
        "点検の一括読取", "stocktake batch read", ("location", "counted", "refused", "unbound_tags", "times")
    ),
    "stocktake_search_again": EventKind("再捜索", "search again", ("cards",)),
    "stocktake_finished": EventKind(
        "点検終了",
        "stocktake finished",
        (
            "expected",
            "found",
            "recorded_missing",
            "notes",
            "found_elsewhere",
            "incidents",
            "recovered",
            "misplaced",
            "unexpected",
            "unknown",
            "duplicates",
            "sources",
            "reads",
        ),
    ),
    "incident_opened": EventKind("事故報告の起票", "incident opened", ("type", "stocktake", "note")),
    "officer_handover": EventKind("保管責任者の交代", "officer handover", ("from", "to")),
    # The ledger itself (kiosk.ledger.meta, kiosk.ledger.backup; issue 12).
    "ledger_created": EventKind("管理簿の作成", "ledger created", ("ledger", "pepper_check")),
    "ledger_identified": EventKind("管理簿の識別子の記録", "ledger identified", ("ledger", "pepper_check")),
    # `kiosk upgrade`: the schema migrated after a verified backup (both verifies passed).
    "ledger_upgraded": EventKind(
        "管理簿のスキーマ更新", "ledger upgraded", ("from_revision", "to_revision", "backup", "backup_seq")
    ),
    "ledger_restored": EventKind(
        "バックアップからの復元",
        "restored from a backup",
        ("restored_head_seq", "restored_head_hash", "source", "behind_anchor_seq", "behind_anchor_hash"),
    ),
}


def kind_name(kind: str, language: str = "ja") -> str:
    """The name of an event kind in `language` ("ja" or "en"); an unregistered kind shows its code."""
    entry = KINDS.get(kind)
    if entry is None:
        return kind
    return entry.en if language == "en" else entry.ja


def is_registered(kind: str) -> bool:
    """True when `kind` has names in the registry."""
    return kind in KINDS
