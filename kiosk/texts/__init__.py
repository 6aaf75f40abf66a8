"""The one text catalogue: what people read on the kiosk's screens, the supervisor's view and paper.

Keyed by the domain's enums where the domain has one (`VerdictCode`, `NextStep`, `CardStatus`, `CardKind`,
`Act`, `Role`, `Sighting`, `EventKind`, `AlertKind`) and by stable string keys for the screens' own
sentences, each in Japanese (`ja`, the default) and English (`en`). `tests/texts/test_catalogue.py`
walks every member of those enums, and every refusal reason code the domain and the drivers can give, and
fails on one with no Japanese or no English text.

Where the words live:
- this module: each verdict's look (tone, symbol, headline, bells), the refusal reasons and next steps,
  the enums' names, and the look-up functions every front end calls;
- `kiosk.texts.screens` (and `kiosk.texts.office`): the kiosk's screens, by key, through `translate`;
- `kiosk.texts.supervisor`: the supervisor's web page, by key, through `supervisor.translator`;
- `kiosk.texts.paper`: payload fields and coded values on paper (`value_ja`);
- `kiosk.texts.forms`: the papers' own titles, headings, column names and fixed sentences (`PaperText`).
Two sets of names stay beside their enums in the domain because domain rules write them: the event kinds'
names in the event registry (`kiosk.domain.events.KINDS`, where issue 20 puts them) and the alert kinds'
names (`kiosk.domain.alerts.ALERT_NAMES`, the subject of an alert the domain drafts). This catalogue
answers for them too (`kind_name`, `alert_name`), so front ends ask here.

This package imports only `kiosk.domain` (an import-linter contract), so the TUI, the supervisor's view
and the reports can all import it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from kiosk.domain import alerts as _alerts
from kiosk.domain import events as _events
from kiosk.domain.authz import Act
from kiosk.domain.staff import Role
from kiosk.domain.status import CardKind, CardStatus
from kiosk.domain.stocktake import Sighting
from kiosk.domain.verdicts import NextStep, VerdictCode
from kiosk.texts import screens as _screens
from kiosk.texts.paper import VALUE_JA

Language = Literal["ja", "en"]
Tone = Literal["ok", "info", "warn", "error"]

# Bells per tone: one short ring for success, two for "look at the screen", three for "stop".
BELLS: dict[Tone, int] = {"ok": 1, "info": 0, "warn": 2, "error": 3}


@dataclass(frozen=True, slots=True)
class Name:
    """What people call one member of an enum, in Japanese and in English."""

    ja: str
    en: str

    def __call__(self, language: str) -> str:
        return self.en if language == "en" else self.ja


@dataclass(frozen=True, slots=True)
class Look:
    """The presentation of one verdict code: colour, symbol, text and a bell pattern, never colour alone.

    A verdict code comes from the core (`Verdict.code`, a `VerdictCode`) or from a screen itself (a
    refused frame, a device problem, a ledger error, a stocktake sighting). Each has its own symbol and
    headline, so a colour-blind clerk, or one looking away (the bell), still tells them apart.
    """

    tone: Tone
    symbol: str
    ja: str
    en: str

    @property
    def bells(self) -> int:
        return BELLS[self.tone]


V = VerdictCode
NS = NextStep

# Keyed by `VerdictCode` for the core's outcomes; the screens' own codes follow by string.
LOOKS: dict[str, Look] = {
    V.TAKEN_OUT: Look("ok", "▲", "持出OK ― 保管庫から取り出しました", "TAKEN OUT of the safe"),
    V.PUT_BACK: Look("ok", "▼", "返却OK ― 保管庫に戻しました", "PUT BACK into the safe"),
    V.ISSUED: Look("ok", "★", "交付を記録しました（本人に渡しました）", "HANDED OVER to the holder"),
    V.MARKED_MISSING: Look("warn", "？", "所在不明として記録しました", "Recorded as MISSING"),
    V.NOT_ON_PICK_LIST: Look(
        "warn", "！", "本日の交付予定にありません ― 責任者の承認が必要です", "NOT ON TODAY'S LIST"
    ),
    V.OVERRIDE_REFUSED: Look(
        "error", "✖", "承認は無効です ― 責任者本人の承認が必要です", "OVERRIDE REFUSED (supervisor needed)"
    ),
    V.ALREADY_OUT: Look("warn", "！", "すでに持出中のカードです", "ALREADY OUT"),
    V.DUPLICATE: Look(
        "info", "＝", "重複スキャン ― 同じカードは記録済みです", "DUPLICATE scan (already recorded)"
    ),
    V.UNKNOWN_ID: Look("error", "✖", "管理簿にないIDです", "UNKNOWN ID (not in the ledger)"),
    V.WRONG_STATUS: Look("error", "✖", "この状態のカードは扱えません", "WRONG STATUS for this action"),
    # An alarm (on the chain, on the supervisor's page): a card handed over must be with its holder.
    V.HANDED_OVER_SEEN: Look(
        "error", "🚨", "警報: 交付済のカードです ― 記録しました", "ALARM: THIS CARD WAS HANDED OVER"
    ),
    V.REFUSED_INPUT: Look("error", "⛔", "入力を拒否しました", "INPUT REFUSED"),
    "device_problem": Look("error", "⚠", "機器の異常", "DEVICE PROBLEM"),
    "ledger_error": Look(
        "error", "✖", "管理簿に書き込めません ― 記録されていません", "LEDGER ERROR - NOT RECORDED"
    ),
    # A read that failed wrote nothing: the clerk must not go looking for an unrecorded act.
    "ledger_read_error": Look("error", "✖", "管理簿を読み込めません", "LEDGER CANNOT BE READ"),
    V.NO_SESSION: Look("error", "✖", "保管庫が開いていません", "THE SAFE IS NOT OPEN"),
    # start-up: the home screen is up while the ledger is opened and checked behind it
    "starting": Look("info", "⏳", "起動確認中 ― 管理簿を確認しています", "STARTING - CHECKING THE LEDGER"),
    "start_wait": Look("warn", "⏳", "起動確認中 ― まだ記録できません", "STILL CHECKING - NOT RECORDED"),
    "started": Look("info", "✔", "起動確認が終わりました", "START-UP CHECK PASSED"),
    "start_refused": Look(
        "error", "⛔", "起動時の確認で管理簿が拒否されました", "REFUSED AT START - THE LEDGER MAY NOT BE USED"
    ),
    V.NEED_SIGN_IN: Look("warn", "🔒", "サインインしてください", "SIGN IN FIRST"),
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
    V.NOT_ALLOWED: Look("error", "⛔", "この操作は認められません", "NOT ALLOWED"),
    V.NEED_WITNESS: Look(
        "error", "✖", "交付には立会人の確認が必要です", "A WITNESS MUST CONFIRM THE HAND-OVER"
    ),
    "joined": Look("ok", "＋", "保管庫の作業に加わりました（2名で確認）", "JOINED the safe session"),
    # disposal (交付取りやめ・廃棄): scanning a card out of the safe into an approved batch
    V.CANCELLED: Look(
        "ok", "▲", "廃棄リストへ取り出しました（交付取りやめ）", "CANCELLED into the disposal batch"
    ),
    V.UNKNOWN_BATCH: Look("error", "✖", "その廃棄リストはありません", "NO SUCH DISPOSAL BATCH"),
    V.WRONG_STATE: Look("error", "✖", "廃棄リストが承認されていません", "DISPOSAL BATCH NOT APPROVED"),
    V.NOT_IN_BATCH: Look("error", "✖", "廃棄リストにないカードです", "NOT ON THIS DISPOSAL BATCH"),
    V.ALREADY_SCANNED: Look("info", "＝", "このカードはすでに取り出しました", "ALREADY IN THE BATCH"),
    V.ON_HOLD: Look("warn", "！", "保留中のカードです ― 廃棄できません", "ON HOLD - cannot be disposed"),
    V.NOTICE_UNKNOWN: Look(
        "warn", "！", "交付通知書の送付日が記録されていません", "NOTICE DATE NOT RECORDED"
    ),
    V.REMINDER_NOT_SENT: Look("warn", "！", "督促状の送付が記録されていません", "NO REMINDER RECORDED"),
    V.PERIOD_RUNNING: Look("warn", "！", "保管期間がまだ終わっていません", "RETENTION PERIOD STILL RUNNING"),
    V.POLICY_NEVER_DISPOSES: Look(
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
    "st_tray_coarse": Look(
        "warn", "📷", "写真のラベルが小さすぎて読めません", "LABELS TOO SMALL IN THE PHOTO"
    ),
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
    # the safe's door and lock (扉・電気錠)
    "door_alarm": Look("error", "🚨", "扉の不正開放 ― 保管庫利用なしに扉が開きました", "SAFE DOOR FORCED"),
    "door_open": Look("error", "🚪", "扉が開いています", "THE SAFE'S DOOR IS OPEN"),
    "door_left_open": Look("warn", "🚪", "扉が開いたままです", "THE SAFE'S DOOR IS LEFT OPEN"),
    "module_offline": Look(
        "error", "⚠", "扉・錠の機器が切断されています", "THE SAFE'S DOOR/LOCK MODULE IS OFFLINE"
    ),
    "restore_pending": Look("error", "⚠", "管理簿の復元が未確認です", "LEDGER RESTORE NOT ACKNOWLEDGED"),
    "restore_ok": Look("info", "✔", "管理簿の復元を確認しました", "RESTORE ACKNOWLEDGED"),
    "alarm_acknowledged": Look("info", "✔", "扉の警報を確認しました", "DOOR ALARM ACKNOWLEDGED"),
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

# The look of each stocktake sighting (a refused scan looks like any refused input).
SIGHTING_LOOKS: dict[Sighting, str] = {
    Sighting.FOUND: "st_found",
    Sighting.MISPLACED: "st_misplaced",
    Sighting.DUPLICATE: "st_duplicate",
    Sighting.UNEXPECTED: "st_unexpected",
    Sighting.UNKNOWN: "st_unknown",
    Sighting.REFUSED: "refused_input",
    Sighting.LOCATION: "st_location",
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
    "not_digits": (
        "管理IDは数字だけです。カードの管理IDラベルを読み取ってください。",
        "A management ID has digits only: scan the card's management-ID label.",
    ),
    "wrong_length": (
        "管理IDは10桁です。ラベル全体をもう一度読み取るか、F5 で10桁を入力してください。",
        "A management ID has 10 digits: scan the whole label again, or type the 10 digits with F5.",
    ),
    "check_digit": (
        "チェックディジットが合いません（読み違い・打ち間違い）。"
        "もう一度読み取るか、F5 で入力し直してください。",
        "The check digit does not match (misread or mistyped): scan again, or type it again with F5.",
    ),
    "empty": ("何も読み取れませんでした。もう一度読み取ってください。", "Nothing was read: scan again."),
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
    "role": (
        "この役割の職員はこの操作をできません。できる職員がサインイン（F9）して行ってください。",
        "This person's role may not do this: someone who may signs in (F9) and does it.",
    ),
    "inactive": (
        "無効化された職員です。管理者に確認してください。",
        "This person is deactivated: ask the administrator.",
    ),
    "locked": (
        "ロック中の職員です。管理者にロック解除を依頼してください。",
        "This person is locked out: ask the administrator to unlock.",
    ),
    "need_witness": (
        "立会人がバッジと暗証番号で確認してください。",
        "The witness confirms with badge and PIN.",
    ),
    "need_second": (
        "2人目の職員がバッジと暗証番号で確認してください。",
        "A second person confirms with badge and PIN.",
    ),
    "no_reason": ("承認の理由を選んでください。", "Choose a reason for the approval."),
    "reason_not_listed": (
        "設定された理由の一覧から選んでください。",
        "Choose one of the configured reasons.",
    ),
    "no_note": (
        "「その他」を選んだときは理由を記入してください。",
        "With その他 (other), write the reason in the note.",
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
    # The guard's refusals of a typed value (kiosk.domain.guard) and the staff rules' (kiosk.domain.authz),
    # which had only their English until the catalogue's test walked them.
    "control_character": (
        "改行・エスケープなどの制御文字は使えません。入力を破棄しました。",
        "Control characters (line breaks, escapes) are not allowed; the entry was discarded.",
    ),
    "too_long": ("入力が長すぎます。短くして入力し直してください。", "The entry is too long: shorten it."),
    "out_of_range": ("値が範囲外です。", "The value is out of range."),
    "bad_digest": ("SHA-256 のダイジェストではありません。", "Not a SHA-256 digest."),
    "bad_tag": (
        "RFIDタグのIDではありません（読取機の桁数の16進数）。",
        "Not an RFID tag ID (hexadecimal digits of the reader's length).",
    ),
    "pin_change_due": (
        "暗証番号がリセットされています。先に新しい暗証番号を設定してください。",
        "The PIN was reset: set a new PIN first.",
    ),
    "need_staff_witness": (
        "職員の変更の立会人は、保管責任者・責任者・管理者のいずれかです。",
        "A staff change is witnessed by an officer, a supervisor or an administrator.",
    ),
    "witness_is_subject": (
        "職員の変更の立会人は、変更される本人以外の人です。",
        "The witness of a staff change may not be its subject.",
    ),
    "first_not_high": (
        "一人で登録する最初の職員は、管理者・責任者にはできません。",
        "The first colleague added alone cannot be an administrator or a supervisor.",
    ),
    "need_high_second": (
        "責任者・管理者の職員の変更には、2人目の管理者または責任者の確認が必要です。",
        "A supervisor's or administrator's account needs a second administrator or a supervisor.",
    ),
    "similar_person": (
        "登録済みの職員と同じ人の可能性があります（氏名・職員番号）。2人目の管理者の確認が必要です。",
        "The new account suggests a member already registered: a second administrator must confirm.",
    ),
}


# What to do next after a refusal (kiosk.domain.verdicts.NextStep), in words a clerk acts on.
NEXT_STEPS: dict[NextStep, tuple[str, str]] = {
    NS.TAKE_OUT_FIRST: (
        "このカードは保管庫にあります。先に持出してください（F2 持出で読み取り、F4 交付で読み取る）。",
        "This card is in the safe: take it out first (F2 take out, then F4 hand over).",
    ),
    NS.ALREADY_IN_SAFE: (
        "このカードは保管庫にあります。返却は不要です。",
        "This card is in the safe already: there is nothing to put back.",
    ),
    NS.HAND_OVER_OR_PUT_BACK: (
        "このカードは持出中です。交付なら F4、保管庫に戻すなら F3 を押して読み取ってください。",
        "This card is out: press F4 to hand it over or F3 to put it back, then scan it.",
    ),
    NS.CHECK_LABEL: (
        "ラベルの番号を確かめて読み直すか、F5 で手入力してください。"
        "それでも出ないときは受領の記録がないカードです。保管庫に入れずに保管責任者に渡してください。",
        "Check the label and scan again, or type it with F5. If it is still unknown, the card was never "
        "received: keep it out of the safe and give it to the responsible officer.",
    ),
    NS.ASK_OFFICER: (
        "窓口では扱えない状態のカードです。カード履歴（F7）で状態を確かめ、保管責任者に相談してください。",
        "The counter cannot handle a card in this state: see its history (F7) and ask the officer.",
    ),
    NS.REPORT_SUPERVISOR: (
        "交付済のカードが保管庫にあるはずはありません。カードを別にして、すぐ責任者に報告してください。",
        "A handed-over card should never be at the safe: keep it apart and tell the supervisor now.",
    ),
    NS.NEED_OVERRIDE: (
        "持ち出すには責任者の承認（バッジ・暗証番号）と理由が必要です。",
        "Taking it out needs a supervisor's approval (badge and PIN) and a reason.",
    ),
    NS.OPEN_SAFE_FIRST: (
        "保管庫が開いていません。ホームの F2 で2名で開いてください。",
        "The safe is not open: two people open it with F2 on the home screen.",
    ),
}


def next_step_text(step: NextStep, language: str) -> str:
    """What to do next after a refusal ("" when there is nothing to add)."""
    pair = NEXT_STEPS.get(step)
    if pair is None:
        return ""
    return pair[1] if language == "en" else pair[0]


def reason_text(reason: str, language: str) -> str:
    """A clerk-readable explanation of a reason code (in Japanese never the code: its short name)."""
    pair = REASONS.get(reason)
    if pair is None:
        return refusal_label(reason, language)
    return pair[1] if language == "en" else pair[0]


def look(code: str) -> Look:
    """The look of a verdict code; unknown codes look like errors (never like success)."""
    return LOOKS.get(code, Look("error", "✖", code, code))


# Why a device is offline, as the drivers word it (English, for the log), in words a clerk reads.
_DEVICE_REASONS: tuple[tuple[str, str, str], ...] = (
    ("absent", "接続されていません（ケーブルを確認）", "not connected (check the cable)"),
    ("no such", "接続されていません（ケーブルを確認）", "not connected (check the cable)"),
    ("not found", "接続されていません（ケーブルを確認）", "not connected (check the cable)"),
    ("permission", "使用の権限がありません（管理者に連絡）", "no permission (call the administrator)"),
    ("busy", "他のプログラムが使用中です", "in use by another program"),
    ("gone", "ケーブルが抜けました", "unplugged"),
    ("driver error", "機器の異常（管理者に連絡）", "driver error (call the administrator)"),
)


def device_reason_text(reason: str, language: str) -> str:
    """Why a device is offline, for the screen: never the driver's English on a Japanese screen.

    The driver's own words stay in the log (and on an English screen when no phrase fits).
    """
    lowered = reason.lower()
    for needle, ja, en in _DEVICE_REASONS:
        if needle in lowered:
            return en if language == "en" else ja
    return reason if language == "en" else "原因はログを参照"


def refusal_label(reason: str, language: str) -> str:
    """A refused attempt's reason code as a short phrase (the paper's words in Japanese)."""
    if language == "en":
        return reason.replace("_", " ")
    return value_ja(reason)


def place_label(location: str | None, language: str) -> str:
    """Where a card is: the safe by its name, a site's own location label as written."""
    if not location:
        return "-"
    if location == "safe":
        return "safe" if language == "en" else "保管庫"
    return location


