"""The record of report files written (out/index.html is built from it).

Revision ID: 0005_reports
Revises: 0004_web
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_reports"
down_revision = "0004_web"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("period", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_report_file"),
        sa.UniqueConstraint("location", name="uq_report_file_location"),
    )
    op.create_index("ix_report_file_period", "report_file", ["opd_code", "period"])


def downgrade() -> None:
    op.drop_index("ix_report_file_period", table_name="report_file")
    op.drop_table("report_file")
