"""Row objects for the per-message path, built as SQLAlchemy builds the rows it loads.

SQLModel constructs a table model attribute by attribute (each through SQLAlchemy's
instrumentation and Pydantic's), and the ORM's loading machinery costs more than the query
on SQLite; rows made or read on every message need neither. Nothing is validated, as with
Model(...) on a table model: the values must be of the fields' types.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, SQLModel

Row = TypeVar("Row", bound=SQLModel)

_DEFAULTS: dict[type, list[tuple[str, Callable[[], Any] | None, Any]]] = {}


def new_row(model: type[Row], **values: Any) -> Row:
    """A new (transient) row: its fields' defaults, then `values`."""
    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = _DEFAULTS[model] = [
            (name, field.default_factory, field.default)
            for name, field in model.model_fields.items()
            if not field.is_required()
        ]
    unknown = values.keys() - model.model_fields.keys()
    if unknown:
        raise TypeError(f"{model.__name__} has no field {', '.join(sorted(unknown))}")
    row = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    fields = row.__dict__
    for name, factory, default in defaults:
        fields[name] = factory() if factory is not None else default  # type: ignore[call-arg]
    fields.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    return row


def loaded_row(session: Session, model: type[Row], values: Mapping[str, Any]) -> Row:
    """The session's object for a row read with a Core query (`values`: every column, by
    field name), as if the ORM had loaded it: changes to it are flushed as UPDATEs."""
    mapper = model.__mapper__  # type: ignore[attr-defined]
    key = mapper.identity_key_from_primary_key([values[c.key] for c in mapper.primary_key])
    known = session.identity_map.get(key)
    if known is not None:
        return known  # type: ignore[return-value]
    row = model._sa_class_manager.new_instance()  # type: ignore[attr-defined]
    row.__dict__.update(values)
    object.__setattr__(row, "__pydantic_fields_set__", set(values))
    make_transient_to_detached(row)
    session.add(row)
    return row


_BY_KEY: dict[type, Any] = {}


def row_by_key(session: Session, model: type[Row], *key: Any) -> Row | None:
    """Session.get() through a Core query built once per model (the session's own object
    if it holds one already)."""
    mapper = model.__mapper__  # type: ignore[attr-defined]
    known = session.identity_map.get(mapper.identity_key_from_primary_key(key))
    if known is not None:
        return known  # type: ignore[return-value]
    statement = _BY_KEY.get(model)
    if statement is None:
        table = model.__table__  # type: ignore[attr-defined]
        statement = _BY_KEY[model] = select(table).where(
            *(column == bindparam(f"k{n}") for n, column in enumerate(mapper.primary_key))
        )
    session.flush()  # a Core query does not flush what the session holds
    found = (
        session.connection()
        .execute(statement, {f"k{n}": value for n, value in enumerate(key)})
        .first()
    )
    return loaded_row(session, model, found._asdict()) if found is not None else None
