"""Budget realisation sheets and their figures per program, kegiatan and sub kegiatan (CONTRACT §11).

Revision ID: 0006_budget
Revises: 0005_reports
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_budget"
down_revision = "0005_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budget_file",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("month", sa.Integer),
        sa.Column("file_name", sa.String(512), nullable=False),
        sa.Column("source_path", sa.Text, nullable=False),
        sa.Column("archive_path", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("problems", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("revision", sa.Integer),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_file"),
        sa.UniqueConstraint("opd_code", "sha256", name="uq_budget_file_opd_code_sha256"),
    )
    op.create_index("ix_budget_file_period", "budget_file", ["opd_code", "year", "month"])
    op.create_table(
        "budget_line",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("budget_file_id", sa.Integer, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("pagu", sa.Float, nullable=False),
        sa.Column("realisation", sa.Float, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_budget_line"),
        sa.ForeignKeyConstraint(
            ["budget_file_id"], ["budget_file.id"], name="fk_budget_line_budget_file_id_budget_file"
        ),
    )
    op.create_index("ix_budget_line_current", "budget_line", ["opd_code", "year", "is_current"])
    op.create_index("ix_budget_line_file", "budget_line", ["budget_file_id"])


def downgrade() -> None:
    op.drop_index("ix_budget_line_file", table_name="budget_line")
    op.drop_index("ix_budget_line_current", table_name="budget_line")
    op.drop_table("budget_line")
    op.drop_index("ix_budget_file_period", table_name="budget_file")
    op.drop_table("budget_file")
