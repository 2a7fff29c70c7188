"""Prefect tasks for the reports: the plain steps of report_steps (which
`iku report`, `iku recap` and `iku lakip` run without Prefect), coarse (one
per step, not per indicator) to keep the engine's overhead small, with
retries. With the kabupaten recap's sending task, this module is the `steps`
the report flows compose (flows/pipeline.py, typed by its ReportSteps)."""

from __future__ import annotations

from tasks import report_steps as plain
from tasks._step import step
from tasks.alerts import send_kabupaten_recap as send_kabupaten_recap  # a step of recap_all too

write_opd_report = step(plain.write_opd_report, "write-opd-report")
collect_pdfs = step(plain.collect_pdfs, "collect-report-pdfs")
write_report_pdf = step(plain.write_report_pdf, "print-report-pdf")
update_index = step(plain.update_index, "update-report-index")
load_lakip = step(plain.load_lakip, "load-lakip-data")
write_lakip = step(plain.write_lakip, "render-lakip")
write_kabupaten_lakip = step(plain.write_kabupaten_lakip, "render-kabupaten-lakip")
write_kabupaten_tree = step(plain.write_kabupaten_tree, "render-kabupaten-tree")
load_recap = step(plain.load_recap, "load-recap-data")
write_recap = step(plain.write_recap, "render-recap")
