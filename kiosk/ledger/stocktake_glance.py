"""The stocktake screen's glance (点検の概況): every count of the reconciliation, and the first lines of
each list — never the whole list.

`reconcile()` returns every missing card; at the start of a 100,000-card stocktake that is 100,000
Python objects built under the GIL, several times a second while scans pour in, and the screen freezes
beside it. The glance asks the database for the counts and for at most `lines` rows of each list, so
nearly all of its work is SQLite's (which releases the GIL) and what reaches the screen is small.

It is the same reconciliation: the exception rows are the ledger's own query (`_EXCEPTIONS_SQL`),
counted and cut in SQL; "found" is an expected card with a sighting (both tables are keyed by
stocktake and card, so a card counts once). `tests/desk/test_stocktake_glance.py` holds it to
`reconcile()` on every list. It lives beside `stocktake_ops` because it is that module's SQL, cut
short; the screen reaches it through `Desk.stocktake_glance`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import text

from kiosk.domain.status import CardStatus
from kiosk.domain.stocktake import Progress, ResultLine
from kiosk.ledger import models
from kiosk.ledger.read_models import stocktakes as st
from kiosk.ledger.service import Ledger

GLANCE_LINES = 18  # rows of each list a screen can show; the report and F8 have them all

_EXPECTED_SQL = text("SELECT count(*) FROM stocktake_expected WHERE stocktake_id = :id")
_FOUND_SQL = text(
    "SELECT count(*) FROM stocktake_scans s JOIN stocktake_expected e"
    " ON e.stocktake_id = s.stocktake_id AND e.management_id = s.management_id"
    " WHERE s.stocktake_id = :id"
)
# The ledger's missing query, cut to the first rows (it is ordered by management ID).
_MISSING_FIRST_SQL = text(st.MISSING_SQL.text + " LIMIT :n")
# The ledger's exception rows, numbered within their list and within the duplicates (a card seen twice
# is on both), with the size of each: one pass, and only the first `n` of each list come back.
# S608: the fragment is the ledger's constant; the only values are bound (:id, :n).
_EXCEPTIONS_FIRST_SQL = text(
    f"""WITH x(cls, management_id, expected_location, seen_location, status, times, source) AS (
    {st.EXCEPTIONS_SQL.text}
    ), ranked AS (
    SELECT x.*,
        row_number() OVER (PARTITION BY cls ORDER BY management_id) AS rn,
        count(*) OVER (PARTITION BY cls) AS n_cls,
        row_number() OVER (PARTITION BY times > 1 ORDER BY management_id) AS rn_dup,
        count(*) OVER (PARTITION BY times > 1) AS n_dup
    FROM x)
    SELECT cls, management_id, expected_location, seen_location, status, times, source,
        rn, n_cls, rn_dup, n_dup
    FROM ranked WHERE rn <= :n OR (times > 1 AND rn_dup <= :n)
    ORDER BY management_id"""  # noqa: S608
)


@dataclass(frozen=True, slots=True)
class StocktakeGlance:
    """Counts of a stocktake and the first lines of each list, as the stocktake screen shows them."""

    stocktake_id: int
    progress: Progress
    missing: tuple[ResultLine, ...]
    misplaced: tuple[ResultLine, ...]
    unexpected: tuple[ResultLine, ...]
    unknown: tuple[ResultLine, ...]
    duplicates: tuple[ResultLine, ...]
    sources: Mapping[str, int]  # first sightings per source


def _status(value: str | None) -> CardStatus | None:
    return CardStatus(value) if value is not None else None


def stocktake_glance(ledger: Ledger, stocktake_id: int, *, lines: int = GLANCE_LINES) -> StocktakeGlance:
    """The counts of `reconcile()` and at most `lines` rows of each of its lists, in its order."""
    params = {"id": stocktake_id, "n": max(1, lines)}
    with ledger.read() as s:
        if s.get(models.Stocktake, stocktake_id) is None:
            raise st.StocktakeError("no_stocktake", f"there is no stocktake {stocktake_id}")
        expected = int(s.scalar(_EXPECTED_SQL, params) or 0)
        found = int(s.scalar(_FOUND_SQL, params) or 0)
        missing = tuple(
            ResultLine(mid, loc, None, _status(status), 0, None)
            for mid, loc, status in s.execute(_MISSING_FIRST_SQL, params)
        )
        lists: dict[str, list[ResultLine]] = {"misplaced": [], "unexpected": [], "unknown": []}
        sizes: dict[str, int] = {}
        duplicates: list[ResultLine] = []
        n_duplicates = 0
        for row in s.execute(_EXCEPTIONS_FIRST_SQL, params):
            cls, mid, exp_loc, seen_loc, status, times, src, rn, n_cls, rn_dup, n_dup = row
            line = ResultLine(mid, exp_loc, seen_loc, _status(status), int(times), src)
            sizes[cls] = int(n_cls)
            if cls in lists and rn <= params["n"]:
                lists[cls].append(line)
            if times > 1:
                n_duplicates = int(n_dup)
                if rn_dup <= params["n"]:
                    duplicates.append(line)
        sources, reads = st.source_counts(s, params)
    progress = Progress(
        expected=expected,
        found=found,
        missing=expected - found,
        misplaced=sizes.get("misplaced", 0),
        unexpected=sizes.get("unexpected", 0),
        unknown=sizes.get("unknown", 0),
        duplicates=n_duplicates,
        reads=reads,
    )
    return StocktakeGlance(
        stocktake_id=stocktake_id,
        progress=progress,
        missing=missing,
        misplaced=tuple(lists["misplaced"]),
        unexpected=tuple(lists["unexpected"]),
        unknown=tuple(lists["unknown"]),
        duplicates=tuple(duplicates),
        sources=sources,
    )
