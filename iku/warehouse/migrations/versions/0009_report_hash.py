"""The content hash of a printed report (issue 21): a PDF whose report says
the same as when it was printed is kept, not printed again.

Revision ID: 0009_report_hash
Revises: 0008_province_indexes
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_report_hash"
down_revision = "0008_province_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_file") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("report_file") as batch:
        batch.drop_column("content_hash")