# -- the enums' names ------------------------------------------------------------------------------

CARD_STATUSES: dict[CardStatus, Name] = {
    CardStatus.RECEIVED: Name("受領", "received"),
    CardStatus.IN_SAFE: Name("保管中", "in safe"),
    CardStatus.OUT: Name("持出中", "out"),
    CardStatus.ISSUED: Name("交付済", "issued"),
    CardStatus.CANCELLED: Name("交付取りやめ", "cancelled"),
    CardStatus.DISPOSED: Name("廃棄済", "disposed"),
    CardStatus.MISSING: Name("所在不明", "missing"),
}
CARD_KINDS: dict[CardKind, Name] = {
    CardKind.MYNUMBER_CARD: Name("マイナンバーカード", "My Number card"),
    CardKind.NOTIFICATION_CARD: Name("通知カード", "notification card"),
}
# Each act as a refused attempt or a paper line names it (`attempted`); the Japanese is the paper's word
# where it had one, else the heading of the act's row in the authorisation table (docs/ARCHITECTURE.md).
ACTS: dict[Act, Name] = {
    Act.OPEN_SAFE: Name("保管庫を開く", "open the safe"),
    Act.CLOSE_SAFE: Name("保管庫を閉じる", "close the safe"),
    Act.JOIN_SESSION: Name("三人目の参加", "join the safe session"),
    Act.TAKE_OUT: Name("持出", "take out"),
    Act.PUT_BACK: Name("返却", "put back"),
    Act.HAND_OVER: Name("交付", "hand over"),
    Act.OVERRIDE: Name("予定外持出", "override"),
    Act.MARK_MISSING: Name("所在不明の記録", "mark missing"),
    Act.RECORD_FOUND: Name("発見の記録", "record found"),
    Act.BOOK_PICK_LIST: Name("交付予定の登録", "book the pick list"),
    Act.RECEIVE: Name("受領", "receive"),
    Act.BIND_RFID: Name("RFIDタグの紐付け", "bind an RFID tag"),
    Act.STOCKTAKE_START: Name("点検開始", "start a stocktake"),
    Act.STOCKTAKE_SCAN: Name("点検の読取", "stocktake scan"),
    Act.STOCKTAKE_FINISH: Name("点検完了", "finish a stocktake"),
    Act.OFFICER_HANDOVER: Name("保管責任者の引継ぎ", "officer handover"),
    Act.RETENTION_RECORD: Name("通知・督促の送付記録", "record a notice or reminder"),
    Act.APPLICANT_SET: Name("申請者参照の設定・訂正", "set the applicant reference"),
    Act.HOLD: Name("保留・保留解除", "hold or release"),
    Act.DISPOSAL_PREPARE: Name("廃棄リスト作成", "prepare a disposal batch"),
    Act.DISPOSAL_APPROVE: Name("廃棄の承認", "approve a disposal batch"),
    Act.DISPOSAL_SCAN: Name("廃棄の読取", "disposal scan"),
    Act.DISPOSAL_FINISH: Name("廃棄の完了", "finish a disposal"),
    Act.STAFF_ADD: Name("職員の登録", "add staff"),
    Act.STAFF_ADD_FIRST: Name("最初の職員の登録", "add the first colleague"),
    Act.STAFF_DEACTIVATE: Name("職員の無効化", "deactivate staff"),
    Act.STAFF_REACTIVATE: Name("職員の再有効化", "reactivate staff"),
    Act.STAFF_SET_ROLE: Name("役割の変更", "change a role"),
    Act.STAFF_UNLOCK: Name("ロック解除", "unlock staff"),
    Act.STAFF_RESET_PIN: Name("暗証番号の再設定", "reset a PIN"),
    Act.STAFF_TRAINING: Name("研修の記録", "record training"),
    Act.RESTORE: Name("バックアップの復元", "restore a backup"),
    Act.ACKNOWLEDGE_DOOR_ALARM: Name("扉の警報の確認", "acknowledge a door alarm"),
    Act.SAFE_MANUAL: Name("鍵による手動手順", "manual (key) procedure"),
    Act.DAILY_CLOSE: Name("日次締め", "daily close"),
    Act.ACKNOWLEDGE_RESTORE: Name("復元の確認", "acknowledge a restore"),
}
ROLES: dict[Role, Name] = {role: Name(VALUE_JA[role.value], role.value) for role in Role}


