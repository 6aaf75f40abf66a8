"""How each verdict looks and sounds: colour, symbol, text and a bell pattern, never colour alone.

A verdict code comes from the ledger (`Verdict.code`) or from the UI itself (duplicate scan, refused
frame, device problem, ledger error). Each has its own symbol and headline, so a colour-blind clerk, or
one looking away (the bell), still tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Tone = Literal["ok", "info", "warn", "error"]

# Bells per tone: one short ring for success, two for "look at the screen", three for "stop".
BELLS: dict[Tone, int] = {"ok": 1, "info": 0, "warn": 2, "error": 3}


@dataclass(frozen=True, slots=True)
class Look:
    """The presentation of one verdict code."""

    tone: Tone
    symbol: str
    ja: str
    en: str

    @property
    def bells(self) -> int:
        return BELLS[self.tone]


LOOKS: dict[str, Look] = {
    "taken_out": Look("ok", "▲", "持出OK ― 保管庫から取り出しました", "TAKEN OUT of the safe"),
    "put_back": Look("ok", "▼", "返却OK ― 保管庫に戻しました", "PUT BACK into the safe"),
    "issued": Look("ok", "★", "交付を記録しました（本人に渡しました）", "HANDED OVER to the holder"),
    "marked_missing": Look("warn", "？", "所在不明として記録しました", "Recorded as MISSING"),
    "not_on_pick_list": Look(
        "warn", "！", "本日の交付予定にありません ― 責任者の承認が必要です", "NOT ON TODAY'S LIST"
    ),
    "override_refused": Look(
        "error", "✖", "承認は無効です ― 責任者本人の承認が必要です", "OVERRIDE REFUSED (supervisor needed)"
    ),
    "already_out": Look("warn", "！", "すでに持出中のカードです", "ALREADY OUT"),
    "duplicate": Look(
        "info", "＝", "重複スキャン ― 同じカードは記録済みです", "DUPLICATE scan (already recorded)"
    ),
    "unknown_id": Look("error", "✖", "管理簿にないIDです", "UNKNOWN ID (not in the ledger)"),
    "wrong_status": Look("error", "✖", "この状態のカードは扱えません", "WRONG STATUS for this action"),
    "refused_input": Look("error", "⛔", "入力を拒否しました", "INPUT REFUSED"),
    "device_problem": Look("error", "⚠", "機器の異常", "DEVICE PROBLEM"),
    "ledger_error": Look(
        "error", "✖", "管理簿に書き込めません ― 記録されていません", "LEDGER ERROR - NOT RECORDED"
    ),
    # A read that failed wrote nothing: the clerk must not go looking for an unrecorded act.
    "ledger_read_error": Look("error", "✖", "管理簿を読み込めません", "LEDGER CANNOT BE READ"),
    "no_session": Look("error", "✖", "保管庫が開いていません", "THE SAFE IS NOT OPEN"),
    "need_sign_in": Look("warn", "🔒", "サインインしてください", "SIGN IN FIRST"),
    "two_person": Look("error", "✖", "2名の要件を満たしていません", "TWO-PERSON RULE NOT MET"),
    "signed_in": Look("ok", "✔", "サインインしました", "SIGNED IN"),
    "locked": Look("error", "🔒", "ロック中の職員です", "LOCKED OUT"),
    "session_opened": Look("ok", "🔓", "保管庫を開きました", "SAFE OPENED"),
    "session_closed": Look("ok", "🔒", "保管庫を閉じました", "SAFE CLOSED"),
    "added": Look("ok", "＋", "本日の交付予定に追加しました", "ADDED to today's pick list"),
    "info": Look("info", "ℹ", "お知らせ", "Notice"),
    "printed": Look("ok", "🖨", "印刷しました", "PRINTED"),
    "not_printed": Look(
        "warn", "！", "印刷されていません ― PDF は保存しました", "NOT PRINTED - the PDF is kept"
    ),
    # refusals of the application core's authorisation table (who may act, with whom)
    "not_allowed": Look("error", "⛔", "この操作は認められません", "NOT ALLOWED"),
    "need_witness": Look(
        "error", "✖", "交付には立会人の確認が必要です", "A WITNESS MUST CONFIRM THE HAND-OVER"
    ),
    "joined": Look("ok", "＋", "保管庫の作業に加わりました（2名で確認）", "JOINED the safe session"),
    # disposal (交付取りやめ・廃棄): scanning a card out of the safe into an approved batch
    "cancelled": Look(
        "ok", "▲", "廃棄リストへ取り出しました（交付取りやめ）", "CANCELLED into the disposal batch"
    ),
    "unknown_batch": Look("error", "✖", "その廃棄リストはありません", "NO SUCH DISPOSAL BATCH"),
    "wrong_state": Look("error", "✖", "廃棄リストが承認されていません", "DISPOSAL BATCH NOT APPROVED"),
    "not_in_batch": Look("error", "✖", "廃棄リストにないカードです", "NOT ON THIS DISPOSAL BATCH"),
    "already_scanned": Look("info", "＝", "このカードはすでに取り出しました", "ALREADY IN THE BATCH"),
    "on_hold": Look("warn", "！", "保留中のカードです ― 廃棄できません", "ON HOLD - cannot be disposed"),
    "notice_unknown": Look(
        "warn", "！", "交付通知書の送付日が記録されていません", "NOTICE DATE NOT RECORDED"
    ),
    "reminder_not_sent": Look("warn", "！", "督促状の送付が記録されていません", "NO REMINDER RECORDED"),
    "period_running": Look("warn", "！", "保管期間がまだ終わっていません", "RETENTION PERIOD STILL RUNNING"),
    "policy_never_disposes": Look(
        "warn", "！", "この保管方針では廃棄しません", "THE RETENTION POLICY NEVER DISPOSES"
    ),
    # stocktake (点検): one look per kind of sighting, and for the flow
    "st_found": Look("ok", "✔", "確認OK ― 予定どおり保管庫にあります", "FOUND where expected"),
    "st_misplaced": Look(
        "warn", "↔", "場所違い ― 管理簿と違う場所にありました", "MISPLACED (found elsewhere)"
    ),
    "st_duplicate": Look("info", "＝", "確認済み ― この点検ですでに数えました", "ALREADY COUNTED"),
    "st_unexpected": Look(
        "error", "！", "予定外 ― 管理簿では保管庫にないカードです", "UNEXPECTED (ledger says not in safe)"
    ),
    "st_unknown": Look("error", "✖", "管理簿にないIDです", "UNKNOWN ID (not in the ledger)"),
    "st_location": Look("info", "📍", "場所を設定しました", "LOCATION set"),
    "st_batch": Look("ok", "✔", "一括読取OK", "BATCH READ"),
    "st_batch_warn": Look(
        "warn", "！", "一括読取 ― 確認が必要なカードがあります", "BATCH READ - check the lists"
    ),
    "st_started": Look("ok", "📋", "点検を開始しました", "STOCKTAKE STARTED"),
    "st_resumed": Look("info", "📋", "点検を再開しました", "STOCKTAKE RESUMED"),
    "st_search_again": Look("warn", "🔍", "再捜索 ― 点検は継続中です", "SEARCH AGAIN - stocktake still open"),
    "st_undecided": Look("error", "✖", "点検を完了できません", "CANNOT FINISH THE STOCKTAKE"),
    "st_finished": Look("ok", "✔", "点検を完了しました（2名署名）", "STOCKTAKE FINISHED (signed by two)"),
    # 受領 (receipt): each scan of a delivery against its list, and the receipt itself
    "rc_listed": Look("ok", "✔", "一覧にあるカードです", "ON THE LIST"),
    "rc_extra": Look(
        "error", "！", "一覧にないカードです ― 別に置いてください", "NOT ON THE LIST - set it aside"
    ),
    "rc_again": Look("warn", "＝", "二度目の読取です ― 1枚として数えます", "SCANNED TWICE - counted once"),
    "received": Look("ok", "✔", "受領を記録しました", "RECEIVED"),
    "received_diff": Look("warn", "！", "受領を記録しました ― 相違があります", "RECEIVED - with differences"),
    # 廃棄 (disposal): the batch's steps
    "batch_prepared": Look("ok", "✔", "廃棄リストを作成しました", "DISPOSAL BATCH PREPARED"),
    "batch_approved": Look("ok", "✔", "廃棄リストを承認しました", "DISPOSAL BATCH APPROVED"),
    "batch_disposed": Look("ok", "✔", "廃棄を記録しました（2名）", "DISPOSAL RECORDED (two people)"),
    "opened_for_disposal": Look("ok", "🔓", "保管庫を開きました（廃棄の取出）", "SAFE OPENED (disposal)"),
}

# Japanese (and English) explanations for reason codes of refused input and rejected frames.
REASONS: dict[str, tuple[str, str]] = {
    "mynumber_refused": (
        "12桁の数字（個人番号の形）は受け付けません。値は記録も表示もしていません。",
        "A 12-digit value (the shape of an individual number) is refused; it was neither stored nor shown.",
    ),
    "ime_on": (
        "IME（日本語入力）がオンです。半角英数に切り替えて、もう一度スキャンしてください。",
        "The IME is on: switch to direct ASCII input and scan again.",
    ),
    "non_ascii": (
        "全角・日本語の文字が含まれています。IMEをオフにしてください。",
        "Non-ASCII text: switch the IME off.",
    ),
    "not_digits": ("管理IDは数字だけです。", "A management ID has digits only."),
    "wrong_length": ("管理IDは10桁です。", "A management ID has 10 digits."),
    "check_digit": (
        "チェックディジットが合いません（読み違い・打ち間違い）。",
        "The check digit does not match (misread or mistyped).",
    ),
    "empty": ("何も読み取れませんでした。", "Nothing was read."),
    "garbage": (
        "読み取れない信号です（通信設定・ノイズ）。もう一度スキャンしてください。",
        "Unreadable bytes (line noise or serial settings). Scan again.",
    ),
    "control_bytes": ("制御文字が含まれています（通信設定の誤り）。", "Control bytes in the frame."),
    "modem_probe": ("スキャンではない信号（モデム命令）を無視しました。", "A modem probe, not a scan."),
    "partial_timeout": (
        "途中で途切れた読み取りを破棄しました。もう一度。",
        "An incomplete frame was dropped.",
    ),
    "no_terminator": (
        "読み取りの終わり（Enter）がありません。スキャナーの設定を確認してください。",
        "No Enter at the end of the scan; check the scanner's suffix.",
    ),
    "layout_us_scanner_jis_host": (
        "スキャナーのキーボード設定が英語(US)です。日本語(JIS)に設定してください。",
        "Scanner keyboard country is US but the PC is JIS.",
    ),
    "layout_jis_scanner_us_host": (
        "スキャナーのキーボード設定が日本語(JIS)です。英語(US)に設定してください。",
        "Scanner keyboard country is JIS but the PC is US.",
    ),
    "symbology_not_allowed": ("管理IDラベルではないバーコードです。", "Not a management-ID barcode."),
    # Issue 14: set-up diagnoses (the technician's hint is in the log and `kiosk listen`).
    "line_settings": (
        "スキャナーと通信設定（速度・データ長・パリティ）が合っていません。kiosk doctor で確認を。",
        "The scanner's serial settings (baud rate, data bits, parity) do not match; run kiosk doctor.",
    ),
    "code_id": (
        "スキャナーが読み取り記号の識別文字（Code ID）を付けています。設定を確認してください。",
        "The scanner adds a vendor Code ID the configuration does not expect; set code_id.",
    ),
    "code_id_missing": (
        "設定された識別文字（Code ID）がありません。スキャナーの設定を確認してください。",
        "The configured Code ID is missing; check the scanner's Code ID setting.",
    ),
    "stray_prefix": (
        "管理IDの前に余分な文字が付いています。スキャナーのプレフィックス設定を確認してください。",
        "Extra characters before the management ID; check the scanner's prefix.",
    ),
    "stray_suffix": (
        "管理IDの後に余分な文字が付いています。スキャナーのサフィックス設定を確認してください。",
        "Extra characters after the management ID; check the scanner's suffix.",
    ),
    "keys_too_slow": (
        "スキャナーの入力が遅すぎます。キー間隔の設定（wedge_max_key_gap_ms）を確認してください。",
        "The scanner types too slowly for the configured inter-key gap (wedge_max_key_gap_ms).",
    ),
    "keypad_keys": (
        "テンキーの NumLock がオフです。NumLock をオンにしてもう一度スキャンしてください。",
        "NumLock is off (keypad keys, not digits): switch NumLock on and scan again.",
    ),
    "two_labels_in_view": (
        "カメラに2枚のラベルが写っています。1枚だけをかざしてください。",
        "Two labels in view: hold one card to the camera.",
    ),
    "not_in_session": (
        "保管庫を開いた2名（または参加を確認された人）だけが操作できます。",
        "Only the two who opened the safe (or a person who joined with their confirmation) may act.",
    ),
    "booked_by_taker": (
        "自分で交付予定に登録したカードは、責任者の承認なしに持ち出せません。",
        "A card you booked yourself needs a supervisor's approval to take out.",
    ),
    "same_person": ("同じ人（同じ職員番号）は2人目になれません。", "The same person cannot be both people."),
    "need_officer": (
        "2名のうち1名以上は保管責任者でなければなりません。",
        "One of the two must be an officer.",
    ),
    "need_supervisor": ("責任者（管理職）が必要です。", "A supervisor is needed."),
    "role": ("この役割の職員はこの操作をできません。", "This person's role may not do this."),
    "inactive": ("無効化された職員です。", "This person is deactivated."),
    "locked": ("ロック中の職員です。", "This person is locked out."),
    "need_witness": (
        "立会人がバッジと暗証番号で確認してください。",
        "The witness confirms with badge and PIN.",
    ),
    # Issue 25: what the drivers refuse, each in words a clerk can act on.
    "code_id_unknown": (
        "スキャナーが知らない識別文字（Code ID）を付けています。AIM識別子に設定してください。",
        "The scanner adds a Code ID no table knows: set it to send AIM identifiers.",
    ),
    "wrong_terminator": (
        "読み取りの終わりの文字が設定と違います。スキャナーのサフィックス設定を確認してください。",
        "The frame ends with another terminator than the one configured: check the scanner's suffix.",
    ),
    "present_card_unreadable": (
        "かざしたカードのラベルが読めません。カメラから少し離して、ピントを合わせてください。",
        "The card held to the camera cannot be read: hold it a little further away, in focus.",
    ),
    "aim_missing": (
        "スキャナーが記号の識別子（AIM）を付けていません。スキャナーの設定を確認してください。",
        "No AIM symbology identifier: enable AIM IDs on the scanner.",
    ),
    "prefix_missing": (
        "設定したプレフィックスがありません。スキャナーの設定を確認してください。",
        "The configured prefix is missing: check the scanner's prefix.",
    ),
    "suffix_missing": (
        "設定したサフィックスがありません。スキャナーの設定を確認してください。",
        "The configured suffix is missing: check the scanner's suffix.",
    ),
    "outside_frame": ("読み取りの枠の外の信号を無視しました。", "Bytes outside a frame were ignored."),
    "overlong": (
        "長すぎる読み取りを破棄しました（終わりの文字がない）。もう一度。",
        "An overlong frame was dropped (no terminator): scan again.",
    ),
    "power_up_glitch": (
        "電源投入時のノイズを無視しました。もう一度スキャンしてください。",
        "Power-up noise was ignored: scan again.",
    ),
    "unterminated": (
        "途中で途切れた読み取りを破棄しました。もう一度。",
        "A frame cut off by the next one or by a disconnect was dropped.",
    ),
    "syn_dropped": (
        "入力の一部が失われました。もう一度スキャンしてください。",
        "The kernel dropped input events: scan again.",
    ),
    "unknown_key": (
        "キーボードの配列設定にないキーです。スキャナーのキーボード設定を確認してください。",
        "A key the configured keyboard map does not know: check the keyboard country.",
    ),
    "device_lost": (
        "スキャナーとの接続が切れました。ケーブルを確認してください。自動で再接続します。",
        "The scanner was disconnected. Check the cable; the kiosk reconnects by itself.",
    ),
}


def reason_text(reason: str, language: str) -> str:
    """A clerk-readable explanation of a reason code (the code itself when unknown)."""
    pair = REASONS.get(reason)
    if pair is None:
        return reason
    return pair[1] if language == "en" else pair[0]


def look(code: str) -> Look:
    """The look of a verdict code; unknown codes look like errors (never like success)."""
    return LOOKS.get(code, Look("error", "✖", code, code))
