"""The supervisor's view (監督者画面) in Japanese (default) and English, by stable key.

Part of the one text catalogue (`kiosk.texts`); codes on the page (event kinds, reasons, roles, alerts)
are named by the catalogue's `kind_name`, `code_label` and `alert_name`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

Lang = Literal["ja", "en"]
LANGS: tuple[Lang, ...] = ("ja", "en")

JA: dict[str, str] = {
    "title": "保管庫の状況（監督者画面）",
    "signin.title": "監督者サインイン",
    "signin.badge": "バッジ",
    "signin.pin": "暗証番号",
    "signin.submit": "サインイン",
    "signin.hint": (
        "責任者または管理者のバッジと暗証番号でサインインします。この画面から管理簿は変更できません。"
    ),
    "signin.mynumber": "12桁の値は個人番号のおそれがあるため受け付けません。",
    "signin.empty": "バッジと暗証番号を入力してください。",
    "signin.failed": (
        "サインインできませんでした。バッジと暗証番号を確かめてください"
        "（この画面は責任者と管理者だけが使えます）。"
    ),
    "signin.wait": "失敗が続いたため、しばらく待ってからもう一度お試しください。",
    "signin.expired": "画面の有効期限が切れました。もう一度入力してください。",
    "signout": "サインアウト",
    "signed_in_as": "{name}（{role}）",
    "live.on": "自動更新中",
    "live.off": "接続が切れました（再接続中…）",
    "as_of": "{time} 現在",
    "lang.switch": "English",
    "safes": "保管庫",
    "safes.none": "保管庫の利用記録はまだありません。",
    "safe.open": "開",
    "safe.closed": "閉",
    "safe.kiosk": "端末",
    "safe.state": "状態",
    "safe.people": "開けた人・立会人",
    "safe.since": "開いた時刻",
    "safe.minutes": "経過",
    "safe.closed_at": "閉じた時刻 {time}",
    "safe.joined": "途中参加: {names}",
    "overdue": "⚠ {kiosk} の保管庫が {minutes} 分開いたままです（上限 {limit} 分）",
    "minutes": "{n} 分",
    "out": "持出中のカード",
    "out.none": "持出中のカードはありません。",
    "out.card": "管理ID",
    "out.by": "持ち出した人",
    "out.at": "持出時刻",
    "out.for": "経過",
    "out.kiosk": "端末",
    "out.override": "予定外（{reason}）",
    "seen": "交付済カードの検知（警報）",
    "seen.line": "{time} {kiosk}: 交付済のカード {card} が保管庫で読み取られました（{by}・{mode}）",
    "today": "本日の受払（{day}）",
    "today.in_safe": "保管中（現在）",
    "alerts": "警告・要確認",
    "alerts.none": "警告はありません。",
    "overrides": "予定外持出の承認",
    "overrides.line": "{card}: {taker} が持出、承認 {approver}、理由「{reason}」",
    "refusals": "拒否（理由別の件数）",
    "mynumber": "12桁の値（個人番号のおそれ）の入力",
    "mynumber.count": "{n} 件（値は記録していません）",
    "failed_sign_ins": "サインイン失敗",
    "locked": "ロック中の職員",
    "lockouts_today": "本日のロック",
    "devices": "機器",
    "devices.none_recorded": "機器の接続状態は管理簿に記録されていません（各端末の画面に表示されます）。",
    "devices.all_online": "切断中の機器はありません。",
    "devices.offline": "{kiosk} の {device} が {time} から切断中",
    "stocktake": "点検",
    "stocktake.due.never": "点検が必要です（まだ一度も完了していません）",
    "stocktake.due.interval": "点検の時期です（前回 {last}）",
    "stocktake.due.handover": "保管責任者の引継ぎ後の点検が必要です",
    "stocktake.due.in_progress": "点検中",
    "stocktake.due.not_due": "点検は予定どおり（次回 {next}）",
    "stocktake.progress": (
        "{kiosk} 点検中（{start} 開始）: 予定 {expected} 枚中 {found} 枚確認、未確認 {missing}"
    ),
    "missing": "所在不明のカード",
    "incidents": "未解決の事案",
    "incident.line": "{card} {type} {note}（{time}）",
    "due": "期限の管理（督促・交付取りやめ）",
    "due.reminders_due": "督促対象",
    "due.eligible": "交付取りやめ・廃棄対象",
    "due.held": "保留中",
    "due.notice_unknown": "通知日未登録",
    "due.waiting": "期間経過待ち",
    "integrity": "管理簿の完全性",
    "integrity.check": "前回の検証: {kind} {time} {result}",
    "integrity.none": "検証結果の記録はありません。管理簿の先頭:",
    "integrity.head": "通番 {seq}・ハッシュ {hash}（{time}）",
    "integrity.alert": "{time} {table} の行 {row} が管理簿の外で書き換えられていました。操作は拒否しました。",
    "integrity.restore": (
        "{time} 管理簿がバックアップから復元されました"
        "（失われた記録 {dropped} 件、確認: {officer}・{supervisor}）。"
        "責任者がキオスクの F11 で確認するまで警告が続きます。"
    ),
    "none": "なし",
    "unavailable": "管理簿を読めません（{reason}）。自動で再試行します。",
    "ok": "正常",
    "ng": "異常",
    "count": "{n} 件",
    "guard.refused": "表示を止めました: 12桁の番号の形をした値が含まれていました。",
    "not_found": "ページがありません。",
    "cards": "{n} 枚",
    "sent_alerts": "通知（メール・庁内システムへの通知）の履歴",
    "sent_alerts.none": "送った通知はありません（通知先が設定されていなければ送りません）。",
    "sent_alerts.sent": "送信済み",
    "sent_alerts.failed": "再試行待ち",
    "sent_alerts.queued": "送信待ち",
    "sent_alerts.waiting": "未送信",
    "sent_alerts.retry": "失敗 {n} 回・{time} に再試行",
    "sent_alerts.channel.mail": "メール",
    "sent_alerts.channel.webhook": "庁内システム",
    "module.reason": "（理由は機器の記録を参照）",
}

EN: dict[str, str] = {
    "title": "The safe, live (supervisor's view)",
    "signin.title": "Supervisor sign-in",
    "signin.badge": "Badge",
    "signin.pin": "PIN",
    "signin.submit": "Sign in",
    "signin.hint": (
        "Sign in with a supervisor's or administrator's badge and PIN. This view cannot change the ledger."
    ),
    "signin.mynumber": "A 12-digit value may be an individual number and is not accepted.",
    "signin.empty": "Enter a badge and a PIN.",
    "signin.failed": (
        "Not signed in. Check the badge and PIN (this view is for supervisors and administrators)."
    ),
    "signin.wait": "Too many failed tries from here: wait a little, then try again.",
    "signin.expired": "The form expired. Please enter the badge and PIN again.",
    "signout": "Sign out",
    "signed_in_as": "{name} ({role})",
    "live.on": "Live",
    "live.off": "Connection lost (reconnecting…)",
    "as_of": "as of {time}",
    "lang.switch": "日本語",
    "safes": "Safes",
    "safes.none": "No safe session recorded yet.",
    "safe.open": "OPEN",
    "safe.closed": "closed",
    "safe.kiosk": "Kiosk",
    "safe.state": "State",
    "safe.people": "Opened by · witness",
    "safe.since": "Opened at",
    "safe.minutes": "Open for",
    "safe.closed_at": "closed at {time}",
    "safe.joined": "joined: {names}",
    "overdue": "⚠ The safe at {kiosk} has been open for {minutes} min (limit {limit} min)",
    "minutes": "{n} min",
    "out": "Cards out now",
    "out.none": "No card is out.",
    "out.card": "Management ID",
    "out.by": "Taken by",
    "out.at": "Taken at",
    "out.for": "Out for",
    "out.kiosk": "Kiosk",
    "out.override": "not booked ({reason})",
    "seen": "Handed-over cards seen at the safe (alarm)",
    "seen.line": "{time} {kiosk}: handed-over card {card} scanned at the safe ({by}, {mode})",
    "today": "Today's receipts and payments ({day})",
    "today.in_safe": "In the safe (now)",
    "alerts": "Alerts",
    "alerts.none": "No alerts.",
    "overrides": "Take-outs approved without a booking",
    "overrides.line": "{card}: taken by {taker}, approved by {approver}, reason “{reason}”",
    "refusals": "Refusals by reason (counts)",
    "mynumber": "12-digit values (possible individual numbers) entered",
    "mynumber.count": "{n} (the values are never recorded)",
    "failed_sign_ins": "Failed sign-ins",
    "locked": "Staff locked out",
    "lockouts_today": "Lock-outs today",
    "devices": "Devices",
    "devices.none_recorded": "No device state is recorded in the ledger (each kiosk shows it on its screen).",
    "devices.all_online": "No device is offline.",
    "devices.offline": "{device} at {kiosk} offline since {time}",
    "stocktake": "Stocktake",
    "stocktake.due.never": "A stocktake is due (none has ever been finished)",
    "stocktake.due.interval": "A stocktake is due (last one {last})",
    "stocktake.due.handover": "A stocktake is due after the officer handover",
    "stocktake.due.in_progress": "Stocktake in progress",
    "stocktake.due.not_due": "Stocktakes on schedule (next {next})",
    "stocktake.progress": (
        "{kiosk} counting since {start}: {found} of {expected} found, {missing} not yet seen"
    ),
    "missing": "Cards recorded missing",
    "incidents": "Open incidents",
    "incident.line": "{card} {type} {note} ({time})",
    "due": "Due lists (reminders, cancellation)",
    "due.reminders_due": "Reminder due",
    "due.eligible": "Eligible for cancellation/disposal",
    "due.held": "On hold",
    "due.notice_unknown": "Notice date unknown",
    "due.waiting": "Periods running",
    "integrity": "Ledger integrity",
    "integrity.check": "Last check: {kind} {time} {result}",
    "integrity.none": "No verify result is on record. The chain head:",
    "integrity.head": "seq {seq} · hash {hash} ({time})",
    "integrity.alert": "{time} row {row} of {table} was changed outside the ledger; the act was refused.",
    "integrity.restore": (
        "{time} the ledger was restored from a backup ({dropped} records dropped; confirmed by {officer} and"
        " {supervisor}). The alert stays until a supervisor acknowledges it at the kiosk (F11)."
    ),
    "none": "None",
    "unavailable": "The ledger cannot be read ({reason}). Retrying by itself.",
    "ok": "OK",
    "ng": "FAILED",
    "count": "{n}",
    "guard.refused": "Not shown: the page held a value shaped like a 12-digit number.",
    "not_found": "No such page.",
    "cards": "{n} cards",
    "sent_alerts": "Alerts sent (e-mail, webhook)",
    "sent_alerts.none": "No alert was sent (none are sent without an [alerts] configuration).",
    "sent_alerts.sent": "sent",
    "sent_alerts.failed": "waiting to retry",
    "sent_alerts.queued": "queued",
    "sent_alerts.waiting": "not sent yet",
    "sent_alerts.retry": "failed {n}x, retry at {time}",
    "sent_alerts.channel.mail": "e-mail",
    "sent_alerts.channel.webhook": "webhook",
    "module.reason": ": {reason}",
}

# The safes' doors, locks and modules, and every device's last state (templates/safe_door.html).
JA |= {
    "doors": "保管庫の扉・電気錠と機器",
    "doors.none": "扉・錠の入出力機器の記録はありません（扉の接点と電気錠のない保管庫）。",
    "door.kiosk": "端末",
    "door.door": "扉",
    "door.lock": "電気錠",
    "door.module": "入出力機器",
    "door.alarm_col": "警報",
    "door.open": "開",
    "door.closed": "閉",
    "door.unknown": "不明",
    "lock.engaged": "施錠",
    "lock.released": "解錠",
    "lock.unknown": "不明",
    "module.online": "接続",
    "module.offline": "切断",
    "module.unknown": "不明",
    "door.manual": "鍵による手動手順（承認済み）",
    "door.alarm": (
        "{kiosk}: 保管庫利用なしに扉が開きました（{time}）。端末で責任者が確認してください（{n} 件）"
    ),
    "door.module_offline": "{kiosk}: 扉・錠の入出力機器が {time} から切断中",
    "door.no_alarm": "なし",
    "devices.all": "機器ごとの最後の記録",
    "device.name": "機器",
    "device.state": "状態",
    "device.at": "記録時刻",
    "device.module": "扉・錠の機器",
}
EN |= {
    "doors": "Safe doors, locks and devices",
    "doors.none": "No door/lock module is on record (a safe without a door contact and lock).",
    "door.kiosk": "Kiosk",
    "door.door": "Door",
    "door.lock": "Lock",
    "door.module": "I/O module",
    "door.alarm_col": "Alarm",
    "door.open": "OPEN",
    "door.closed": "closed",
    "door.unknown": "unknown",
    "lock.engaged": "locked",
    "lock.released": "RELEASED",
    "lock.unknown": "unknown",
    "module.online": "online",
    "module.offline": "OFFLINE",
    "module.unknown": "unknown",
    "door.manual": "manual (key) procedure approved",
    "door.alarm": (
        "{kiosk}: the safe's door opened with no session open ({time}). "
        "A supervisor must acknowledge it at the kiosk ({n})"
    ),
    "door.module_offline": "{kiosk}: the door/lock module is offline since {time}",
    "door.no_alarm": "none",
    "devices.all": "Last record of each device",
    "device.name": "Device",
    "device.state": "State",
    "device.at": "Recorded",
    "device.module": "door/lock module",
}

TEXTS: dict[Lang, dict[str, str]] = {"ja": JA, "en": EN}


def translator(lang: Lang) -> Callable[..., str]:
    """`t(key, **values)` for one language; an unknown key shows as itself (never a crash)."""
    table = TEXTS[lang]

    def t(key: str, **values: object) -> str:
        text = table.get(key, JA.get(key, key))
        return text.format(**values) if values else text

    return t