def status_name(status: CardStatus | str, language: str) -> str:
    """A card's status as people read it."""
    return CARD_STATUSES[CardStatus(status)](language)


def kind_name(kind: str, language: str = "ja") -> str:
    """An event kind as people read it (the event registry names every kind; an unknown one its code)."""
    return _events.kind_name(kind, language)


def alert_name(kind: str, language: str = "ja") -> str:
    """An alert kind as people read it (named beside the domain's alert rules; an unknown one its code)."""
    return _alerts.alert_name(kind, language)


def act_name(act: Act | str, language: str = "ja") -> str:
    """An act of the authorisation table as people read it (an unknown one its code, spaced)."""
    try:
        return ACTS[Act(act)](language)
    except ValueError:
        return str(act).replace("_", " ")


# -- the screens' sentences, by key ------------------------------------------------------------------

JA: dict[str, str] = (
    _screens.JA
    | {f"card.{status.value}": name.ja for status, name in CARD_STATUSES.items()}
    | {f"kind.{kind.value}": name.ja for kind, name in CARD_KINDS.items()}
)
EN: dict[str, str] = (
    _screens.EN
    | {f"card.{status.value}": name.en for status, name in CARD_STATUSES.items()}
    | {f"kind.{kind.value}": name.en for kind, name in CARD_KINDS.items()}
)
CATALOGS: dict[str, dict[str, str]] = {"ja": JA, "en": EN}


