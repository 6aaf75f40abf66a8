"""Japanese words for event kinds, people, statuses and reason codes as they appear on paper.

Paper shows no codes and no data structures: an event's payload becomes a short Japanese sentence
(`describe_event`), staff IDs become names with their rank (正/副N), lists of cards become a count and
the first few IDs. Event kinds are named by the one registry, `kiosk.domain.events`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.domain.alerts import alert_name
from kiosk.domain.events import EventKind, kind_name
from kiosk.domain.events import info as kind_info
from kiosk.domain.staff import rank_label

# Payload keys in the words of the paper form; keys not here are left out of the description.
PAYLOAD_KEY_JA = {
    "reason": "理由",
    "attempted": "操作",
    "date": "送付日",
    "day": "交付予定日",
    "batch": "納品番号",
    "location": "場所",
    "method": "廃棄方法",
    "kind": "種別",
    "count": "枚数",
    "note": "備考",
    "override_by": "承認者",
    "tag": "RFIDタグ",
    "cards": "対象カード",
    "policy": "方針",
    "checklist": "確認事項",
    "disposed": "廃棄したカード",
    "not_scanned": "未読取のカード",
    "name": "氏名",
    "employee_no": "職員番号",
    "bootstrap": "初期管理者",
    "role": "役割",
    "rank": "順位",
    "staff": "対象職員",
    "expected": "予定枚数",
    "found": "確認枚数",
    "recorded_missing": "所在不明として記録",
    "found_elsewhere": "別の場所で発見",
    "recovered": "再発見",
    "misplaced": "保管場所の相違",
    "unexpected": "予定外",
    "unknown": "管理簿にないID",
    "duplicates": "重複読取",
    "incidents": "事故報告",
    "sources": "読取方法",
    "reads": "読取回数",
    "times": "複数回読んだID（回数）",
    "verdict": "判定",
    "counted": "確認",
    "refused": "拒否",
    "unbound_tags": "未登録タグ",
    "stocktake": "点検",
    "type": "種類",
    "from": "前任",
    "to": "後任",
    "id": "管理ID",
    "reference": "申請者参照",
    # card_applicant_set (a correction names the event it corrects) and staff_trained
    "ref": "申請者参照",
    "corrects": "訂正する記録の番号",
    "on": "研修日",
    "trainer": "講師",
    "ok": "検証結果",
    "events": "検証した記録",
    "anchors": "照合した控え",
    "verified": "検証した記録",
    "device": "機器",
    "head_seq": "最終連番",
    "head_hash": "最終ハッシュ",
    "ledger": "管理簿の識別子",
    "source": "復元元",
    "restored_head_seq": "復元した管理簿の最終連番",
    "restored_head_hash": "復元した管理簿の最終ハッシュ",
    "behind_anchor_seq": "控えの連番",
    "behind_anchor_hash": "控えのハッシュ",
    "from_revision": "更新前の版",
    "to_revision": "更新後の版",
    "backup": "バックアップ",
    "backup_seq": "バックアップ時の連番",
    "dropped_first_seq": "失われた記録（最初の連番）",
    "dropped_last_seq": "失われた記録（最後の連番）",
    "replaced_head_seq": "置き換えた管理簿の最終連番",
    "replaced_head_hash": "置き換えた管理簿の最終ハッシュ",
    "carried_staff_events": "引き継いだ職員の記録",
    "confirmed_on": "本人確認をした管理簿",
    "restored_seq": "確認した復元の記録番号",
    "anchor_number": "控えの番号",
    # integrity_alert and staff_sealed (the pepper's MAC over the staff rows)
    "table": "表",
    "row": "行",
    "check": "検査",
    "rows": "保護した職員の数",
    "staff_mac": "職員情報の保護の版",
    # the safe's door and lock (safe_door_*, safe_io_*, safe_alarm_acknowledged, safe_manual_approved)
    "door": "扉",
    "lock": "錠",
    "manual": "開け方",
    "forced": "不正開放の記録番号",
    "incident": "インシデントの記録番号",
    "limit_s": "上限（秒）",
    "module": "扉・錠の機器",
    "opened_seq": "扉が開いた記録番号",
    "outage": "切断の記録番号",
    "supervisor": "承認した責任者",
    "while_offline": "機器の切断中の変化",
    # alerts (alert_queued / alert_sent / alert_failed)
    "alert": "通知の種類",
    "subject": "件名",
    "channels": "送信先",
    "channel": "送信先",
    "queued": "通知の記録番号",
    "attempt": "試行回数",
    "error": "失敗の理由",
    "retry_at": "再試行の時刻",
    # 受領時の相違 (delivery_discrepancy)
    "slip": "納品書の枚数",
    "listed": "一覧の枚数",
    "scanned": "読取枚数",
    "received": "受領枚数",
    "missing": "不足のカード",
    "extra": "一覧にないカード",
}
CHANNEL_JA = {"mail": "メール", "webhook": "Webhook"}
# Where a key names something else for one kind (the daily close's `day` is the day closed).
KIND_KEY_JA = {
    (EventKind.DAILY_CLOSED, "day"): "締めた日",
}
# Keys whose value is a number of records.
COUNT_KEYS = frozenset({"events", "anchors", "verified", "reads", "carried_staff_events"})
# Where a key means something else for some kinds (a disposal's batch is its list, not a delivery).
DISPOSAL_KINDS = frozenset(
    {
        EventKind.CARD_CANCELLED,
        EventKind.CARD_DISPOSED,
        EventKind.DISPOSAL_APPROVED,
        EventKind.DISPOSAL_FINISHED,
    }
)
# Keys that stay off paper: digests and per-card notes that other keys already show.
# (a badge code is a credential; reads_on_chain is a format flag for `kiosk verify`, nothing to read)
# (pepper_check is a digest that proves the pepper, not something a reader checks by eye)
# (an alert's body repeats what its subject and its source event say, over many lines)
HIDDEN_KEYS = frozenset({"expected_sha256", "notes", "badge", "reads_on_chain", "pepper_check", "body"})
# Keys whose value is a staff ID.
STAFF_KEYS = frozenset({"override_by", "staff", "from", "to", "supervisor"})

# Codes that appear as payload values, in the words staff use.
VALUE_JA = {
    # card kinds, places, scan modes
    "mynumber_card": "個人番号カード",
    "notification_card": "通知カード",
    "safe": "保管庫",
    "take_out": "持出",
    "put_back": "返却",
    "hand_over": "交付",
    "mark_missing": "所在不明の記録",
    "pick_list": "交付予定登録",
    "cards_show": "カード照会",
    "report_card": "カード別履歴の印刷",
    "stocktake_scan": "点検の読取",
    "disposal_prepare": "廃棄リスト作成",
    "disposal_scan": "廃棄の読取",
    EventKind.CARD_PUT_BACK: "返却",
    EventKind.CARD_ISSUED: "交付",
    EventKind.CARD_MISSING: "所在不明",
    # refusals of a scanned or typed value
    "mynumber_refused": "12桁の値（個人番号のおそれ）",
    "refused_input": "管理IDでない入力",
    "check_digit": "チェックディジット不一致",
    "wrong_length": "桁数不正",
    "not_digits": "数字以外",
    "non_ascii": "全角・IME入力",
    "empty": "空の入力",
    # refusals of an act
    "not_on_pick_list": "本日の交付予定にない",
    "already_out": "持出中のカード",
    "wrong_status": "状態が不適切",
    "wrong_state": "状態が不適切",
    "status_changed": "状態が変わった",
    "unknown_id": "管理簿にないID",
    "no_session": "保管庫が開いていない",
    "door_open": "扉が開いている",
    "module_offline": "扉・錠の機器が切断中",
    "acknowledge_door_alarm": "扉の警報の確認",
    "safe_manual": "鍵による手動手順",
    "already_open": "既に開いている",
    "not_open": "開いていない",
    "need_officer": "保管責任者が必要",
    "need_supervisor": "責任者が必要",
    "same_person": "同一人物",
    "need_sign_in": "サインインが必要",
    "not_in_session": "保管庫利用の参加者でない",
    "override_invalid": "承認が無効",
    "override_need_supervisor": "承認者が責任者でない",
    "override_same_person": "承認者が本人",
    "override_inactive": "承認者が無効",
    "override_locked": "承認者がロック中",
    "override_note_required": "承認理由がない",
    "note_required": "理由の記入が必要",
    "unknown_badge": "未登録のバッジ",
    "wrong_pin": "暗証番号の誤り",
    "role": "役割が不適切",
    "role_not_allowed": "監督者画面を開けない役割",
    "need_second": "2人目が必要",
    "need_witness": "立会人の確認が必要",
    "booked_by_taker": "自分で登録した交付予定",
    "override_no_reason": "承認理由がない",
    "override_reason_not_listed": "承認理由が一覧にない",
    "override_no_note": "承認理由の記入がない",
    "handed_over_seen": "交付済カードの検知",
    "issued": "交付済",
    # refusals of a scanned frame (the scanner or its set-up)
    "ime_on": "IMEがオン",
    "garbage": "読み取れない信号",
    "control_bytes": "制御文字",
    "modem_probe": "モデム命令",
    "partial_timeout": "途切れた読み取り",
    "no_terminator": "読み取りの終わりがない",
    "wrong_terminator": "読み取りの終わりの文字違い",
    "layout_us_scanner_jis_host": "スキャナーのキー配列違い",
    "layout_jis_scanner_us_host": "スキャナーのキー配列違い",
    "symbology_not_allowed": "管理IDでないバーコード",
    "line_settings": "通信設定の不一致",
    "code_id": "識別文字の付加",
    "code_id_missing": "識別文字がない",
    "code_id_unknown": "不明な識別文字",
    "stray_prefix": "余分な前置文字",
    "stray_suffix": "余分な後置文字",
    "keys_too_slow": "入力が遅すぎる",
    "keypad_keys": "NumLockがオフ",
    "two_labels_in_view": "ラベルが2枚写っている",
    "present_card_unreadable": "ラベルが読めない",
    "aim_missing": "記号識別子がない",
    "prefix_missing": "前置文字がない",
    "suffix_missing": "後置文字がない",
    "outside_frame": "枠外の信号",
    "overlong": "長すぎる読み取り",
    "power_up_glitch": "電源投入時のノイズ",
    "unterminated": "途切れた読み取り",
    "syn_dropped": "入力の欠落",
    "unknown_key": "配列にないキー",
    "device_lost": "機器の切断",
    "locked": "ロック中",
    "inactive": "無効な職員",
    "on_hold": "保留中",
    "period_running": "保管期間中",
    "reminder_not_sent": "督促未送付",
    "notice_unknown": "通知日未登録",
    "not_eligible": "廃棄の対象外",
    "nothing_eligible": "対象なし",
    "nothing_scanned": "読取なし",
    "no_method": "廃棄方法の記入なし",
    "unknown_batch": "廃棄リストがない",
    "not_in_batch": "廃棄リストにない",
    "already_scanned": "読取済み",
    "no_stocktake": "点検が開いていない",
    "undecided": "判断が未了",
    "bad_location": "場所ラベルの形式誤り",
    "not_location": "場所ラベルでない",
    # stocktake verdicts and sources
    "found": "確認",
    "misplaced": "保管場所の相違",
    "duplicate": "重複",
    "unexpected": "予定外",
    "unknown": "管理簿にないID",
    "refused": "拒否",
    "found_elsewhere": "別の場所で発見",
    "barcode": "バーコード",
    "tray_photo": "トレイ撮影",
    "rfid": "RFID",
    "decision": "判断",
    # roles and retention
    "officer": "保管責任者",
    "clerk": "交付担当",
    "supervisor": "責任者",
    "admin": "管理者",
    "notice-2017": "総行住第236号の方針",
    "reminder-plus-3-months": "督促後3か月",
    "later-of-reminder-3m-or-notice-12m": "督促後3か月と通知後12か月の遅い方",
    "no-disposal": "廃棄しない",
    # the door and the lock
    "open": "開",
    "closed": "閉",
    "engaged": "施錠",
    "released": "解錠",
    "key": "鍵（手動手順）",
    "current ledger": "現在の管理簿",
    "copy": "復元したコピー",
    "row_mac": "職員情報の改ざん検知（MAC）",
    "staff": "職員",
}
_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")  # snake_case: a code, not a place or a note
MAX_CARDS_SHOWN = 5


@dataclass(frozen=True, slots=True)
class People:
    """Staff as paper names them: the name, and for an officer the rank (保管 正子（正）)."""

    names: Mapping[int, str] = field(default_factory=dict)
    ranks: Mapping[int, int | None] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, str, int | None]]) -> People:
        names: dict[int, str] = {}
        ranks: dict[int, int | None] = {}
        for staff_id, name, rank in rows:
            names[staff_id] = name
            ranks[staff_id] = rank
        return cls(names, ranks)

    def __call__(self, staff_id: int | None) -> str:
        if staff_id is None:
            return ""
        name = self.names.get(staff_id)
        if name is None:
            return f"職員{staff_id}"
        rank = rank_label(self.ranks.get(staff_id))
        return f"{name}（{rank}）" if rank else name


def value_ja(value: object) -> str:
    """A payload value for paper: the Japanese word for a known code, else the value itself."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    text = str(value)
    if text in VALUE_JA:
        return VALUE_JA[text]
    if text.startswith("override_"):
        return "承認が無効"
    if text.startswith("disposal-") and text[9:].isdigit():
        return f"廃棄待ち（第{text[9:]}回）"
    if _CODE.match(text):
        # A code without a word yet: say so rather than print it (a test keeps this list complete).
        return "（その他）"
    return text


