"""The command line: parses options and calls the library, nothing more.

Every command's work lives in a library module (reader, planner, client, executor...);
this file turns flags into arguments, results into terminal output and exit codes:
0 every row in scope succeeded, 1 finished but some rows need attention, 2 nothing could
be done. User mistakes become one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from . import __version__
from .errors import LeadbatchError

EXIT_OK, EXIT_ROWS, EXIT_FATAL = 0, 1, 2


def fail(message: str) -> NoReturn:
    """Print one line on stderr and exit 2."""
    click.echo(f"leadbatch: error: {message}", err=True)
    sys.exit(EXIT_FATAL)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="leadbatch")
def cli() -> None:
    """Validate, plan and send spreadsheets of sales leads to 7Targets AI Sales Assistants.

    Typical use: `leadbatch validate leads.xlsx`, then `leadbatch plan leads.xlsx -o plan.xlsx`,
    then `leadbatch run plan.xlsx -o results.xlsx`, then `leadbatch retry results.xlsx`.
    """


# --- reader commands: validate, template (issue 2) ---------------------------------------

# --- API commands: assistants, sandbox (issue 3) -----------------------------------------

# --- planner commands: plan (issue 4) ----------------------------------------------------

# --- executor commands: run, retry (issue 5) ---------------------------------------------


def main(argv: list[str] | None = None) -> Any:
    """Entry point: one line and exit 2 for every user mistake, never a traceback."""
    try:
        code = cli.main(args=argv, prog_name="leadbatch", standalone_mode=False)
    except click.UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError" and exc.ctx is not None:
            click.echo(exc.ctx.get_help())  # `leadbatch` alone: show the help, as click does
            sys.exit(EXIT_FATAL)
        hint = f" (see: leadbatch {exc.ctx.info_name} --help)" if exc.ctx and exc.ctx.parent else ""
        fail(f"{exc.format_message()}{hint}")
    except click.Abort:
        click.echo("leadbatch: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        fail(exc.format_message())
    except LeadbatchError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        click.echo("leadbatch: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
