"""The `iku` command line (CONTRACT §5), in Indonesian: the one Typer app,
assembled here from the command modules.

- pipeline.py: consolidate, status, report, recap, lakip, import-history,
  template, check-missing
- server.py: deploy, worker, serve, server start|stop|status
- web.py: web and its account commands
- budget.py: import-budget (and template --budget's body)
- sakip.py: pk, verify, return, approve, unlock, audit
- demo.py: demo
- errors.py: how every command ends (one line, the exit codes of CONTRACT §9)
- common.py: the console, the common options, the Renstra checks, the step log,
  the guard before Prefect
- indonesian.py: Click and Typer's own words in the help screens
"""

from __future__ import annotations

import typer

from iku.cli import budget, demo, pipeline, sakip, server, web
from iku.cli.errors import STATE, App

app = App(
    add_completion=False,
    no_args_is_help=True,
    help="Pipeline konsolidasi IKU: lembar bulanan bidang menjadi laporan triwulan, tahunan dan LAKIP.",
)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Tampilkan traceback lengkap bila perintah gagal."),
) -> None:
    STATE.debug = debug


# in the order `iku --help` lists them
for _name, _command in (
    ("deploy", server.deploy),
    ("worker", server.worker),
    ("consolidate", pipeline.consolidate),
    ("status", pipeline.status),
    ("report", pipeline.report),
    ("recap", pipeline.recap),
    ("lakip", pipeline.lakip),
    ("import-history", pipeline.import_history),
    ("import-budget", budget.import_budget),
    ("template", pipeline.template),
    ("check-missing", pipeline.check_missing),
    ("pk", sakip.pk),
    ("verify", sakip.verify),
    ("return", sakip.return_month),
    ("approve", sakip.approve),
    ("unlock", sakip.unlock),
    ("audit", sakip.audit),
    ("serve", server.serve),
    ("demo", demo.demo),
):
    app.command(_name)(_command)
app.add_typer(server.server_app, name="server")
app.add_typer(web.web_app, name="web")

__all__ = ["app"]
