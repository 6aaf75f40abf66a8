"""Japanese words for event kinds, statuses and reason codes as they appear on paper."""

from __future__ import annotations

import json
from typing import Any

EVENT_KIND_JA = {
    "card_received": "受領",
    "card_stored": "保管庫へ格納",
    "card_taken_out": "持出",
    "card_put_back": "返却（保管庫へ戻す）",
    "card_issued": "交付",
    "card_cancelled": "交付取りやめ",
    "card_disposed": "廃棄",
    "card_missing": "所在不明",
    "card_found": "発見（保管庫へ）",
    "card_notice_sent": "交付通知書送付",
    "card_reminder_sent": "督促送付",
    "card_hold_set": "保留開始",
    "card_hold_released": "保留解除",
    "card_applicant_set": "申請者参照設定",
    "rfid_bound": "RFIDタグ登録",
    "batch_received": "納品受領",
    "pick_list_added": "交付予定登録",
    "session_opened": "保管庫開錠",
    "session_closed": "保管庫施錠",
    "refused": "拒否",
    "auth_failed": "認証失敗",
    "signed_in": "サインイン",
    "staff_added": "職員登録",
    "staff_deactivated": "職員無効化",
    "staff_locked": "職員ロック",
    "staff_unlocked": "ロック解除",
    "disposal_prepared": "廃棄リスト作成",
    "disposal_approved": "廃棄承認",
    "disposal_finished": "廃棄実施",
    "stocktake_started": "点検開始",
    "stocktake_finished": "点検終了",
}

PAYLOAD_KEY_JA = {
    "reason": "理由",
    "attempted": "操作",
    "date": "日付",
    "batch": "バッチ",
    "location": "場所",
    "method": "方法",
    "kind": "種別",
    "count": "件数",
    "note": "備考",
    "override_by": "承認者ID",
    "tag": "タグ",
    "day": "日",
    "cards": "カード",
    "policy": "方針",
    "checklist": "確認事項",
    "disposed": "廃棄",
    "not_scanned": "未読取",
    "name": "氏名",
    "role": "役割",
    "staff": "職員ID",
}

# Values that staff read better in Japanese (codes stay codes everywhere else).
VALUE_JA = {
    "mynumber_card": "個人番号カード",
    "notification_card": "通知カード",
    "safe": "保管庫",
    "take_out": "持出",
    "put_back": "返却",
    "hand_over": "交付",
    "not_on_pick_list": "本日の交付予定にない",
    "already_out": "持出中のカード",
    "wrong_status": "状態が不適切",
    "unknown_id": "管理簿にないID",
    "no_session": "保管庫が開いていない",
    "mynumber_refused": "12桁の値（個人番号のおそれ）",
    "check_digit": "チェックディジット不一致",
    "wrong_length": "桁数不正",
    "not_digits": "数字以外",
    "non_ascii": "全角・IME入力",
    "unknown_badge": "未登録の職員証",
    "wrong_pin": "PIN誤り",
    "locked": "ロック中",
    "inactive": "無効な職員",
    "on_hold": "保留中",
    "period_running": "保管期間中",
    "reminder_not_sent": "督促未送付",
    "notice_unknown": "通知日未登録",
    "not_in_batch": "廃棄リストにない",
    "officer": "保管責任者",
    "clerk": "交付担当",
    "supervisor": "責任者",
    "admin": "管理者",
}


def value_ja(value: object) -> str:
    """A payload value for paper: the Japanese word for a known code, else the value itself."""
    if value is None:
        return "-"
    text = str(value)
    return VALUE_JA.get(text, text)


def kind_ja(kind: str) -> str:
    """The Japanese name of an event kind (the code itself when there is none)."""
    return EVENT_KIND_JA.get(kind, kind)


def describe_payload(payload: str | dict[str, Any], *, max_items: int = 8) -> str:
    """A short, readable rendering of an event payload for paper (Japanese keys, lists shortened)."""
    data = json.loads(payload) if isinstance(payload, str) else payload
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            shown = ", ".join(value_ja(v) for v in value[:max_items])
            if len(value) > max_items:
                shown += f" …他{len(value) - max_items}件"
            text = f"[{shown}]" if key != "checklist" else f"{len(value)}項目確認"
        else:
            text = value_ja(value)
        parts.append(f"{PAYLOAD_KEY_JA.get(key, key)}: {text}")
    return " / ".join(parts)
