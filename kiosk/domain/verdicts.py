"""What a scan or a command came to: one result type with a code enum, for every front end.

The ledger, the core, the TUI, the CLI, the headless runner and the scenarios all speak of a scan's
outcome as a `Verdict` whose `code` is a `VerdictCode`; screens match on the enum, never on a literal.
The words people read for each code live in the text catalogue (`kiosk.texts`), keyed by these enums.
A stocktake sighting is a `StocktakeVerdict` (its code a `Sighting`), a tray photo or an RFID round a
`BatchVerdict`; finishing a stocktake is a `FinishOutcome`, where "search again" is an outcome, not an
error after a commit.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.domain.card_state import CardState
from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import Sighting, StocktakeResult


class VerdictCode(enum.StrEnum):
    """The outcome of one scan or card command. Stable codes: tests, scenarios and logs use them."""

    # The ledger changed as asked.
    TAKEN_OUT = "taken_out"  # 持出
    PUT_BACK = "put_back"  # 返却
    ISSUED = "issued"  # 交付
    MARKED_MISSING = "marked_missing"  # 所在不明の記録
    CANCELLED = "cancelled"  # 交付取りやめ (scanned into a disposal batch)
    # Refused, and recorded as a refused attempt (reason code only).
    NOT_ON_PICK_LIST = "not_on_pick_list"  # not booked today, or booked by the taker: needs an override
    OVERRIDE_REFUSED = "override_refused"
    ALREADY_OUT = "already_out"
    UNKNOWN_ID = "unknown_id"
    WRONG_STATUS = "wrong_status"
    REFUSED_INPUT = "refused_input"  # not a management ID (`detail` is the reason code)
    NO_SESSION = "no_session"
    NOT_ALLOWED = "not_allowed"  # the authorisation table said no (`detail` is the reason)
    NEED_WITNESS = "need_witness"
    # An alarm, recorded as its own event (handed_over_card_seen): a card handed over is back at the safe.
    HANDED_OVER_SEEN = "handed_over_seen"
    # Disposal scans (廃棄の取出).
    UNKNOWN_BATCH = "unknown_batch"
    WRONG_STATE = "wrong_state"
    NOT_IN_BATCH = "not_in_batch"
    ALREADY_SCANNED = "already_scanned"
    # ... and the retention policy's reasons why a card may not be cancelled yet.
    ON_HOLD = "on_hold"
    NOTICE_UNKNOWN = "notice_unknown"
    REMINDER_NOT_SENT = "reminder_not_sent"
    PERIOD_RUNNING = "period_running"
    POLICY_NEVER_DISPOSES = "policy_never_disposes"
    # Not recorded: the station's own answers.
    DUPLICATE = "duplicate"  # the same label read twice is one act
    NEED_SIGN_IN = "need_sign_in"

    @property
    def changed(self) -> bool:
        """True for the codes that mean the ledger changed as asked."""
        return self in _CHANGED


class NextStep(enum.StrEnum):
    """What the person at the counter should do after a refusal (the catalogue words it per language)."""

    NONE = ""
    TAKE_OUT_FIRST = "take_out_first"  # 交付 of a card still in the safe: take it out (持出) first
    ALREADY_IN_SAFE = "already_in_safe"  # 返却 of a card that is in the safe: nothing to put back
    HAND_OVER_OR_PUT_BACK = "hand_over_or_put_back"  # 持出 of a card that is out: 交付 or 返却
    CHECK_LABEL = "check_label"  # an ID not in the ledger: read the label again, else report it
    ASK_OFFICER = "ask_officer"  # a card in a state the counter does not handle: the officer decides
    REPORT_SUPERVISOR = "report_supervisor"  # an alarm: keep the card apart and tell the supervisor
    NEED_OVERRIDE = "need_override"  # not booked today: a supervisor's approval with a reason
    OPEN_SAFE_FIRST = "open_safe_first"  # no open session: two people open the safe first


_CHANGED = frozenset(
    {
        VerdictCode.TAKEN_OUT,
        VerdictCode.PUT_BACK,
        VerdictCode.ISSUED,
        VerdictCode.MARKED_MISSING,
        VerdictCode.CANCELLED,
    }
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of one scan or card command, as every front end shows it.

    `ok` says whether the ledger changed as asked; `message` is a one-line English explanation for the CLI
    and the logs (screens take their words from the catalogue by `code`); `seq` is the event that recorded
    it (refusals are recorded too; None when nothing was written); `detail` a reason code; `next_step`
    what the person should do now (a refusal's way forward, decided with the rule that refused).
    `management_id` is set whenever the input was a well-formed management ID, so a screen can show an
    unknown ID without parsing the scan again.
    """

    ok: bool
    code: VerdictCode
    message: str
    card: CardState | None = None
    seq: int | None = None
    detail: str = ""
    management_id: str | None = None  # the well-formed ID the verdict is about (known card or not)
    next_step: NextStep = NextStep.NONE  # what to do now, for a refusal


@dataclass(frozen=True, slots=True)
class StocktakeVerdict:
    """The verdict on one stocktake scan (大きく表示する判定). `code` is a `Sighting`; `detail` a reason.

    `location` is where the card was counted (or, for a label, the location now in force on the device);
    `times` how often the card has been seen in this stocktake so far; `seq` the event that recorded this
    sighting (`stocktake_recounted` for a repeat).
    """

    code: Sighting
    message: str
    management_id: str | None = None
    location: str | None = None
    expected_location: str | None = None
    ledger_status: CardStatus | None = None
    times: int = 0
    seq: int | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """Green on the screen: a card counted where it belongs, or a location label."""
        return self.code in (Sighting.FOUND, Sighting.LOCATION)


@dataclass(frozen=True, slots=True)
class BatchVerdict:
    """The verdict on a tray photo or an RFID round: the IDs by sighting, and what could not be used."""

    seq: int | None
    source: str
    location: str | None
    by_sighting: Mapping[Sighting, tuple[str, ...]]
    refused: Mapping[str, int] = field(default_factory=dict)  # reason code -> count
    unbound_tags: tuple[str, ...] = ()  # RFID tags bound to no card

    def ids(self, sighting: Sighting) -> tuple[str, ...]:
        return self.by_sighting.get(sighting, ())

    @property
    def counted(self) -> int:
        """Cards newly counted by this batch (found, misplaced, unexpected and unknown)."""
        return sum(len(v) for k, v in self.by_sighting.items() if k is not Sighting.DUPLICATE)


class FinishKind(enum.StrEnum):
    """How an attempt to finish a stocktake ended (both are recorded on the chain)."""

    FINISHED = "finished"  # 点検完了: signed by two people
    SEARCH_AGAIN = "search_again"  # 再捜索: the decision is recorded, the stocktake stays open


@dataclass(frozen=True, slots=True)
class FinishOutcome:
    """Finishing a stocktake: finished with its signed result, or "search again" for some cards.

    Searching again is an outcome a person chose, not an error: it is committed and returned like the
    finish itself (`seq` is the event that recorded either).
    """

    kind: FinishKind
    seq: int | None
    result: StocktakeResult | None = None
    search_again: tuple[str, ...] = ()
