"""`python -m iku.cli ...`, as the portal's jobs start `iku` (iku/web/jobs.py)."""

from iku.cli import app

app()
