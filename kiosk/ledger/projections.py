"""Every table that authorises an action, rebuilt as a fold over the events.

`kiosk verify` streams the chain once and feeds each event to `Rebuild.feed`; at the end each table is
compared row by row and field by field with what the events say, and the first disagreement is named
as (table, key, field). The writers (`kiosk.ledger.service`, `safe`, `stocktake_ops`) write exactly
these fields with these events; the cards are folded by `kiosk.domain.card_state.apply_row`, the very
function the writers use.

Folded from the events (payloads as in the core's contract; a field the current writers do not put in a
payload yet is compared only when the payload has it):
- `ledger_meta`: `ledger_created` / `ledger_identified` {ledger, pepper_check}.
- `staff`: `staff_added` {staff, name, badge, employee_no, role, rank}, `staff_deactivated`,
  `staff_reactivated`, `staff_role_changed` {staff, role, rank}, `staff_unlocked`, `staff_pin_reset`,
  `staff_lock_expired` (the lockout ran out at the next sign-in),
  `auth_failed` (reason wrong_pin counts for actor_id), `staff_locked` (locked_at = its time),
  `signed_in` (resets the count), `staff_trained` {staff, on, …} (`trained_on` = the latest training
  date); the PIN hash must carry this member's MAC (`pin_mac`).
- `safe_sessions`: `session_opened`, `session_closed` (session_id, actor, witness, device = kiosk).
- `pick_list`: `pick_list_added` (card, actor = booker, {day}).
- `stocktakes` (status open or finished: no writer sets anything else), `stocktake_expected` (the set is
  the cards the fold has in the safe when the stocktake starts; its digest must equal the one on the
  chain), `stocktake_scans` (`stocktake_counted`, `stocktake_batch` with its `times` of IDs read more
  than once, `stocktake_recounted` for a repeat barcode read). `times` is compared card by card for a
  stocktake whose start says `reads_on_chain` (before that, a repeat barcode read left no event); for
  every finished stocktake the scans must add up to the `reads` and `duplicates` its finish recorded.
- `rfid_bindings`: `rfid_bound` (card, {tag}); the first binding of a tag stands.
- Disposal batches have no table: they are read from their events directly.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from kiosk.domain.events import EventKind
from kiosk.domain.staff import pin_mac, row_bound
from kiosk.domain.status import IN_THE_SAFE, CardStatus
from kiosk.ledger.meta import EV_CREATED, EV_IDENTIFIED, LEDGER_ID, PEPPER_CHECK

# The statuses a stocktake expects in the safe (cancelled cards stay in the safe until disposed): the
# core's one definition, used by the writer's INSERT … SELECT too.
EXPECTED_STATUSES = IN_THE_SAFE

_STATUS, _LOCATION, _OUT = 2, 3, 12


@dataclass(frozen=True, slots=True)
class Disagreement:
    """The first thing a table and its events disagree on."""

    table: str
    key: str
    field: str
    detail: str
    seq: int | None = None  # the event that says otherwise, where one does

    def __str__(self) -> str:
        where = f" (event {self.seq})" if self.seq else ""
        return f"{self.table} {self.key}: {self.field}: {self.detail}{where}"


def time_text(value: Any) -> str | None:
    """A stored time (SQLite text or a datetime) as the chain's ISO 8601 UTC text."""
    if value is None:
        return None
    if isinstance(value, datetime):
        from kiosk.ledger.chain import format_time

        return format_time(value)
    text = str(value)
    if len(text) == 26 and text[10] == " ":
        return f"{text[:10]}T{text[11:]}Z"
    from datetime import UTC

    parsed = datetime.fromisoformat(text)
    from kiosk.ledger.chain import format_time

    return format_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))


def date_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:10]


def _norm(value: Any) -> Any:
    if isinstance(value, CardStatus):
        return value.value
    if isinstance(value, datetime):
        return time_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def expected_digest(ids: Iterable[str]) -> str:
    """The digest `stocktake_started` records: SHA-256 over the sorted IDs, one per line."""
    digest = hashlib.sha256()
    for mid in sorted(ids):
        digest.update(mid.encode() + b"\n")
    return digest.hexdigest()


class Snapshot(Protocol):
    """One read transaction on the ledger (see kiosk.ledger.verify)."""

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]: ...

    def dicts(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]: ...


Query = Snapshot


