"""Warehouse tables. Every key carries the OPD code so that one warehouse can
hold every OPD of the kabupaten. Changes go through an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
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
    UniqueConstraint("location"),
    Index("ix_report_file_period", "opd_code", "period"),
    # the index page reads them in this order (migration 0008): no sort of the whole table
    Index("ix_report_file_written", "written_at", "id"),
)
