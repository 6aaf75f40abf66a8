"""Stocktake (点検) rules: location labels, what a sighting means, decisions on missing cards, when due.

Plain Python: the ledger stores (`kiosk.ledger.stocktake_ops`) and reconciles in SQL
(`kiosk.ledger.read_models.stocktakes`), the UI shows the results, and both use these rules. The SQL
reconciliation applies `location_matches` in set form; a test checks that the two agree.
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from drivers.text import looks_like_individual_number, normalise
from kiosk.domain.management_id import ManagementId, Refusal
from kiosk.domain.status import CardStatus

# A shelf or slot label starts with this prefix. A management ID is digits only, so a label can never
# be mistaken for a card (and a card for a label), whichever scanner reads it.
LOCATION_PREFIX = "L:"
# Scanning this label ends location-first counting on that device (the whole safe again).
LOCATION_CLEAR = "L:-"
# The whole safe: a card recorded only as "in the safe" is in the right place wherever it is found.
WHOLE_SAFE = "safe"
LOCATION_MAX_LENGTH = 64
_LOCATION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")


class LocationError(ValueError):
    """A location label that does not follow the format. `reason` is a stable code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


def is_location_label(text: str) -> bool:
    """True when scanned text is a shelf/slot label (`L:shelf-1`, `L:shelf-1/slot-3`, or `L:-`)."""
    return normalise(text).upper().startswith(LOCATION_PREFIX)


def parse_location_label(text: str) -> str | None:
    """The location a label names (`L:shelf-1/slot-3` → `shelf-1/slot-3`); `L:-` gives None (whole safe).

    Location names are ASCII path segments (`shelf-1`, `shelf-1/slot-3`); a slot lies inside the shelf
    before the slash. Raises `LocationError` for anything else (never repeating a 12-digit value).
    """
    value = normalise(text)
    if not value.upper().startswith(LOCATION_PREFIX):
        raise LocationError("not_location", "not a location label")
    name = value[len(LOCATION_PREFIX) :].strip()
    if name == "-":
        return None
    if looks_like_individual_number(name) or any(len(d) >= 12 for d in re.findall(r"\d+", name)):
        raise LocationError("mynumber_refused", "a location name never holds a 12-digit number")
    if not name or len(name) > LOCATION_MAX_LENGTH or not _LOCATION_NAME.fullmatch(name):
        raise LocationError("bad_location", "a location is like shelf-1 or shelf-1/slot-3 (ASCII)")
    return name


def location_label(location: str) -> str:
    """The text to print on a shelf or slot label for `location`."""
    parse_location_label(LOCATION_PREFIX + location)
    return LOCATION_PREFIX + location


def location_matches(expected: str | None, seen: str | None) -> bool:
    """Is a card recorded at `expected` in the right place when seen at `seen`?

    Unknown on either side, or recorded only as "the safe", is never a misplacement. Otherwise the two
    must be the same place or one inside the other (a shelf label scanned, card recorded in a slot of
    that shelf, or the reverse).
    """
    if expected is None or seen is None or expected == WHOLE_SAFE:
        return True
    return expected == seen or seen.startswith(expected + "/") or expected.startswith(seen + "/")


class Sighting(enum.StrEnum):
    """What one sighting of a management ID during a stocktake means (the verdict the UI shows)."""

    FOUND = "found"  # expected, first sighting, right place
    MISPLACED = "misplaced"  # expected, first sighting, another place than recorded
    DUPLICATE = "duplicate"  # already counted in this stocktake
    UNEXPECTED = "unexpected"  # in the ledger, but not in the safe there (out, issued, cancelled …)
    UNKNOWN = "unknown"  # a valid management ID that is not in the ledger
    REFUSED = "refused"  # not a management ID (reason code only)
    LOCATION = "location"  # a shelf/slot label: the following scans on that device are counted there


def classify(
    *,
    expected: bool,
    expected_location: str | None,
    seen_location: str | None,
    ledger_status: CardStatus | None,
    already_counted: bool,
) -> Sighting:
    """The verdict for one sighting of a valid management ID."""
    if already_counted:
        return Sighting.DUPLICATE
    if expected:
        return Sighting.FOUND if location_matches(expected_location, seen_location) else Sighting.MISPLACED
    if ledger_status is None:
        return Sighting.UNKNOWN
    return Sighting.UNEXPECTED


# -- a batch of sightings (a tray photo, an RFID round) ----------------------------------------


