"""Writing many rows at once (a fan-out to the whole organization): PostgreSQL's COPY, which
takes hundreds of thousands of rows a second, inside the session's transaction; elsewhere one
executemany. The rows are dicts keyed by column name; JSON columns take Python values, or
EncodedJSON for text encoded already (a record rendered once for many rows)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert
from sqlmodel import Session

from bot.storage.database import insert_for


class EncodedJSON(str):
    """JSON text, written as it is."""


def _json(value: Any) -> str:
    return value if isinstance(value, EncodedJSON) else json.dumps(value)


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    """For an executemany, whose JSON columns encode values themselves."""
    if not any(isinstance(value, EncodedJSON) for value in row.values()):
        return row
    return {
        name: json.loads(value) if isinstance(value, EncodedJSON) else value
        for name, value in row.items()
    }


def _copy(
    session: Session, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _tuples(table: Table, columns: Sequence[str], rows: list[dict[str, Any]]) -> list[tuple]:
    encoded = [isinstance(table.c[name].type, JSON) for name in columns]
    return [
        tuple(
            _json(row[name]) if is_json else row[name]
            for name, is_json in zip(columns, encoded, strict=True)
        )
        for row in rows
    ]


def write_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT every row (all with the same keys)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), [_decoded(row) for row in rows])
        return
    columns = list(rows[0])
    _copy(session, table.name, columns, _tuples(table, columns, rows))


def _scratch(session: Session, table: Table, columns: list[str], rows: list[dict]) -> str:
    """The rows COPYed into an empty scratch table of the transaction, shaped like `table`."""
    scratch = f"bulk_{table.name}"
    connection = session.connection()
    connection.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {scratch} (LIKE {table.name}) ON COMMIT DELETE ROWS"
    )
    connection.exec_driver_sql(f"DELETE FROM {scratch}")
    _copy(session, scratch, columns, _tuples(table, columns, rows))
    return scratch


def upsert_rows(session: Session, table: Table, rows: list[dict[str, Any]], key: str) -> None:
    """INSERT every row, or UPDATE the row with the same `key` to the given values."""
    if not rows:
        return
    columns = list(rows[0])
    updated = [name for name in columns if name != key]
    if session.get_bind().dialect.name != "postgresql":
        statement = insert_for(session)(table)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[key],
                set_={name: statement.excluded[name] for name in updated},
            ),
            [_decoded(row) for row in rows],
        )
        return
    # COPY into a scratch table of the transaction, then one set-based upsert.
    scratch = _scratch(session, table, columns, rows)
    names = ", ".join(columns)
    connection = session.connection()
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in updated)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {scratch} "
        f"ON CONFLICT ({key}) DO UPDATE SET {assignments}"
    )
    connection.exec_driver_sql(f"DELETE FROM {scratch}")
