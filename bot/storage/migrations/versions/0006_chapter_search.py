"""chapter search: latitude band and unit vector, for nearest chapters

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import math

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen copy of bot.storage.models.GEO_BAND_DEGREES: a migration must not follow later edits.
GEO_BAND_DEGREES = 0.5
GEO_COLUMNS = ("geo_band", "geo_x", "geo_y", "geo_z")
GEO_INDEX_COLUMNS = ["geo_band", "longitude", "latitude", "geo_x", "geo_y", "geo_z", "id"]


def upgrade() -> None:
    with op.batch_alter_table("chapter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("geo_band", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("geo_x", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("geo_y", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("geo_z", sa.Float(), nullable=True))

    # Fill the existing chapters before the columns become NOT NULL.
    chapter = sa.table(
        "chapter",
        sa.column("id", sa.Integer()),
        sa.column("latitude", sa.Float()),
        sa.column("longitude", sa.Float()),
        *(sa.column(name) for name in GEO_COLUMNS),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(chapter.c.id, chapter.c.latitude, chapter.c.longitude)).all()
    if rows:
        bind.execute(
            chapter.update()
            .where(chapter.c.id == sa.bindparam("row_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in GEO_COLUMNS}),
            [_geo_values(row_id, latitude, longitude) for row_id, latitude, longitude in rows],
        )

    with op.batch_alter_table("chapter", schema=None) as batch_op:
        batch_op.alter_column("geo_band", existing_type=sa.Integer(), nullable=False)
        for name in GEO_COLUMNS[1:]:
            batch_op.alter_column(name, existing_type=sa.Float(), nullable=False)
        batch_op.drop_index("ix_chapter_lat_lon")
        batch_op.create_index("ix_chapter_geo", GEO_INDEX_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chapter", schema=None) as batch_op:
        batch_op.drop_index("ix_chapter_geo")
        batch_op.create_index("ix_chapter_lat_lon", ["latitude", "longitude"], unique=False)
        for name in reversed(GEO_COLUMNS):
            batch_op.drop_column(name)


def _geo_values(row_id: int, latitude: float, longitude: float) -> dict[str, float]:
    phi, lam = math.radians(latitude), math.radians(longitude)
    return {
        "row_id": row_id,
        "new_geo_band": math.floor((latitude + 90.0) / GEO_BAND_DEGREES),
        "new_geo_x": math.cos(phi) * math.cos(lam),
        "new_geo_y": math.cos(phi) * math.sin(lam),
        "new_geo_z": math.sin(phi),
    }