def key_ja(key: str, kind: str | None = None) -> str:
    """A payload field's name on paper (every field of every payload type has one; a test checks)."""
    if kind is not None and (kind, key) in KIND_KEY_JA:
        return KIND_KEY_JA[(EventKind(kind), key)]
    return PAYLOAD_KEY_JA.get(key, "その他")


def kind_ja(kind: str) -> str:
    """The Japanese name of an event kind (from the registry)."""
    return kind_name(kind, "ja")


def _cards(values: list[Any]) -> str:
    shown = "、".join(str(v) for v in values[:MAX_CARDS_SHOWN])
    more = f" 他{len(values) - MAX_CARDS_SHOWN}枚" if len(values) > MAX_CARDS_SHOWN else ""
    return f"{len(values)}枚（{shown}{more}）" if values else "なし"


def _value(key: str, value: Any, people: People) -> str | None:
    if value is None or value == "" or value == [] or value == {}:
        return None
    if key in STAFF_KEYS and isinstance(value, int):
        return people(value)
    if key == "rank":
        return rank_label(value if isinstance(value, int) else None) or None
    if key == "checklist" and isinstance(value, list):
        return f"{len(value)}項目を確認"
    if key == "stocktake":
        return f"第{value}回"
    if key == "duplicates" and isinstance(value, int):
        return f"{value}枚"
    if key in COUNT_KEYS and isinstance(value, int):
        return f"{value}件"
    if key == "ok" and isinstance(value, bool):
        return "正常" if value else "異常あり"
    if key == "incidents" and isinstance(value, list):
        return f"{len(value)}件"
    if key == "alert" and isinstance(value, str):
        return alert_name(value)
    if key == "channels" and isinstance(value, list):
        return "、".join(CHANNEL_JA.get(str(v), str(v)) for v in value)
    if key == "channel" and isinstance(value, str):
        return CHANNEL_JA.get(value, value)
    if isinstance(value, list):
        return _cards(value)
    if isinstance(value, dict):
        # A mapping of lists (a batch's sightings by verdict) is counts, never a list's text.
        parts = [
            f"{value_ja(k)} {_cards(v) if isinstance(v, list) else value_ja(v)}" for k, v in value.items()
        ]
        return "、".join(parts) or None
    return value_ja(value)


def describe_event(
    payload: str | Mapping[str, Any], people: People | None = None, *, kind: str | None = None
) -> str:
    """An event's payload as a short Japanese phrase for paper ("理由: 本日の交付予定にない、…").

    With `kind`, the keys come in the order the event-kind registry lists them (the reason before the
    attempted act, the card kind before its batch); other keys follow in the payload's order.
    """
    people = people or People()
    data = json.loads(payload) if isinstance(payload, str) else payload
    if not isinstance(data, Mapping):
        return value_ja(data)
    entry = kind_info(kind)
    order = {key: n for n, key in enumerate(entry.payload)} if entry else {}
    parts = []
    for key in sorted(data, key=lambda k: order.get(k, len(order))):
        if key in HIDDEN_KEYS or (key == "staff" and "name" in data):  # the name says who already
            continue
        text = _value(key, data[key], people)
        if text is None:
            continue
        label = "廃棄リスト" if key == "batch" and kind in DISPOSAL_KINDS else key_ja(key, kind)
        if key == "source" and kind == EventKind.ALERT_QUEUED:
            label = "通知のもとの記録番号"
        parts.append(f"{label}: {text}")
    return "、".join(parts)
