"""Realisation rows keep the bidang's faktor pendorong, faktor penghambat and
tindak lanjut (optional sheet columns, CONTRACT §2) for Tabel E.81 and LKjIP.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("supporting_factors", "inhibiting_factors", "follow_up")


def upgrade() -> None:
    with op.batch_alter_table("realisation") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("realisation") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