@dataclass(frozen=True, slots=True)
class BatchReading:
    """A tray photo's decoded codes or an RFID round's tags, sorted before anything is looked up.

    `ids`: management IDs with how many labels carried each (a code twice in one photo is two labels
    with one ID: both count); `refused`: reason code → how many; `labels`: the location labels among
    the codes (None for `L:-`); `tags`: the round's distinct tag IDs, upper-case.
    """

    ids: Counter[str]
    refused: Counter[str]
    labels: frozenset[str | None]
    tags: tuple[str, ...]

    def names_location(self, explicit: str | None) -> bool:
        """Whether the batch itself says where it was counted (an explicit location or one label)."""
        return explicit is not None or len(self.labels) == 1

    def location(self, explicit: str | None) -> str | None:
        """Where the batch was counted, when `names_location`: the explicit one, else its one label."""
        if explicit is not None:
            return explicit
        return next(iter(self.labels)) if len(self.labels) == 1 else None


def read_batch(codes: Iterable[str], tags: Iterable[str] = ()) -> BatchReading:
    """Sort a batch's values: management IDs, location labels and refusals (reason codes only).

    Several different location labels in one photo are refused as `several_locations`: the batch is
    then counted where the device is counting, never at one of them picked at random.
    """
    ids: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    labels: set[str | None] = set()
    for value in codes:
        if is_location_label(value):
            try:
                labels.add(parse_location_label(value))
            except LocationError as exc:
                refused[exc.reason] += 1
            continue
        try:
            ids[ManagementId.parse(value).value] += 1
        except Refusal as exc:
            refused[exc.reason] += 1
    if len(labels) > 1:
        refused["several_locations"] += 1
        labels = set()
    round_tags = tuple(sorted({t.strip().upper() for t in tags if t.strip()}))
    return BatchReading(ids, refused, frozenset(labels), round_tags)


def sort_sightings(
    new: Iterable[str],
    *,
    expected: Mapping[str, str | None],
    statuses: Mapping[str, CardStatus],
    here: str | None,
) -> dict[Sighting, list[str]]:
    """First sightings of a batch by verdict: `expected` maps the cards the stocktake expects to their
    recorded location, `statuses` the cards the ledger knows to their status."""
    groups: dict[Sighting, list[str]] = {}
    for mid in new:
        code = classify(
            expected=mid in expected,
            expected_location=expected.get(mid),
            seen_location=here,
            ledger_status=statuses.get(mid),
            already_counted=False,
        )
        groups.setdefault(code, []).append(mid)
    return groups


# -- decisions on missing cards ------------------------------------------------------------------


class Decision(enum.StrEnum):
    """What a person decides for each card still missing when a stocktake is finished."""

    SEARCH_AGAIN = "search_again"  # 再捜索: the stocktake stays open; look for it, then scan it
    RECORD_MISSING = "record_missing"  # 所在不明として記録: card_missing + an incident, with a note
    FOUND_ELSEWHERE = "found_elsewhere"  # 別の場所で発見: counted, with a note saying where


@dataclass(frozen=True, slots=True)
class MissingDecision:
    """A person's decision on one missing card (the note says why; required except for searching)."""

    decision: Decision
    note: str = ""


class DecisionError(ValueError):
    """Finishing is refused: `reason` is a stable code, `cards` the management IDs concerned."""

    def __init__(self, reason: str, message: str, cards: Iterable[str] = ()) -> None:
        self.reason = reason
        self.cards = tuple(sorted(cards))
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class DecisionPlan:
    """Checked decisions, grouped by what finishing will do with them."""

    search_again: tuple[str, ...]
    record_missing: tuple[tuple[str, str], ...]  # (management ID, note)
    found_elsewhere: tuple[tuple[str, str], ...]

    @property
    def can_finish(self) -> bool:
        """Only when nobody is still searching for a card."""
        return not self.search_again


def plan_decisions(missing: Iterable[str], decisions: Mapping[str, MissingDecision]) -> DecisionPlan:
    """Check that every missing card has a decision (and a note where one is needed).

    Nothing is ever marked missing by default: an undecided card refuses the whole finish.
    Decisions for cards that are not missing (counted meanwhile) are ignored.
    """
    wanted = sorted(set(missing))
    undecided = [mid for mid in wanted if mid not in decisions]
    if undecided:
        raise DecisionError("undecided", f"{len(undecided)} missing card(s) still need a decision", undecided)
    no_note = [
        mid
        for mid in wanted
        if decisions[mid].decision is not Decision.SEARCH_AGAIN and not decisions[mid].note.strip()
    ]
    if no_note:
        raise DecisionError("note_required", "recording a card as missing or found needs a note", no_note)
    for mid in wanted:
        if looks_like_individual_number(decisions[mid].note) or any(
            len(d) >= 12 for d in re.findall(r"\d+", normalise(decisions[mid].note))
        ):
            raise DecisionError("mynumber_refused", "a note never holds a 12-digit number", [mid])
    return DecisionPlan(
        search_again=tuple(m for m in wanted if decisions[m].decision is Decision.SEARCH_AGAIN),
        record_missing=tuple(
            (m, decisions[m].note.strip()) for m in wanted if decisions[m].decision is Decision.RECORD_MISSING
        ),
        found_elsewhere=tuple(
            (m, decisions[m].note.strip())
            for m in wanted
            if decisions[m].decision is Decision.FOUND_ELSEWHERE
        ),
    )