class Rebuild:
    """The non-card tables, folded event by event (cards are folded by the caller with apply_row)."""

    def __init__(self, pepper: bytes) -> None:
        self.pepper = pepper
        self.meta: dict[str, tuple[str, int]] = {}
        self.staff: dict[int, dict[str, Any]] = {}
        # From the event that sealed them on, every staff row carries the row MAC (kiosk.ledger.meta).
        self.staff_sealed = False
        self.sessions: dict[int, dict[str, Any]] = {}
        self.pick: dict[tuple[str, str], dict[str, Any]] = {}
        self.stocktakes: dict[int, dict[str, Any]] = {}
        self.scans: dict[tuple[int, str], dict[str, Any]] = {}
        self.bindings: dict[str, tuple[str, int]] = {}
        self.expected_checked: dict[int, tuple[str, int]] = {}  # stocktake → (digest of id+location, n)
        self.exact_times: set[int] = set()  # stocktakes whose every read is an event (reads_on_chain)
        self.finished_reads: dict[int, tuple[int, int, int]] = {}  # stocktake → (reads, duplicates, seq)
        self.first: Disagreement | None = None

    def flag(self, problem: Disagreement) -> None:
        if self.first is None:
            self.first = problem

    # -- the fold -----------------------------------------------------------------------------

    def feed(
        self,
        seq: int,
        at: str,
        kind: str,
        card_id: str | None,
        actor: int | None,
        witness: int | None,
        session: int | None,
        stocktake: int | None,
        device: str | None,
        source: str | None,
        data: dict[str, Any],
        cards: Mapping[str, Sequence[Any]],
        query: Query,
    ) -> None:
        """One event (not a card event: those go to apply_row). `at` is the chain's time text."""
        if kind in (EV_CREATED, EV_IDENTIFIED):
            self.meta[LEDGER_ID] = (str(data.get("ledger")), seq)
            self.meta[PEPPER_CHECK] = (str(data.get("pepper_check")), seq)
            if data.get("staff_mac"):
                self.staff_sealed = True
        elif kind == EventKind.STAFF_SEALED:
            self.staff_sealed = True
        elif kind.startswith("staff_") or kind in (EventKind.AUTH_FAILED, EventKind.SIGNED_IN):
            self._staff(seq, at, kind, actor, data)
        elif kind == EventKind.SESSION_OPENED and session is not None:
            self.sessions[session] = {
                "kiosk": device,
                "opened_at": at,
                "operator_id": actor,
                "witness_id": witness,
                "closed_at": None,
                "closed_by_id": None,
                "closed_witness_id": None,
                "_seq": seq,
            }
        elif kind == EventKind.SESSION_CLOSED and session is not None:
            row = self.sessions.get(session)
            if row is not None:
                row.update(closed_at=at, closed_by_id=actor, closed_witness_id=witness, _seq=seq)
        elif kind == EventKind.PICK_LIST_ADDED and card_id is not None:
            self.pick[(str(data.get("day")), card_id)] = {"added_seq": seq, "booked_by": actor, "_seq": seq}
        elif kind == EventKind.STOCKTAKE_STARTED and stocktake is not None:
            self._stocktake_started(seq, at, actor, witness, stocktake, device, data, cards, query)
        elif kind == EventKind.STOCKTAKE_FINISHED and stocktake is not None:
            row = self.stocktakes.get(stocktake)
            if row is not None:
                row.update(status="finished", finished_at=at, _seq=seq)
            if "reads" in data and "duplicates" in data:
                self.finished_reads[stocktake] = (int(data["reads"]), int(data["duplicates"]), seq)
        elif kind == EventKind.STOCKTAKE_COUNTED and stocktake is not None:
            mid = card_id or data.get("id")
            if isinstance(mid, str):
                self._first_read(seq, stocktake, mid, data.get("location"), source or "barcode", 1)
        elif kind == EventKind.STOCKTAKE_RECOUNTED and stocktake is not None:
            mid = card_id or data.get("id")
            if isinstance(mid, str):
                self._read_again(seq, stocktake, mid, 1)
        elif kind == EventKind.STOCKTAKE_BATCH and stocktake is not None:
            counted = data.get("counted", {})
            times = data.get("times", {})
            for verdict, ids in counted.items():
                for mid in ids:
                    n = int(times.get(mid, 1))
                    if verdict == "duplicate":
                        self._read_again(seq, stocktake, mid, n)
                    else:
                        self._first_read(seq, stocktake, mid, data.get("location"), source, n)

    def _first_read(
        self, seq: int, stocktake: int, mid: str, location: Any, source: str | None, times: int
    ) -> None:
        row: dict[str, Any] = {"location": location, "source": source, "first_seq": seq, "_seq": seq}
        if stocktake in self.exact_times:
            row["times"] = times
        self.scans.setdefault((stocktake, mid), row)

    def _read_again(self, seq: int, stocktake: int, mid: str, times: int) -> None:
        row = self.scans.get((stocktake, mid))
        if row is None:
            self.flag(
                Disagreement(
                    "events",
                    f"seq {seq}",
                    "card_id",
                    f"reads card {mid} again in stocktake {stocktake}, which never counted it",
                    seq,
                )
            )
            return
        if "times" in row:
            row["times"] += times
            row["_seq"] = seq

    def card_taken_out(self, seq: int, card_id: str, session: int | None) -> None:
        """A take-out must happen in a session the chain has not closed."""
        row = self.sessions.get(session) if session is not None else None
        if row is not None and row["closed_at"] is not None:
            self.flag(
                Disagreement(
                    "events",
                    f"seq {seq}",
                    "session_id",
                    f"card {card_id} taken out in safe session {session}, closed at event {row['_seq']}",
                    seq,
                )
            )

    def rfid_bound(self, seq: int, card_id: str, data: dict[str, Any]) -> None:
        tag = str(data.get("tag", "")).upper()
        self.bindings.setdefault(tag, (card_id, seq))

    def feed_staff(self, seq: int, at: str, kind: str, actor: int | None, data: dict[str, Any]) -> None:
        """One staff event alone (`service.StaffFold` keeps the staff rows' fold between acts)."""
        self._staff(seq, at, kind, actor, data)

    def _staff(self, seq: int, at: str, kind: str, actor: int | None, data: dict[str, Any]) -> None:
        if kind == EventKind.STAFF_ADDED:
            sid = int(data["staff"])
            row: dict[str, Any] = {
                "name": data.get("name"),
                "role": data.get("role"),
                "rank": data.get("rank"),
                "active": 1,
                "failed_attempts": 0,
                "locked_at": None,
                "trained_on": None,
                "pin_change_due": 0,
                "_seq": seq,
            }
            for optional in ("badge", "employee_no", "pin_mac"):
                if optional in data:
                    row[optional] = data[optional]
            self.staff[sid] = row
            return
        target = data.get("staff")
        if kind in (EventKind.AUTH_FAILED, EventKind.SIGNED_IN):
            target = actor
        if target is None:
            return
        member = self.staff.get(int(target))
        if member is None:
            self.flag(
                Disagreement("staff", f"id {target}", "id", f"event {kind} names a member never added", seq)
            )
            return
        member["_seq"] = seq
        if kind == EventKind.STAFF_DEACTIVATED:
            member["active"] = 0
        elif kind == EventKind.STAFF_REACTIVATED:
            member["active"] = 1
        elif kind == EventKind.STAFF_ROLE_CHANGED:
            member["role"] = data.get("role")
            member["rank"] = data.get("rank")
        elif kind in (EventKind.STAFF_UNLOCKED, EventKind.STAFF_PIN_RESET, EventKind.STAFF_LOCK_EXPIRED):
            member["failed_attempts"] = 0
            member["locked_at"] = None
            if kind == EventKind.STAFF_PIN_RESET:
                member["pin_change_due"] = 1  # a reset PIN is one-time
        elif kind == EventKind.STAFF_PIN_SET:
            member["pin_change_due"] = 0
        if kind in (EventKind.STAFF_PIN_RESET, EventKind.STAFF_PIN_SET):
            # The newest PIN hash's MAC (`PinChanged`); a PIN event without one (an older release's,
            # beside this one on a shared ledger) leaves it unknown, and then it is not compared.
            if "pin_mac" in data:
                member["pin_mac"] = data["pin_mac"]
            else:
                member.pop("pin_mac", None)
        elif kind == EventKind.AUTH_FAILED and data.get("reason") == "wrong_pin":
            member["failed_attempts"] += 1
        elif kind == EventKind.STAFF_LOCKED:
            member["locked_at"] = at
        elif kind == EventKind.SIGNED_IN:
            member["failed_attempts"] = 0
        elif kind == EventKind.STAFF_TRAINED:
            on = str(data.get("on"))
            if member["trained_on"] is None or on > member["trained_on"]:
                member["trained_on"] = on  # ISO dates: the text order is the date order

    def _stocktake_started(
        self,
        seq: int,
        at: str,
        actor: int | None,
        witness: int | None,
        stocktake: int,
        device: str | None,
        data: dict[str, Any],
        cards: Mapping[str, Sequence[Any]],
        query: Query,
    ) -> None:
        self.stocktakes[stocktake] = {
            "kiosk": device,
            "started_at": at,
            "operator_id": actor,
            "witness_id": witness,
            "finished_at": None,
            "status": "open",
            "_seq": seq,
        }
        if data.get("reads_on_chain") is True:
            self.exact_times.add(stocktake)
        want = {mid: row[_LOCATION] for mid, row in cards.items() if row[_STATUS] in EXPECTED_STATUSES}
        if expected_digest(want) != data.get("expected_sha256") or len(want) != data.get("expected"):
            self.flag(
                Disagreement(
                    "events",
                    f"seq {seq}",
                    "expected_sha256",
                    f"stocktake {stocktake}'s expected set on the chain is not the cards in the safe then",
                    seq,
                )
            )
        stored = dict(
            query.rows(
                "SELECT management_id, location FROM stocktake_expected WHERE stocktake_id = ?", (stocktake,)
            )
        )
        if stored != want:
            key = f"stocktake {stocktake}"
            for mid in sorted(set(want) | set(stored)):
                if mid not in stored:
                    problem = f"card {mid} (in the safe at the start) is missing from the frozen set"
                elif mid not in want:
                    problem = f"card {mid} is in the frozen set but was not in the safe at the start"
                elif stored[mid] != want[mid]:
                    problem = f"card {mid}: location is {stored[mid]!r}, the events say {want[mid]!r}"
                else:
                    continue
                self.flag(Disagreement("stocktake_expected", key, "management_id", problem, seq))
                break
        if expected_digest(stored) != data.get("expected_sha256"):
            self.flag(
                Disagreement(
                    "stocktake_expected",
                    f"stocktake {stocktake}",
                    "expected_sha256",
                    "the frozen set's digest differs from the one on the chain",
                    seq,
                )
            )

    # -- the comparison -------------------------------------------------------------------------

    def compare(self, query: Query, cards: Mapping[str, Sequence[Any]]) -> Disagreement | None:
        """Compare every table with the fold; the first disagreement, or None."""
        if self.first is not None:
            return self.first
        for check in (
            self._compare_meta,
            self._compare_staff,
            self._compare_sessions,
            self._compare_pick_list,
            self._compare_stocktakes,
            self._compare_scans,
            self._compare_bindings,
        ):
            problem = check(query)
            if problem is not None:
                return problem
        return self._closed_sessions_clear(cards)

    def _compare_meta(self, query: Query) -> Disagreement | None:
        stored = dict(query.rows("SELECT key, value FROM ledger_meta"))
        for key, (value, seq) in self.meta.items():
            if stored.get(key) != value:
                return Disagreement(
                    "ledger_meta", key, "value", f"is {stored.get(key)!r}, not {value!r}", seq
                )
        for key in stored:
            if key not in self.meta and self.meta:
                return Disagreement("ledger_meta", key, "key", "is not on the chain")
        return None

    def _compare_staff(self, query: Query) -> Disagreement | None:
        rows = query.dicts("SELECT * FROM staff ORDER BY id")
        seen: set[int] = set()
        for row in rows:
            sid = int(row["id"])
            seen.add(sid)
            want = self.staff.get(sid)
            key = f"id {sid}"
            if want is None:
                return Disagreement("staff", key, "id", f"{row.get('name')!r} has no staff_added event")
            for name, value in want.items():
                if name.startswith("_") or name not in row:
                    continue
                got = row[name]
                if name == "locked_at":
                    got = time_text(got)
                if _norm(got) != _norm(value):
                    return Disagreement(
                        "staff", key, name, f"is {got!r}, the events say {value!r}", want["_seq"]
                    )
            if row.get("pin_mac") is None or row["pin_mac"] != pin_mac(self.pepper, sid, row["pin_hash"]):
                return Disagreement(
                    "staff", key, "pin_hash", "is not bound to this member (its MAC does not match)"
                )
            if not row_bound(self.pepper, row, sealed=self.staff_sealed):
                return Disagreement(
                    "staff", key, "row_mac", "role, rank, active, lock or PIN edited outside the core"
                )
        for sid, want in self.staff.items():
            if sid not in seen:
                return Disagreement(
                    "staff", f"id {sid}", "id", "added on the chain but has no row", want["_seq"]
                )
        return None

    def _compare_sessions(self, query: Query) -> Disagreement | None:
        rows = query.dicts("SELECT * FROM safe_sessions ORDER BY id")
        return _compare_keyed(
            "safe_sessions",
            {int(r["id"]): r for r in rows},
            self.sessions,
            times=("opened_at", "closed_at"),
            label=lambda k: f"id {k}",
        )

    def _compare_pick_list(self, query: Query) -> Disagreement | None:
        rows = query.dicts("SELECT * FROM pick_list")
        return _compare_keyed(
            "pick_list",
            {(date_text(r["day"]) or "", str(r["management_id"])): r for r in rows},
            self.pick,
            times=(),
            label=lambda k: f"day {k[0]} card {k[1]}",
        )

    def _compare_stocktakes(self, query: Query) -> Disagreement | None:
        rows = query.dicts("SELECT * FROM stocktakes ORDER BY id")
        return _compare_keyed(
            "stocktakes",
            {int(r["id"]): r for r in rows},
            self.stocktakes,
            times=("started_at", "finished_at"),
            label=lambda k: f"id {k}",
        )

    def _compare_scans(self, query: Query) -> Disagreement | None:
        rows = query.dicts("SELECT * FROM stocktake_scans")
        problem = _compare_keyed(
            "stocktake_scans",
            {(int(r["stocktake_id"]), str(r["management_id"])): r for r in rows},
            self.scans,
            times=(),
            label=lambda k: f"stocktake {k[0]} card {k[1]}",
        )
        if problem is not None or not self.finished_reads:
            return problem
        # Every finished stocktake (also one from before reads_on_chain): its scans add up to what the
        # finish signed. Nothing counts in a stocktake after it finished.
        sums = {
            int(st): (int(reads or 0), int(dups or 0))
            for st, reads, dups in query.rows(
                "SELECT stocktake_id, sum(times), sum(CASE WHEN times > 1 THEN 1 ELSE 0 END) "
                "FROM stocktake_scans GROUP BY stocktake_id"
            )
        }
        for st, (reads, dups, seq) in sorted(self.finished_reads.items(), key=lambda x: x[1][2]):
            got_reads, got_dups = sums.get(st, (0, 0))
            if (got_reads, got_dups) != (reads, dups):
                return Disagreement(
                    "stocktake_scans",
                    f"stocktake {st}",
                    "times",
                    f"the reads add up to {got_reads} ({got_dups} cards read more than once); its finish "
                    f"signed {reads} ({dups})",
                    seq,
                )
        return None

    def _compare_bindings(self, query: Query) -> Disagreement | None:
        rows = query.dicts("SELECT * FROM rfid_bindings")
        want = {
            tag: {"management_id": mid, "bound_seq": seq, "_seq": seq}
            for tag, (mid, seq) in self.bindings.items()
        }
        return _compare_keyed(
            "rfid_bindings", {str(r["tag"]): r for r in rows}, want, times=(), label=lambda k: f"tag {k}"
        )

    def _closed_sessions_clear(self, cards: Mapping[str, Sequence[Any]]) -> Disagreement | None:
        for mid, row in cards.items():
            if row[_STATUS] is CardStatus.OUT and row[_OUT] is not None:
                session = self.sessions.get(row[_OUT])
                if session is not None and session["closed_at"] is not None:
                    return Disagreement(
                        "cards",
                        f"card {mid}",
                        "out_session_id",
                        f"still out in safe session {row[_OUT]}, which was closed",
                        session["_seq"],
                    )
        return None


def _compare_keyed(
    table: str,
    stored: dict[Any, dict[str, Any]],
    want: dict[Any, dict[str, Any]],
    *,
    times: tuple[str, ...],
    label: Callable[[Any], str],
) -> Disagreement | None:
    for key in sorted(stored.keys() | want.keys(), key=lambda k: (want.get(k, {}).get("_seq", 0), str(k))):
        row, expect = stored.get(key), want.get(key)
        if expect is None:
            return Disagreement(table, label(key), "(row)", "has no event that wrote it")
        if row is None:
            return Disagreement(table, label(key), "(row)", "is on the chain but has no row", expect["_seq"])
        for name, value in expect.items():
            if name.startswith("_") or name not in row:
                continue
            got = time_text(row[name]) if name in times else row[name]
            if _norm(got) != _norm(value):
                return Disagreement(
                    table, label(key), name, f"is {got!r}, the events say {value!r}", expect["_seq"]
                )
    return None


def decode(payload: str) -> dict[str, Any]:
    if payload == "{}":
        return {}
    value: dict[str, Any] = json.loads(payload)
    return value
