"""Screen texts of the office's daily close (日次締め) and papers (帳票の印刷), merged into `kiosk.tui.i18n`.

Kept beside the main catalogue so each office job's words stay together; every key is in both languages
(the catalogue's test checks the merged dicts).
"""

from __future__ import annotations

JA: dict[str, str] = {
    "office.job.daily_close": "日次締め",
    "office.job.papers": "帳票の印刷",
    "close.title": "日次締め",
    "close.hint": ("F5 締めを実行（保管責任者のバッジと暗証番号）　F3 前の日　F4 次の日　Esc 戻る"),
    "close.day": "対象日: {day}",
    "close.col.kind": "区分",
    "close.col.check": "検算",
    "close.ok": "一致",
    "close.ng": "不一致",
    "close.head": "報告書に印刷する最終記録: 連番 {seq}（ハッシュ {hash}…）　この日の記録 {events} 件",
    "close.empty": "管理簿にこの日までの記録がありません。締めるものはありません。",
    "close.ready": "F5 で締めます。管理簿の検証・バックアップ・最終記録の控えを行い、報告書を印刷します。",
    "close.already": "この日はすでに締めてあります（{at} {name}）。F5 でもう一度締めることができます。",
    "close.officer": "日次締めを行う保管責任者のバッジをスキャンし、暗証番号を入力してください。",
    "close.working": "処理中: 管理簿を検証し、バックアップを作成しています。しばらくお待ちください…",
    "close.done": ("締めました（{name}）。検証 {events} 件 一致。バックアップ: {backup}　控え: {anchor}"),
    "close.refused": "締めることができませんでした。",
    "close.need_officer": "日次締めは保管責任者が行います。保管責任者のバッジでやり直してください。",
    "close.failed": "締めることができませんでした。責任者と技術担当者に連絡してください。",
    "close.failed_detail": (
        "管理簿の検証またはバックアップに失敗しました。締めは記録されていません。技術担当者に連絡してください。"
    ),
    "close.key.previous": "前の日",
    "close.key.next": "次の日",
    "close.key.close": "締めを実行",
    "close.last": "最終の日次締め: {day}（{at} {name}）",
    "close.never": "この管理簿ではまだ日次締めが行われていません。",
    "close.missing": "前の業務日（{day}）の日次締めがまだです。事務メニュー（F8）の F6 で締めてください。",
}

EN: dict[str, str] = {
    "office.job.daily_close": "Daily close",
    "office.job.papers": "Print papers",
    "close.title": "Daily close",
    "close.hint": "F5 close the day (officer's badge and PIN)   F3 day before   F4 day after   Esc back",
    "close.day": "Day: {day}",
    "close.col.kind": "Kind",
    "close.col.check": "Check",
    "close.ok": "OK",
    "close.ng": "MISMATCH",
    "close.head": "Last record on the report: seq {seq} (hash {hash}…)   records of the day: {events}",
    "close.empty": "The ledger holds no record up to this day: there is nothing to close.",
    "close.ready": "F5 closes the day: verify the ledger, back it up, keep the head, print the report.",
    "close.already": "This day was closed already ({at} {name}). F5 closes it again.",
    "close.officer": "Scan the badge of the responsible officer who closes the day, then type the PIN.",
    "close.working": "Working: verifying the ledger and making the backup. Please wait…",
    "close.done": "Closed ({name}). {events} records verified. Backup: {backup}   head kept: {anchor}",
    "close.refused": "The day could not be closed.",
    "close.need_officer": "A responsible officer closes the day. Try again with an officer's badge.",
    "close.failed": "The day could not be closed. Tell the supervisor and the technician.",
    "close.failed_detail": "The ledger check or the backup failed; nothing was closed. Call the technician.",
    "close.key.previous": "Day before",
    "close.key.next": "Day after",
    "close.key.close": "Close the day",
    "close.last": "Last daily close: {day} ({at} {name})",
    "close.never": "No daily close was ever run on this ledger.",
    "close.missing": "The previous office day ({day}) was not closed. Office menu (F8), then F6.",
}