def translate(language: str, key: str, **values: object) -> str:
    """The screen text for `key` in `language` (Japanese when missing), with `values` filled in."""
    text = CATALOGS.get(language, JA).get(key) or JA.get(key, key)
    return text.format(**values) if values else text


# -- codes on paper and on the supervisor's view ------------------------------------------------------

_CODE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")  # snake_case: a code, not a place or a note
_ACT_CODES: dict[str, Act] = {act.value: act for act in Act}


def value_ja(value: object) -> str:
    """A payload value for paper: the Japanese word for a known code, else the value itself."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    text = str(value)
    if text in VALUE_JA:
        return VALUE_JA[text]
    act = _ACT_CODES.get(text)
    if act is not None:  # an act the paper has no word of its own for (`attempted`): the act's name
        return ACTS[act].ja
    if text.startswith("override_"):
        return "承認が無効"
    if text.startswith("disposal-") and text[9:].isdigit():
        return f"廃棄待ち（第{text[9:]}回）"
    if _CODE.match(text):
        # A code without a word yet: say so rather than print it (a test keeps this list complete).
        return "（その他）"
    return text


def code_label(code: str, language: str) -> str:
    """A reason or role code as staff read it (the code itself, spaced, in English)."""
    if language == "ja":
        # Never a raw code on a Japanese page: an unnamed code reads （その他）.
        return value_ja(code)
    return code.replace("_", " ")
