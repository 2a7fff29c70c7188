"""Warehouse tables. Every key carries the OPD code so that one warehouse can
hold every OPD of the kabupaten. Changes go through an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# One row per file a bidang sent, valid or not.
submission = Table(
    "submission",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("bidang", String(64), nullable=False),
    Column("year", Integer),
    Column("month", Integer),
    Column("file_name", String(512), nullable=False),
    Column("source_path", Text, nullable=False),
    Column("archive_path", Text, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # valid | invalid | unreadable
    Column("problems", JSON, nullable=False),
    Column("revision", Integer),  # 1, 2, ... among the valid files of (bidang, year, month)
    Column("is_current", Boolean, nullable=False, default=False),
    # plausibility warnings ("perlu dicek", never a refusal): PlausibilityWarning.as_dict() each (migration 0007)
    Column("warnings", JSON),
    UniqueConstraint("opd_code", "sha256"),
    Index("ix_submission_period", "opd_code", "bidang", "year", "month"),
)

# The realisation fact table: one row per indicator and month per valid file.
realisation = Table(
    "realisation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("submission_id", Integer, ForeignKey("submission.id"), nullable=False),
    Column("bidang", String(64), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("realisation", Float),
    Column("numerator", Float),
    Column("denominator", Float),
    Column("note", Text),
    # faktor_pendorong, faktor_penghambat, tindak_lanjut of the sheet (migration 0002)
    Column("supporting_factors", Text),
    Column("inhibiting_factors", Text),
    Column("follow_up", Text),
    Column("source_row", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False, default=False),
    Index("ix_realisation_current", "opd_code", "year", "is_current"),
    Index("ix_realisation_submission", "submission_id"),
)

# Every alert raised, per channel: what, to whom, when, delivered or not.
alert = Table(
    "alert",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("cause_key", String(255), nullable=False),  # e.g. invalid:<sha256>, missing:perkim:2023-04
    Column("channel", String(16), nullable=False),  # email | webhook
    Column("kind", String(32), nullable=False),
    Column("bidang", String(64)),
    Column("year", Integer),
    Column("month", Integer),
    Column("recipient", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    UniqueConstraint("opd_code", "cause_key", "channel"),
)

# Each history file imported (`iku import-history`): the same bytes are never imported twice.
history_import = Table(
    "history_import",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("file_name", String(512), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("rows", Integer, nullable=False),
    UniqueConstraint("opd_code", "sha256"),
)

# Realisation of years before the pipeline started, one row per indicator and
# year per import; a later import with another figure is the next revision and
# the earlier one stays, no longer current.
history_realisation = Table(
    "history_realisation",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("import_id", Integer, ForeignKey("history_import.id"), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("realisation", Float, nullable=False),
    Column("source", Text, nullable=False),
    Column("note", Text),
    Column("source_row", Integer, nullable=False),
    Column("revision", Integer, nullable=False),
    Column("is_current", Boolean, nullable=False, default=False),
    Index("ix_history_realisation_key", "opd_code", "indicator_code", "year"),
)

# Portal accounts (iku web). Every account belongs to an OPD; `bidang` is set
# for the bidang role only. Passwords are stored as salted scrypt hashes.
web_account = Table(
    "web_account",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("username", String(64), nullable=False),
    Column("role", String(16), nullable=False),  # bidang | perencana | kabupaten
    Column("bidang", String(64)),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("username"),
)

# API tokens of bidang accounts: the public key id finds the row, the secret
# part is kept only as a salted SHA-256 (it is 256 random bits, not a password).
web_token = Table(
    "web_token",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("web_account.id"), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("label", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    UniqueConstraint("key_id"),
)

# Every report file written (iku report, lakip, recap, validation pages), where it
# was written: a local path or an fsspec URL (s3://, sftp://). out/index.html is
# built from these rows, so it lists what every worker wrote, wherever it ran.
# A report written again keeps its row (one per location) with the newer time.
report_file = Table(
    "report_file",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),  # "" for the kabupaten recap
    Column("period", String(32), nullable=False),  # 2023-Q2 | 2023 | a validation run's 20230508-090000
    Column("kind", String(16), nullable=False),  # iku | lakip | rekap | validasi
    Column("format", String(8), nullable=False),  # html | pdf | xlsx | json
    Column("location", Text, nullable=False),
    Column("written_at", DateTime(timezone=True), nullable=False),
    # a PDF's: what its report said when printed (iku.reports.content; migration 0009)
    Column("content_hash", String(64)),
    UniqueConstraint("location"),
    Index("ix_report_file_period", "opd_code", "period"),
    # the index page reads them in this order (migration 0008): no sort of the whole table
    Index("ix_report_file_written", "written_at", "id"),
)

# Each budget realisation sheet received (CONTRACT §11), valid or not; as
# `submission`, a later valid file of the same (OPD, year, month) is the next
# revision and becomes current, the earlier stays.
budget_file = Table(
    "budget_file",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("year", Integer),
    Column("month", Integer),
    Column("file_name", String(512), nullable=False),
    Column("source_path", Text, nullable=False),
    Column("archive_path", Text, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False),
    Column("status", String(16), nullable=False),  # valid | invalid
    Column("problems", JSON, nullable=False),
    Column("warnings", JSON, nullable=False),  # e.g. a cumulative realisation lower than the month before
    Column("revision", Integer),  # 1, 2, ... among the valid files of (year, month)
    Column("is_current", Boolean, nullable=False, default=False),
    UniqueConstraint("opd_code", "sha256"),
    Index("ix_budget_file_period", "opd_code", "year", "month"),
)

# Pagu (as it stood that month) and realisation (cumulative from 1 January) of
# each configured program, kegiatan and sub kegiatan, per valid budget file.
budget_line = Table(
    "budget_line",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("budget_file_id", Integer, ForeignKey("budget_file.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("code", String(32), nullable=False),
    Column("level", String(16), nullable=False),  # program | kegiatan | sub_kegiatan
    Column("name", Text, nullable=False),
    Column("pagu", Float, nullable=False),
    Column("realisation", Float, nullable=False),
    Column("is_current", Boolean, nullable=False, default=False),
    Index("ix_budget_line_current", "opd_code", "year", "is_current"),
    Index("ix_budget_line_file", "budget_file_id"),
)

# -- SAKIP cycle (CONTRACT §12, migration 0007) ---------------------------------
# The verification state of each bidang-month, for the submission it was given
# for: when another submission becomes current the state no longer holds and
# the month is `diterima` again (iku.domain.verification.month_state).
verification = Table(
    "verification",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("bidang", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # diverifikasi | dikembalikan (diterima is not stored)
    Column("submission_id", Integer, ForeignKey("submission.id"), nullable=False),
    Column("note", Text),  # the return note the bidang reads
    Column("changed_by", String(128), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("opd_code", "bidang", "year", "month"),
)

# The latest approval and the latest unlock of an OPD's quarter; every earlier
# one is in audit_log. `locked` is true from approval to unlock.
quarter_approval = Table(
    "quarter_approval",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("year", Integer, nullable=False),
    Column("quarter", Integer, nullable=False),
    Column("approved_by", String(128)),  # null for a quarter closed by lock_after_days, then unlocked
    Column("approved_at", DateTime(timezone=True)),
    Column("locked", Boolean, nullable=False, default=False),
    Column("unlocked_by", String(128)),
    Column("unlocked_at", DateTime(timezone=True)),
    Column("unlock_reason", Text),
    UniqueConstraint("opd_code", "year", "quarter"),
)

# Who did what, when, and the note: append-only. Triggers abort every UPDATE
# and DELETE (and TRUNCATE on PostgreSQL), whoever connects.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(16), nullable=False),  # verify | return | approve | unlock | evidence
    Column("target", String(128), nullable=False),  # e.g. perumahan/2023-04, 2023-Q2
    Column("note", Text),
    Index("ix_audit_log_opd", "opd_code", "id"),
)

# The migration creates the same triggers (its own copy: a migration stays as it
# was written); these serve metadata.create_all.
AUDIT_LOG_GUARDS = {
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
for _dialect, _statements in AUDIT_LOG_GUARDS.items():
    for _statement in _statements:
        event.listen(audit_log, "after_create", DDL(_statement).execute_if(dialect=_dialect))
event.listen(
    audit_log,
    "after_drop",
    DDL("DROP FUNCTION IF EXISTS audit_log_append_only()").execute_if(dialect="postgresql"),
)

# Bukti dukung: files behind an indicator's month, archived under their SHA-256.
evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("opd_code", String(64), nullable=False),
    Column("bidang", String(64), nullable=False),
    Column("indicator_code", String(32), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("file_name", String(512), nullable=False),
    Column("archive_path", Text, nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("uploaded_by", String(128), nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("opd_code", "sha256", "indicator_code", "year", "month"),
    Index("ix_evidence_month", "opd_code", "year", "month"),
)
