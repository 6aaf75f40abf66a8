"""The printed papers' own words: titles, headings, column names, fixed sentences and the marks between them.

Part of the one text catalogue (`kiosk.texts`). The papers (`kiosk.reports`: 管理簿, カード台帳, サインイン
記録, 日次締め, 点検結果報告書, カード別履歴, 督促対象一覧, 廃棄リスト, 廃棄証明書; `kiosk.labels`: the
label sheets) hold no Japanese of their own: each word they print is a member of `PaperText`, in Japanese
(what paper prints) and in English beside it. `tests/texts/test_catalogue.py` fails on a member with no
Japanese or no English, or whose two languages ask for different placeholders, and
`tests/reports/test_no_inline_words.py` fails when a paper module holds a Japanese literal again.

A sentence with values in it is one member with `{placeholders}` (`PaperText.RECORDS.fill(office=…, n=3)`),
so the word order stays each language's own. Payload fields and coded values are `kiosk.texts.paper`'s;
card statuses and kinds, event kinds and acts are the catalogue's enums' names (`kiosk.texts`).
"""

from __future__ import annotations

from enum import Enum, unique


@unique
class PaperText(Enum):
    """One piece of text on paper: `.ja` (printed), `.en` (the same in English)."""

    ja: str
    en: str

    def __init__(self, ja: str, en: str) -> None:
        self.ja = ja
        self.en = en

    def text(self, language: str = "ja") -> str:
        return self.en if language == "en" else self.ja

    def fill(self, language: str = "ja", /, **values: object) -> str:
        """The text with its `{placeholders}` filled in (format specs such as `{day:%Y年%m月%d日}` apply)."""
        return self.text(language).format(**values)

    # -- marks between words, and words every paper uses ------------------------------------------------
    SPACE = ("\u3000", " ")  # the full-width space between the parts of a title or a footer
    LIST_SEP = ("、", ", ")
    NAME_SEP = ("・", " / ")  # between the two people of a safe session
    IN_PARENS = ("（{text}）", " ({text})")
    NAME_RANK = ("{name}（{rank}）", "{name} ({rank})")
    OFFICE_LEAD = ("{office}\u3000", "{office}, ")  # the office before a line, when there is one
    NONE = ("なし", "none")
    NONE_PARENS = ("（なし）", "(none)")
    NO_RECORD = ("（記録なし）", "(no record)")
    DATE = ("{day:%Y年%m月%d日}", "{day:%d %B %Y}")
    ORDINAL = ("第{n}回", "No. {n}")  # a safe session's or a stocktake's number
    SEAL = ("印", "seal")
    COUNT_CARDS = ("{n} 枚", "{n} cards")
    RECORDS = ("{lead}記録 {n} 件", "{lead}{n} records")
    PAGE_OF = ("{page} / {total} ページ", "page {page} / {total}")

    # -- column names and labels shared by several papers ---------------------------------------------------
    SEQ = ("連番", "Seq.")
    NUMBER = ("番号", "No.")
    AT = ("日時", "Date and time")
    TIME = ("時刻", "Time")
    WHAT = ("事象", "Event")
    DETAIL = ("内容", "Details")
    CARD_ID = ("管理ID", "Management ID")
    ACTOR = ("操作者", "Operator")
    WITNESS = ("立会人", "Witness")
    SESSION = ("保管庫利用", "Safe session")
    HASH = ("ハッシュ", "Hash")
    KIND = ("種別", "Kind")
    STATUS = ("状態", "Status")
    LOCATION = ("保管場所", "Location")
    DELIVERY = ("納品番号", "Delivery no.")
    RECEIVED_ON = ("受領日", "Received on")
    NOTICE_SENT_ON = ("交付通知書送付日", "Notice sent on")
    REMINDER_SENT_ON = ("督促状送付日", "Reminder sent on")
    HOLD = ("保留", "Hold")
    RFID_TAG = ("RFIDタグ", "RFID tag")
    KIOSK = ("端末", "Kiosk")
    STAFF = ("職員", "Staff")
    PREPARER = ("作成者", "Prepared by")
    CHECKER = ("確認者", "Checked by")
    OFFICER = ("保管責任者", "Responsible officer")
    SUPERVISOR = ("責任者", "Supervisor")
    APPROVER = ("承認者", "Approved by")
    REASON = ("理由", "Reason")
    COUNT = ("件数", "Count")
    GENERATED_AT = ("作成日時", "Generated at")
    HEAD_SEQ = ("最終連番", "Last seq.")
    HEAD_HASH = ("最終ハッシュ", "Last hash")
    HEAD_RECORD = ("管理簿の最終記録", "The ledger's last record")
    HEAD_FOOTER = ("管理簿の最終記録（連番 {seq}）: {hash}", "The ledger's last record (seq. {seq}): {hash}")
    LAST_HASH_FOOTER = ("最終ハッシュ（連番 {seq}）: {hash}", "Last hash (seq. {seq}): {hash}")
    CONFIRM = ("確認欄", "Confirmation")
    SIGN_NAME = ("{signer}（氏名）", "{signer} (name)")
    SIGN_DATE_SEAL = ("年\u3000月\u3000日\u3000\u3000\u3000印", "date / seal")
    NO_RECORDS_IN_PERIOD = ("この期間の記録なし", "No records in this period")

    # -- the ledger CSV (every event, the columns named in both languages) ------------------------------
    CSV_SEQ = ("連番 seq", "seq")
    CSV_AT = ("日時 (JST)", "date and time (JST)")
    CSV_KIND = ("種別 kind", "kind")
    CSV_CARD = ("管理ID card", "card")
    CSV_ACTOR = ("操作者 actor", "actor")
    CSV_WITNESS = ("立会人 witness", "witness")
    CSV_SESSION = ("保管庫利用 session", "session")
    CSV_STOCKTAKE = ("点検 stocktake", "stocktake")
    CSV_DEVICE = ("端末 device", "device")
    CSV_SOURCE = ("読取 source", "source")
    CSV_PAYLOAD = ("内容 payload", "payload")
    CSV_PREV_HASH = ("前ハッシュ prev_hash", "prev_hash")
    CSV_HASH = ("ハッシュ hash", "hash")

    # -- 日次締め (the daily close) ----------------------------------------------------------------------
    DAILY = ("日次締め報告書", "Daily close report")
    DAILY_TITLE = ("日次締め報告書\u3000{day:%Y年%m月%d日}", "Daily close report {day:%d %B %Y}")
    DAILY_DOC = ("日次締め報告書 {day}", "Daily close report {day}")
    DAILY_LEAD = (
        "{lead}端末 {kiosk}\u3000作成 {at}\u3000当日の記録 {n} 件",
        "{lead}kiosk {kiosk}, generated {at}, {n} records that day",
    )
    OPENING = ("前日残", "Opening")
    RECEIVE = ("受入", "Received")
    TAKE_OUT = ("持出", "Taken out")
    PUT_BACK = ("返却", "Put back")
    ISSUE = ("交付", "Handed over")
    CANCEL = ("交付取りやめ", "Cancelled")
    DISPOSE = ("廃棄", "Disposed")
    MISSING = ("所在不明", "Missing")
    CLOSING = ("当日残", "Closing")
    TOTAL = ("合計", "Total")
    CATEGORY = ("区分", "Category")
    CHECK = ("検算", "Check")
    AGREES = ("一致", "agrees")
    DISAGREES = ("不一致", "disagrees")
    CHECK_FORMULA = (
        "前日残 + 受入 − 交付 − 廃棄 − 所在不明 = 当日残",
        "opening + received − handed over − disposed − missing = closing",
    )
    CHECK_PASSED = (
        "検算 {formula}：{sums}（当日残 {closing}）一致",
        "Check {formula}: {sums} (closing {closing}) agrees",
    )
    CHECK_FAILED = (
        "検算 {formula}：{sums}（当日残 {closing}）不一致 — {failed}",
        "Check {formula}: {sums} (closing {closing}) disagrees: {failed}",
    )
    FOUND_NETTED = (
        "所在不明は当日に発見された {found} 枚を差し引いた数です。",
        "Missing is net of the {found} cards found again the same day.",
    )
    BALANCES = ("受払", "Receipts and issues")
    BALANCES_BY_KIND = ("受払（カード種別ごと）", "Receipts and issues (by card kind)")
    DAY_HEAD = ("管理簿の最終記録（この日の締め）", "The ledger's last record (this day's close)")
    HEAD_SEQ_LINE = ("最終連番 {seq}", "Last seq. {seq}")
    HASH_LINE = ("ハッシュ {hash}", "Hash {hash}")
    SESSIONS_OF_DAY = (
        "保管庫利用（開錠・施錠の時刻、操作者と立会人）",
        "Safe sessions (unlock and lock times, operators and witnesses)",
    )
    UNLOCKED_AT = ("開錠時刻", "Unlocked at")
    UNLOCKED_BY = ("開錠者", "Unlocked by")
    LOCKED_AT = ("施錠時刻", "Locked at")
    LOCKED_BY = ("施錠者", "Locked by")
    NOT_LOCKED = ("未施錠", "not locked")
    NO_SESSIONS = ("保管庫の利用なし", "No safe sessions")
    OVERRIDES = ("予定外の持出（承認）", "Take-outs off the list (approved)")
    OVERRIDES_APPROVED = ("予定外の持出（責任者の承認）", "Take-outs off the list (approved by a supervisor)")
    TAKEN_BY = ("持出者", "Taken out by")
    NO_OVERRIDES = ("予定外の持出なし", "No take-outs off the list")
    REFUSALS = ("拒否（理由別）", "Refusals (by reason)")
    REFUSALS_COUNTED = ("拒否（理由別の件数）", "Refusals (counted by reason)")
    NO_REFUSALS = ("拒否なし", "No refusals")
    INCIDENTS = ("差異", "Discrepancies")
    INCIDENTS_OF_DAY = (
        "差異（所在不明・発見・事故報告・ロック）",
        "Discrepancies (missing, found, incidents, lockouts)",
    )
    NO_INCIDENTS = ("差異なし", "No discrepancies")
    RESTORES = (
        "管理簿の復元（責任者の確認まで警告）",
        "Ledger restores (an alert until a supervisor acknowledges them)",
    )
    RESTORES_ALERT = (
        "【警告】管理簿の復元（責任者の確認待ち）",
        "[ALERT] Ledger restores (awaiting a supervisor)",
    )
    LOST_SEQS = ("失われた連番", "Lost seq.")
    RESTORED_SEQ = ("復元した連番", "Restored seq.")
    RESTORED_FROM = ("復元元", "Restored from")
    LOST_RANGE = ("{first}〜{last}（{n} 件）", "{first}-{last} ({n} records)")
    NOT_CONFIRMED = ("（確認なし）", "(not confirmed)")
    SIGN_NAME_SEAL = ("{signer}（氏名・印）", "{signer} (name and seal)")

    # -- 管理簿 (the ledger book) and the confirmation box -------------------------------------------------
    BOOK = ("管理簿", "Ledger")
    BOOK_TITLE = (
        "個人番号カード・通知カード 管理簿\u3000{period}",
        "My Number and notification cards: ledger, {period}",
    )
    BOOK_DOC = ("管理簿 {start} - {end}", "Ledger {start} - {end}")
    BOOK_FOOTER = ("{lead}管理簿\u3000{period}", "{lead}Ledger, {period}")
    PERIOD = ("{start:%Y年%m月%d日} ～ {end:%Y年%m月%d日}", "{start:%d %B %Y} to {end:%d %B %Y}")
    HASH_BEFORE = ("前期末ハッシュ {hash}", "Hash before the period {hash}")
    LEDGER_START = ("（なし：管理簿の最初）", "(none: the start of the ledger)")
    HASH_AFTER = ("期末ハッシュ（連番 {seq}） {hash}", "Hash at the period's end (seq. {seq}) {hash}")
    HASH_AFTER_FOOTER = (
        "期末ハッシュ（連番 {seq}）: {hash}",
        "Hash at the period's end (seq. {seq}): {hash}",
    )
    SESSION_NOTE = (
        "立会人の{mark}は、その保管庫利用を開いた二人のうち操作者でない人（持出・返却の立会）です。",
        "A witness marked {mark} is the one of the two who opened the safe session who did not act "
        "(the witness of a take-out or put-back).",
    )
    BOOK_CONFIRM = (
        "確認欄（この期間の記録を確認しました）",
        "Confirmation (the records of this period were checked)",
    )

    # -- カード台帳 (the card register) and サインイン記録 (the access log) ---------------------
    CABINET = ("カード台帳", "Card register")
    CABINET_TITLE = (
        "個人番号カード・通知カード カード台帳（保管庫全体）",
        "My Number and notification cards: card register (the whole safe)",
    )
    AS_OF = ("{at:%Y年%m月%d日 %H:%M}", "{at:%d %B %Y %H:%M}")
    CABINET_LEAD = (
        "{lead}{made} 現在\u3000全 {n} 枚（{counts}）",
        "{lead}as of {made}, {n} cards ({counts})",
    )
    STATE_COUNT = ("{name} {n}枚", "{name}: {n} cards")
    NO_CARDS = ("カードなし", "No cards")
    CABINET_HEAD = (
        "管理簿の最終記録 連番 {seq}\u3000ハッシュ {hash}",
        "The ledger's last record: seq. {seq}, hash {hash}",
    )
    CABINET_CONFIRM = (
        "確認欄（保管庫の現物と照合しました）",
        "Confirmation (checked against the cards in the safe)",
    )
    CABINET_FOOTER = ("{lead}カード台帳\u3000{made} 現在", "{lead}Card register as of {made}")
    NOTICE_SENT = ("通知書送付", "Notice sent")
    REMINDER_SENT = ("督促状送付", "Reminder sent")
    LAST_TAKEN_OUT = ("最終持出", "Last taken out")
    ACCESS = ("サインイン記録", "Access log")
    ACCESS_TITLE = ("サインイン記録\u3000{period}", "Access log, {period}")
    ACCESS_DOC = ("サインイン記録 {start} - {end}", "Access log {start} - {end}")
    ACCESS_FOOTER = ("{lead}サインイン記録\u3000{period}", "{lead}Access log, {period}")

    # -- カード別履歴, 督促対象一覧, 廃棄リスト, 廃棄証明書 ---------------------------------------
    CARD_REGISTER = ("カード別履歴", "Card history")
    CARD_REGISTER_DOC = ("カード別履歴 {card}", "Card history {card}")
    CARD_REGISTER_TITLE = ("カード別履歴\u3000{card}", "Card history: {card}")
    CARD_REGISTER_FOOTER = ("{office}\u3000カード別履歴\u3000{card}", "{office}, card history {card}")
    HISTORY = ("履歴（{n} 件）", "History ({n} records)")
    CLOSED_ON = ("交付・廃棄等の日", "Handed over, disposed etc. on")
    APPLICANT_REF = ("申請者参照", "Applicant reference")
    DUE_ON = ("督促対象となった日", "Due a reminder on")
    REMINDERS_DOC = ("督促対象一覧 {day}", "Reminders due {day}")
    REMINDERS_TITLE = ("督促対象一覧\u3000{day:%Y年%m月%d日}", "Reminders due: {day:%d %B %Y}")
    REMINDERS_LEAD = ("{office}\u3000方針: {policy}\u3000{n} 枚", "{office}, policy: {policy}, {n} cards")
    REMINDERS_FOOTER = (
        "{office}\u3000督促対象一覧\u3000{day:%Y年%m月%d日}",
        "{office}, reminders due {day:%d %B %Y}",
    )
    NO_REMINDERS = ("督促対象なし", "No cards due a reminder")
    BATCH_PREPARED = ("作成済（承認待ち）", "prepared (awaiting approval)")
    BATCH_APPROVED = ("承認済", "approved")
    BATCH_DISPOSED = ("廃棄済", "disposed")
    DISPOSAL_SCAN = ("廃棄の読取", "Scanned for disposal")
    SCANNED = ("済", "done")
    NOT_SCANNED = ("未", "not yet")
    BATCH_NO = ("廃棄リスト番号", "Disposal batch no.")
    CERTIFICATE = ("廃棄証明書", "Certificate of destruction")
    NOT_ISSUED = ("未発行", "not issued")
    PREPARED = ("作成", "Prepared")
    APPROVED = ("承認", "Approved")
    NOT_APPROVED = ("未承認", "not approved")
    DISPOSAL_DONE = ("廃棄実施", "Disposed")
    NOT_DONE = ("未実施", "not done")
    AT_BY = ("{at}\u3000{who}", "{at}, {who}")
    DONE_BY = (
        "{at}\u3000実施者 {operator}\u3000立会人 {witness}",
        "{at}, by {operator}, witnessed by {witness}",
    )
    METHOD = ("廃棄方法", "Method")
    CARDS = ("枚数", "Cards")
    CARDS_DISPOSED = ("{n} 枚（廃棄 {disposed} 枚）", "{n} cards ({disposed} disposed)")
    DISPOSAL_LIST = ("廃棄リスト", "Disposal batch")
    DISPOSAL_LIST_DOC = ("廃棄リスト {batch}", "Disposal batch {batch}")
    DISPOSAL_LIST_TITLE = ("廃棄リスト（リスト番号 {batch}）", "Disposal batch (no. {batch})")
    DISPOSAL_LIST_FOOTER = (
        "{office}\u3000廃棄リスト\u3000リスト番号 {batch}",
        "{office}, disposal batch no. {batch}",
    )
    CERTIFICATE_OF_BATCH = (
        "廃棄証明書（廃棄リスト番号 {batch}）",
        "Certificate of destruction (disposal batch no. {batch})",
    )
    CERTIFICATE_NUMBERED = ("廃棄証明書\u3000{number}", "Certificate of destruction {number}")
    CERTIFICATE_HOW = (
        "廃棄方法: {method}\u3000廃棄日時: {when:%Y-%m-%d %H:%M}（日本時間）",
        "Method: {method}, disposed at {when:%Y-%m-%d %H:%M} (Japan time)",
    )
    CERTIFICATE_STATEMENT = (
        "下記の個人番号カード等 {n} 枚を、{when:%Y年%m月%d日} {when:%H時%M分}、"
        "{method}により廃棄したことを証明します。",
        "We certify that the {n} cards below were destroyed on {when:%d %B %Y} at {when:%H:%M} by {method}.",
    )
    NO_METHOD = ("（方法の記録なし）", "(no method recorded)")
    DISPOSED_BY = ("廃棄実施者", "Destroyed by")
    CERTIFICATE_RECORD = ("管理簿の記録: 連番 {seq}\u3000{hash}", "Ledger record: seq. {seq}, {hash}")
    CERTIFICATE_LEAD = ("{office}\u3000廃棄リスト番号 {batch}", "{office}, disposal batch no. {batch}")
    CERTIFIER = ("証明者\u3000{certifier}\u3000印", "Certified by {certifier}, seal")
    CERTIFIER_BLANK = (
        "証明者\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000印",
        "Certified by ________ seal",
    )
    DISPOSED_CARDS = ("廃棄したカード", "Cards destroyed")
    OFFICE_TITLE = ("{office}\u3000{title}", "{office}, {title}")

    # -- 点検結果報告書 (the stocktake report) ----------------------------------------------------------
    STOCKTAKE = ("点検結果報告書", "Stocktake report")
    STOCKTAKE_TITLE = ("点検結果報告書\u3000第{n}回", "Stocktake report No. {n}")
    STOCKTAKE_DOC = ("点検結果報告書 {n}", "Stocktake report {n}")
    SOURCE_DECISION = ("判断（別の場所で発見）", "decision (found elsewhere)")
    FINDING_MISSING = ("所在不明（予定あり・未確認）", "Missing (expected, not counted)")
    FINDING_UNEXPECTED = ("予定外（管理簿上は保管庫外）", "Unexpected (out of the safe in the ledger)")
    MISPLACED = ("保管場所の相違", "Misplaced")
    UNKNOWN_ID = ("管理簿にない管理ID", "Management ID not in the ledger")
    UNEXPECTED = ("予定外", "Unexpected")
    RECORDED_MISSING = ("所在不明として記録: {note}", "Recorded as missing: {note}")
    FOUND_ELSEWHERE = ("別の場所で発見: {note}", "Found elsewhere: {note}")
    IN_PROGRESS = ("実施中", "in progress")
    FINISHED = ("完了", "finished")
    HOURS_MINUTES = ("{h}時間{m}分", "{h} h {m} min")
    MINUTES = ("{m}分", "{m} min")
    NO_LEDGER_RECORD = ("記録なし", "no record")
    STATUS_LAST = ("{status}\u3000最終記録 {last}", "{status}, last record {last}")
    STOCKTAKE_NO = ("点検番号", "Stocktake no.")
    STARTED = ("開始", "Started")
    ENDED = ("終了", "Finished")
    DURATION = ("所要時間", "Duration")
    STARTED_BY = ("開始者 / 立会人", "Started by / witness")
    SIGNER_1 = ("確認者1（署名）", "Checker 1 (signed)")
    SIGNER_2 = ("確認者2（署名）", "Checker 2 (signed)")
    EXPECTED = ("予定枚数（保管中）", "Expected (in the safe)")
    FOUND = ("確認枚数", "Counted")
    DUPLICATES = (
        "重複読取（2回以上・複数の方法で読まれたカード、問題なし）",
        "Read more than once (twice or more, or by several means; harmless)",
    )
    READS = ("読取回数（重複を含む）", "Reads (with repeats)")
    SOURCES = ("読取方法（初回確認の枚数）", "Sources (cards first counted by each)")
    FINISH_RECORD = ("点検終了の記録（連番 / ハッシュ）", "The stocktake's finish record (seq. / hash)")
    HEAD_PAIR = ("管理簿の最終記録（連番 / ハッシュ）", "The ledger's last record (seq. / hash)")
    LEDGER_PLACE = ("管理簿の場所", "Place in the ledger")
    SEEN_PLACE = ("確認した場所", "Place seen")
    LEDGER_SAYS = ("管理簿の記録", "The ledger's record")
    TIMES = ("読取回数", "Reads")
    SOURCE = ("読取方法", "Source")
    DECISION = ("判断", "Decision")
    LEDGER_PLACE_SHORT = ("記録場所", "Recorded at")
    SEEN_PLACE_SHORT = ("確認場所", "Seen at")
    TIMES_SHORT = ("回数", "Reads")
    TO_CHECK = ("要確認（{n} 件：{counts}）", "To check ({n}: {counts})")
    NOTHING_TO_CHECK = ("要確認なし", "Nothing to check")
    SUMMARY = ("概要", "Summary")
    ITEM = ("項目", "Item")
    CHECKER_1 = ("確認者1（氏名）", "Checker 1 (name)")
    CHECKER_2 = ("確認者2（氏名）", "Checker 2 (name)")

    # -- a payload in words (kiosk.reports.terms) --------------------------------------------------------
    STAFF_NO = ("職員{id}", "staff {id}")
    OTHER_FIELD = ("その他", "other")
    MORE_CARDS = (" 他{n}枚", " and {n} more")
    CARDS_LISTED = ("{n}枚（{shown}{more}）", "{n} cards ({shown}{more})")
    CHECKED_ITEMS = ("{n}項目を確認", "{n} items checked")
    CARDS_N = ("{n}枚", "{n} cards")
    RECORDS_N = ("{n}件", "{n} records")
    VERIFIED_OK = ("正常", "sound")
    VERIFIED_NOT_OK = ("異常あり", "problems found")
    ALERT_SOURCE = ("通知のもとの記録番号", "Record that raised the alert")

    # -- the label sheets (kiosk.labels) --------------------------------------------------------------------
    LABELS_DOC = ("管理IDラベル {layout}", "Management ID labels {layout}")
