"""Click and Typer's own words in the help screens, in Indonesian: the panel
titles, 'Usage:', the --help option and the type shown beside each option."""

from __future__ import annotations

import typer.rich_utils
from typer import _click as click  # Typer vendors Click

typer.rich_utils.OPTIONS_PANEL_TITLE = "Opsi"
typer.rich_utils.COMMANDS_PANEL_TITLE = "Perintah"
typer.rich_utils.ARGUMENTS_PANEL_TITLE = "Argumen"
typer.rich_utils.REQUIRED_LONG_STRING = "[wajib]"
typer.rich_utils.DEFAULT_STRING = "[bawaan: {}]"
HELP_TEXT = "Tampilkan bantuan ini lalu keluar."
USAGE_PREFIX = "Pemakaian: "
# Typer shows each option's Python type (<str>, <int>, <path>); flags show none
TYPE_LABELS = {"str": "<teks>", "int": "<angka>", "float": "<angka>", "Path": "<jalur>", "bool": ""}


def indonesian_help(command: click.Command) -> None:
    """Translate the help screen of `command` and of every command under it."""
    _help_option(command)
    _usage_line(command)
    command.options_metavar = "[OPSI]"
    if hasattr(command, "subcommand_metavar"):
        command.subcommand_metavar = "PERINTAH [ARGUMEN]..."
    _type_labels(command)
    for sub in getattr(command, "commands", {}).values():
        indonesian_help(sub)


def _help_option(command: click.Command) -> None:
    """The --help option: 'Show this message and exit.' in Indonesian, no type shown."""
    original = command.get_help_option

    def get_help_option(ctx: click.Context):
        option = original(ctx)
        if option is not None:
            option.help = HELP_TEXT
            option.metavar = ""
        return option

    command.get_help_option = get_help_option  # type: ignore[method-assign]


def _usage_line(command: click.Command) -> None:
    """'Pemakaian:' instead of 'Usage:'."""

    def format_usage(ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = " ".join(command.collect_usage_pieces(ctx))
        formatter.write_usage(ctx.command_path, pieces, prefix=USAGE_PREFIX)

    command.format_usage = format_usage  # type: ignore[method-assign]


def _type_labels(command: click.Command) -> None:
    """<teks>, <angka>, <jalur> beside each option and argument instead of Python's type names."""
    for param in command.params:
        shown = TYPE_LABELS.get(param.bare_type()) if hasattr(param, "bare_type") else None
        if shown is None:
            continue
        if param.param_type_name == "argument":  # its type is shown beside its name
            param.display_type_rich = lambda ctx, shown=shown: shown  # type: ignore[attr-defined]
        elif param.metavar is None:
            param.metavar = "" if getattr(param, "is_flag", False) else shown
