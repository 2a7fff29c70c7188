"""Indexes a province needs (bench/province_bench.py --ten-years, docs/performance-province.md).

At ten years of 400 OPD the index page's query (written_reports: every report
file, ordered by written_at, id) read report_file whole and sorted 80,160 rows
on disk (external merge, 7 MB); an index in that order returns them without
the sort. Every other query the product sends is keyed by OPD and already
found its rows through an index (plans in the document).

Revision ID: 0008_province_indexes
Revises: 0007_sakip
Create Date: 2026-12-04
"""

from alembic import op

revision = "0008_province_indexes"
down_revision = "0007_sakip"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_report_file_written", "report_file", ["written_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_report_file_written", table_name="report_file")