# -- when a stocktake is due -------------------------------------------------------------------


class DueReason(enum.StrEnum):
    """Why a stocktake is (or is not) due."""

    NEVER = "never"  # no stocktake has ever been finished
    INTERVAL = "interval"  # the last one is `due_every_days` or more days old
    HANDOVER = "handover"  # the responsible officer changed (引継ぎ) after the last one
    IN_PROGRESS = "in_progress"  # one is open: finish it
    NOT_DUE = "not_due"


@dataclass(frozen=True, slots=True)
class DueStatus:
    """Whether a stocktake is due today, why, and since when (the UI shows it until one is done)."""

    reason: DueReason
    last_finished_on: date | None = None
    next_due_on: date | None = None
    handover_on: date | None = None

    @property
    def due(self) -> bool:
        return self.reason is not DueReason.NOT_DUE


def due_status(
    today: date,
    *,
    every_days: int,
    last_finished_on: date | None,
    handover_since_last_on: date | None,
    open_stocktake: bool = False,
) -> DueStatus:
    """The due rule: every `every_days` days, and after every handover of the responsible officer.

    `handover_since_last_on` is the date of the latest handover recorded after the last finished stocktake
    (None when there was none since). An open stocktake is reported as such: it is the one to finish.
    """
    if every_days < 1:
        raise ValueError("due_every_days is at least 1")
    next_due = (
        None if last_finished_on is None else date.fromordinal(last_finished_on.toordinal() + every_days)
    )
    if open_stocktake:
        return DueStatus(DueReason.IN_PROGRESS, last_finished_on, next_due, handover_since_last_on)
    if handover_since_last_on is not None:
        return DueStatus(DueReason.HANDOVER, last_finished_on, next_due, handover_since_last_on)
    if last_finished_on is None or next_due is None:
        return DueStatus(DueReason.NEVER)
    if today >= next_due:
        return DueStatus(DueReason.INTERVAL, last_finished_on, next_due)
    return DueStatus(DueReason.NOT_DUE, last_finished_on, next_due)


# -- what the screens get (the ledger's read models fill them) -------------------------------------

OPEN = "open"


@dataclass(frozen=True, slots=True)
class StocktakeView:
    """A stocktake as the UI shows it."""

    id: int
    kiosk: str
    started_at: datetime
    operator_id: int
    witness_id: int
    finished_at: datetime | None
    status: str
    expected: int

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True, slots=True)
class Progress:
    """Live counts (the UI's header). `found` includes the misplaced; missing = expected − found."""

    expected: int
    found: int
    missing: int
    misplaced: int
    unexpected: int
    unknown: int
    duplicates: int
    reads: int  # every sighting, repeats included


@dataclass(frozen=True, slots=True)
class ResultLine:
    """One card on a stocktake's lists."""

    management_id: str
    expected_location: str | None
    seen_location: str | None
    ledger_status: CardStatus | None
    times: int
    source: str | None


@dataclass(frozen=True, slots=True)
class StocktakeResult:
    """The reconciliation (照合結果): counts and the lists a person must look at."""

    stocktake_id: int
    expected: int
    found: int
    missing: tuple[ResultLine, ...]
    misplaced: tuple[ResultLine, ...]
    unexpected: tuple[ResultLine, ...]
    unknown: tuple[ResultLine, ...]
    duplicates: tuple[ResultLine, ...]
    sources: Mapping[str, int]  # first sightings per source
    reads: int

    @property
    def missing_ids(self) -> list[str]:
        return [line.management_id for line in self.missing]

    @property
    def progress(self) -> Progress:
        return Progress(
            expected=self.expected,
            found=self.found,
            missing=len(self.missing),
            misplaced=len(self.misplaced),
            unexpected=len(self.unexpected),
            unknown=len(self.unknown),
            duplicates=len(self.duplicates),
            reads=self.reads,
        )
