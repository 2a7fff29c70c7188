"""Initial warehouse: submission, realisation fact table, alert log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bidang", sa.String(64), nullable=False),
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
        sa.Column("revision", sa.Integer),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submission"),
        sa.UniqueConstraint("opd_code", "sha256", name="uq_submission_opd_code_sha256"),
    )
    op.create_index("ix_submission_period", "submission", ["opd_code", "bidang", "year", "month"])
    op.create_table(
        "realisation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("bidang", sa.String(64), nullable=False),
        sa.Column("indicator_code", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("realisation", sa.Float),
        sa.Column("numerator", sa.Float),
        sa.Column("denominator", sa.Float),
        sa.Column("note", sa.Text),
        sa.Column("source_row", sa.Integer, nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_realisation"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name="fk_realisation_submission_id_submission"
        ),
    )
    op.create_index("ix_realisation_current", "realisation", ["opd_code", "year", "is_current"])
    op.create_index("ix_realisation_submission", "realisation", ["submission_id"])
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("cause_key", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bidang", sa.String(64)),
        sa.Column("year", sa.Integer),
        sa.Column("month", sa.Integer),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_alert"),
        sa.UniqueConstraint("opd_code", "cause_key", "channel", name="uq_alert_opd_code_cause_key_channel"),
    )


def downgrade() -> None:
    op.drop_table("alert")
    op.drop_index("ix_realisation_submission", "realisation")
    op.drop_index("ix_realisation_current", "realisation")
    op.drop_table("realisation")
    op.drop_index("ix_submission_period", "submission")
    op.drop_table("submission")
