"""The scan path's statements, run straight on the driver's cursor.

A scan was nine short statements and a commit (now four between BEGIN and COMMIT: the facts, the
event, the card, the head). Through `Connection.execute` each statement paid about
30 µs of SQLAlchemy's per-execution machinery (cache key, execution context, result wrapper, events)
for 3 µs of SQLite work: half of a scan's time. `Prepared` keeps SQLAlchemy for what it does well —
the SQL text for each dialect, and each column type's bind and result processing — and does it once per
dialect, then hands the driver the ready string and values on the unit's own connection and transaction.

What it keeps from `Connection.execute`: the same SQL, the same values both ways (a test compares them on
SQLite and PostgreSQL), and errors as SQLAlchemy's wrapped `DBAPIError` with the parameters hidden, so
`storage_errors` and the CLI see one kind of failure. What it does not do: statement events
(`before_cursor_execute` listeners do not see these statements) and echo logging.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    positional: bool
    names: tuple[str, ...]  # in the order the driver wants them (positional), or the dict's keys
    keys: Mapping[str, str]  # a bind's name → the name in the SQL text (pyformat drivers)
    defaults: Mapping[str, Any]  # literal values compiled into the statement (`literal(0)`)
    binds: Mapping[str, Processor]
    row: Any  # a namedtuple type for result rows, or None for DML
    results: tuple[Processor | None, ...]
    error: type[Exception]  # the driver's base error class
    # What `_values` walks: each bind in the driver's order, with its key in the SQL text and its
    # processor (one loop, no call per value: 3.9 against 5.1 µs for an event's 13 values).
    steps: tuple[tuple[str, str, Processor | None], ...]
    # The result columns that have a processor (a scan's facts row has 47 columns, a few of them do).
    converts: tuple[tuple[int, Processor], ...]


class Prepared:
    """A Core statement compiled once per dialect (and per set of SET/VALUES columns for DML)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[tuple[str, tuple[str, ...] | None], _Plan] = {}

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Any]:
        """The statement's rows (attribute and index access, like SQLAlchemy's `Row`)."""
        plan = self._plan(conn.dialect, None)
        cursor = self._execute(conn, plan, params or {})
        try:
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        make = plan.row._make
        converts = plan.converts
        if not converts:
            return [make(r) for r in fetched]
        out = []
        for r in fetched:
            values = list(r)
            for i, f in converts:
                values[i] = f(values[i])
            out.append(make(values))
        return out

    def one_or_none(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        found = self.rows(conn, params)
        if len(found) > 1:
            raise ValueError("more than one row where at most one was expected")
        return found[0] if found else None

    def run(
        self, conn: Connection, params: Mapping[str, Any], *, columns: Sequence[str] | None = None
    ) -> int:
        """Run DML; `columns` names the SET/VALUES columns when the statement leaves them open."""
        plan = self._plan(conn.dialect, tuple(columns) if columns is not None else None)
        cursor = self._execute(conn, plan, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def bound(
        self, conn: Connection, params: Mapping[str, Any], *, columns: Sequence[str] | None = None
    ) -> tuple[str, Any]:
        """The driver's SQL text and values of `run`, to be sent later (`send_and_commit`)."""
        plan = self._plan(conn.dialect, tuple(columns) if columns is not None else None)
        return plan.sql, self._values(plan, params)

    @staticmethod
    def _values(plan: _Plan, params: Mapping[str, Any]) -> Any:
        given = {**plan.defaults, **params} if plan.defaults else params
        try:
            # A comprehension: the loop with `append` it replaced was 57 calls a scan.
            values = [
                given[name] if process is None else process(given[name]) for name, _, process in plan.steps
            ]
        except KeyError as exc:
            raise ValueError(f"the statement needs a value for {exc.args[0]!r}") from None
        if plan.positional:
            return tuple(values)
        return {key: value for (_, key, _), value in zip(plan.steps, values, strict=True)}

    def _execute(self, conn: Connection, plan: _Plan, params: Mapping[str, Any]) -> Any:
        values = self._values(plan, params)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(plan.sql, values)
        except plan.error as exc:
            cursor.close()
            # As Connection.execute would raise it, never with the values (they can hold a PIN hash).
            raise DBAPIError.instance(
                plan.sql, None, exc, plan.error, hide_parameters=True, dialect=conn.dialect
            ) from exc
        except BaseException:
            cursor.close()
            raise
        return cursor

    def _plan(self, dialect: Dialect, columns: tuple[str, ...] | None) -> _Plan:
        key = (dialect.name, columns)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = self._compile(dialect, columns)
        return plan

    def _compile(self, dialect: Dialect, columns: tuple[str, ...] | None) -> _Plan:
        compiled: Any = self.statement.compile(
            dialect=dialect, column_keys=list(columns) if columns is not None else None
        )
        by_name = {name: bind for bind, name in compiled.bind_names.items()}
        escaped = compiled.escaped_bind_names or {}
        names = tuple(compiled.positiontup) if compiled.positional else tuple(by_name)
        binds: dict[str, Processor] = {}
        defaults: dict[str, Any] = {}
        for name, bind in by_name.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds[name] = processor
            if not bind.required and bind.callable is None and bind.value is not None:
                defaults[name] = bind.value
        selected = getattr(self.statement, "selected_columns", None)
        row: Any = None
        results: tuple[Processor | None, ...] = ()
        if selected is not None:
            row = namedtuple("Row", [c.key for c in selected], rename=True)  # type: ignore[misc, no-redef]
            results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected)
        dbapi = dialect.loaded_dbapi
        keys = {name: escaped.get(name, name) for name in by_name}
        return _Plan(
            sql=compiled.string,
            positional=bool(compiled.positional),
            names=names,
            keys=keys,
            defaults=defaults,
            binds=binds,
            row=row,
            results=results,
            error=dbapi.Error,
            steps=tuple((name, keys.get(name, name), binds.get(name)) for name in names),
            converts=tuple((i, f) for i, f in enumerate(results) if f is not None),
        )


def send(conn: Connection, statements: Sequence[tuple[str, Any]], *, commit: bool) -> None:
    """PostgreSQL: `statements` (from `Prepared.bound`) and, with `commit`, the COMMIT, in one round trip.

    psycopg's pipeline mode sends them together and waits once. A scan's writes (event, card, head)
    were three round trips and the COMMIT a fourth, all with the chain's head locked: the other kiosks
    waited through them. An error of any statement is raised here, as `Prepared` raises it (SQLAlchemy's
    `DBAPIError`, no values); the statements after it and the COMMIT are then not run, and the
    transaction is left failed for the caller's rollback. After the COMMIT the driver's connection is
    idle, so SQLAlchemy's own commit of the transaction sends nothing.
    """
    dbapi: Any = conn.connection.dbapi_connection
    error = conn.dialect.loaded_dbapi.Error
    sql = ""
    try:
        with dbapi.pipeline(), dbapi.cursor() as cursor:
            for sql, values in statements:
                cursor.execute(sql, values)
            if commit:
                sql = "COMMIT"
                dbapi.commit()
    except error as exc:
        raise DBAPIError.instance(sql, None, exc, error, hide_parameters=True, dialect=conn.dialect) from exc
