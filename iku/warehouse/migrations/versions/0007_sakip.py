"""The SAKIP cycle (CONTRACT §12): verification of bidang-months, approval and
locking of quarters, the append-only audit log, evidence files (bukti dukung)
and the plausibility warnings of a submission.

Revision ID: 0007_sakip
Revises: 0006_budget
Create Date: 2026-12-03

The audit log's triggers are created here, per dialect, as they stood when
this revision was written (iku/warehouse/schema.py has the same statements for
metadata.create_all).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_sakip"
down_revision = "0006_budget"
branch_labels = None
depends_on = None

_GUARDS = {
    "sqlite": [
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'log audit tidak dapat diubah'); END",
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'log audit tidak dapat dihapus'); END",
    ],
    "postgresql": [
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'log audit tidak dapat diubah atau dihapus'; END $$",
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
    ],
}


def upgrade() -> None:
    op.add_column("submission", sa.Column("warnings", sa.JSON))
    op.create_table(
        "verification",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("bidang", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("submission_id", sa.Integer, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("changed_by", sa.String(128), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_verification"),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["submission.id"], name="fk_verification_submission_id_submission"
        ),
        sa.UniqueConstraint(
            "opd_code", "bidang", "year", "month", name="uq_verification_opd_code_bidang_year_month"
        ),
    )
    op.create_table(
        "quarter_approval",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("quarter", sa.Integer, nullable=False),
        sa.Column("approved_by", sa.String(128)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("unlocked_by", sa.String(128)),
        sa.Column("unlocked_at", sa.DateTime(timezone=True)),
        sa.Column("unlock_reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_quarter_approval"),
        sa.UniqueConstraint("opd_code", "year", "quarter", name="uq_quarter_approval_opd_code_year_quarter"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_opd", "audit_log", ["opd_code", "id"])
    for statement in _GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("opd_code", sa.String(64), nullable=False),
        sa.Column("bidang", sa.String(64), nullable=False),
        sa.Column("indicator_code", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("month", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(512), nullable=False),
        sa.Column("archive_path", sa.Text, nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("uploaded_by", sa.String(128), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.UniqueConstraint(
            "opd_code",
            "sha256",
            "indicator_code",
            "year",
            "month",
            name="uq_evidence_opd_code_sha256_indicator_code_year_month",
        ),
    )
    op.create_index("ix_evidence_month", "evidence", ["opd_code", "year", "month"])


def downgrade() -> None:
    op.drop_index("ix_evidence_month", table_name="evidence")
    op.drop_table("evidence")
    op.drop_index("ix_audit_log_opd", table_name="audit_log")
    op.drop_table("audit_log")  # its triggers go with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    op.drop_table("quarter_approval")
    op.drop_table("verification")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("warnings")
