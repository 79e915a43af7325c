"""The command line: parses options and calls the library, nothing more.

Every command's work lives in the library (`jobs` for plan, run and retry; the stages
for the rest); this file turns flags into arguments, results into terminal output and exit codes:
0 every row in scope succeeded, 1 finished but some rows need attention, 2 nothing could
be done. User mistakes become one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

# Only what defining the commands needs is imported here: `leadbatch --help`, `--version`
# and `template` stay clear of pydantic, phonenumbers, xlsxwriter and the HTTP stack; each
# command imports its own (config included) when it runs.
from ._version import __version__
from .console import SendDisplay, print_plan, validation_json, validation_lines
from .errors import LeadbatchError, UsageError
from .options import (
    clock_of,
    plan_settings_from,
    planning_options,
    read_settings_from,
    reading_options,
    sending_options,
)

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


@cli.command()
@click.argument("leads", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@planning_options
@reading_options
@click.pass_context
def validate(ctx: click.Context, /, leads: Path, as_json: bool, assistants_file: str | None,
             config: Path | None, phone_region: str | None, date_order: str | None,
             mapping: tuple[str, ...], **flags: Any) -> int:
    """Check a lead sheet row by row (no API call), with the settings `plan` uses.

    Prints one line per problem (FILE: row N, column C: what is wrong), the warnings
    (what is used with a caveat), and a summary. Pinned send days are checked against
    the sending calendar; pinned assistants against --assistants FILE when given.
    Exit 0 if every row is valid, 1 if some rows are invalid or duplicate.
    """

    from .jobs import validate_job
    from .read import load_assistants

    settings = plan_settings_from(config=config, **flags)
    read = read_settings_from(config=config, holidays=settings.holidays,
                              phone_region=phone_region, date_order=date_order, mapping=mapping)
    known = (lambda: load_assistants(assistants_file)) if assistants_file else None
    sheet = validate_job(leads, read=read, settings=settings, assistants=known,
                         clock=clock_of(ctx))
    lines = validation_json(leads, sheet) if as_json else validation_lines(leads, sheet)
    click.echo("\n".join(lines))
    return EXIT_OK if len(sheet.valid_rows) == len(sheet.rows) else EXIT_ROWS


@cli.command()
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The template workbook to write (.xlsx).")
def template(output: Path) -> int:
    """Write a fresh input template (Leads sheet with an example row, Instructions sheet)."""
    from .template_file import copy_template

    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {output}: the template is an Excel workbook: use a name ending in .xlsx")
    if output.is_dir():
        raise UsageError(f"-o {output} is a folder: give a file name ending in .xlsx")
    written = copy_template(output)
    click.echo(f"Template written to {written}: fill in the Leads sheet, then run "
               f"`leadbatch validate {written}`.")
    return EXIT_OK


@cli.command("assistants")
@click.option("--json", "as_json", is_flag=True,
              help="Print the JSON list that `--assistants FILE` reads (save it with > FILE).")
@click.option("--search", default="", metavar="TEXT",
              help="Only assistants whose name or email contains TEXT.")
def assistants_command(as_json: bool, search: str) -> int:
    """List every assistant (all pages) with its daily email limit and default sequence."""
    from .config import load_api_settings
    from .read import dump_assistants_json
    from .send import fetch_assistants

    found = fetch_assistants(load_api_settings(), search=search)
    if as_json:
        click.echo(dump_assistants_json(found), nl=False)
        return EXIT_OK
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(found)} assistant{'' if len(found) == 1 else 's'}")
    for column in ("id", "name", "email", "perDayEmailLimit", "defaultScheduleId"):
        table.add_column(column, no_wrap=column == "email",
                         justify="right" if column != "name" and column != "email" else "left")
    for a in found:
        table.add_row(*(str(v) if v is not None else "" for v in (
            a.id, a.name, a.email, a.per_day_email_limit, a.default_schedule_id)))
    Console(width=max(100, Console().width)).print(table)
    return EXIT_OK


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--assistants", "assistants_file", metavar="FILE",
              help="Serve these assistants (JSON, CSV or XLSX) instead of the seed's two.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="A leadbatch.toml whose [[sequences]] the sandbox knows (unknown ones get 400).")
@click.option("--latency", type=click.FloatRange(min=0), default=0.0, metavar="SECONDS",
              help="Delay added to every answer.")
@click.option("--rate-limit", type=click.FloatRange(0, 1), default=0.0, metavar="SHARE",
              help="Share of API calls answered 429 (e.g. 0.1).")
@click.option("--retry-after", type=click.FloatRange(min=0), default=1.0, show_default=True,
              metavar="SECONDS", help="Retry-After of those 429 answers.")
@click.option("--server-errors", type=click.FloatRange(0, 1), default=0.0, metavar="SHARE",
              help="Share of API calls answered 500/502/503.")
@click.option("--drop", type=click.FloatRange(0, 1), default=0.0, metavar="SHARE",
              help="Share of API calls whose connection is closed after the work, with no answer.")
@click.option("--token-lifetime", type=click.IntRange(min=1), default=3600, show_default=True,
              metavar="SECONDS", help="expires_in of the tokens issued.")
@click.option("--token-errors", type=click.FloatRange(0, 1), default=0.0, metavar="SHARE",
              help="Share of token requests answered 500.")
@click.option("--reject-email", multiple=True, metavar="EMAIL",
              help="Answer 400 for this email, or for a whole @domain (repeatable).")
@click.option("--seed", type=int, help="Random seed: the same seed gives the same faults.")
def sandbox(port: int, assistants_file: str | None, config: Path | None, latency: float,
            rate_limit: float, retry_after: float, server_errors: float, drop: float,
            token_lifetime: int, token_errors: float, reject_email: tuple[str, ...],
            seed: int | None) -> int:
    """Serve a local 7Targets-compatible API on 127.0.0.1 to rehearse with (Ctrl-C stops it).

    Prints the LEADBATCH_* lines that point leadbatch at it (sandbox credentials, no
    real ones), then serves until Ctrl-C or SIGTERM.
    """
    from .config import load_plan_settings
    from .read import load_assistants
    from .sandbox import Faults, SandboxServer, serve_forever

    faults = Faults(latency=latency, rate_limit=rate_limit, retry_after=retry_after,
                    server_error=server_errors, drop=drop, token_lifetime=token_lifetime,
                    token_error=token_errors, reject_emails=reject_email, seed=seed)
    sequences = load_plan_settings(config).sequences if config is not None else ()
    assistants = load_assistants(assistants_file) if assistants_file else None
    serve_forever(SandboxServer(port=port, faults=faults, assistants=assistants,
                                sequences=sequences))
    return EXIT_OK


@cli.command()
@click.argument("leads", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The plan workbook to write (.xlsx).")
@planning_options
@reading_options
@click.option("--booked", multiple=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A plan or results workbook whose leads' emails count as already booked "
              "(repeatable; the ledger's bookings count anyway).")
@click.pass_context
def plan(
    ctx: click.Context,
    /,
    leads: Path,
    output: Path,
    assistants_file: str | None,
    config: Path | None,
    phone_region: str | None,
    date_order: str | None,
    mapping: tuple[str, ...],
    booked: tuple[Path, ...],
    **flags: Any,
) -> int:
    """Dry run: plan a send day, assistant and sequence for every lead; sends nothing.

    Writes PLAN.xlsx (sheets Plan, Summary, Load). Exit 0 if every row is planned,
    1 if some rows are invalid, duplicate or unplaceable.
    """
    from .jobs import find_assistants, plan_job

    settings = plan_settings_from(config=config, **flags)
    read = read_settings_from(config=config, holidays=settings.holidays,
                              phone_region=phone_region, date_order=date_order, mapping=mapping)
    result = plan_job(leads, output, settings=settings, read=read,
                      assistants=lambda: find_assistants(assistants_file), clock=clock_of(ctx),
                      booked=booked)
    print_plan(result.plan, leads, result.workbook)
    return result.exit_code


@cli.command()
@click.argument("source", metavar="LEADS_OR_PLAN", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The results workbook to write (.xlsx); its journal sits beside it.")
@planning_options
@reading_options
@sending_options
@click.option("--allow-resend", is_flag=True,
              help="Create again the leads earlier campaigns created (the ledger says which).")
@click.pass_context
def run(ctx: click.Context, /, source: Path, output: Path, assistants_file: str | None,
        config: Path | None, through: dt.date | None, concurrency: int, rate: float | None,
        timeout: float, phone_region: str | None, date_order: str | None, mapping: tuple[str, ...],
        allow_resend: bool, **flags: Any) -> int:
    """Send the leads that are due; later ones are recorded as pending.

    LEADS_OR_PLAN is an input sheet (planned now, with the planning options) or a plan
    workbook from `leadbatch plan` (sent as planned). Run the same command again, on the
    same day or a later one: rows that succeeded are never sent again; rows now due are.
    Exit 0 if every row succeeded or is pending for a later day, 1 if some rows are
    invalid, duplicate, unplaceable or failed, or were left unsent, 2 if nothing could be
    done (credentials rejected included).
    """
    from .config import load_api_settings
    from .jobs import find_assistants, run_job, workbook_kind

    api = load_api_settings()
    settings = plan_settings_from(config=config, **flags)
    read = read_settings_from(config=config, holidays=settings.holidays,
                              phone_region=phone_region, date_order=date_order, mapping=mapping)
    given = [k for k, v in flags.items() if v is not None] + (["assistants"] if assistants_file
                                                             else [])
    if given and workbook_kind(source) is not None:
        click.echo(f"leadbatch: note: {source} is already planned: it is sent as planned, "
                   f"without --{', --'.join(o.replace('_', '-') for o in sorted(given))}",
                   err=True)
    with SendDisplay() as display:
        result = run_job(source, output, api=api, settings=settings, read=read,
                         allow_resend=allow_resend,
                         assistants=lambda: find_assistants(assistants_file),
                         sending=display.sending(through, concurrency, rate, timeout),
                         clock=clock_of(ctx))
    return _print_results(result)


@cli.command()
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the updated results here instead of rewriting RESULTS in place.")
@sending_options
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="leadbatch.toml whose time zone says what 'today' is (default: ./leadbatch.toml).")
@click.pass_context
def retry(ctx: click.Context, results: Path, output: Path | None, through: dt.date | None,
          concurrency: int, rate: float | None, timeout: float, config: Path | None) -> int:
    """Re-send the rows of RESULTS whose status is failed (with any cells you fixed) and
    the pending rows now due. Rows that succeeded (a status of created, updated, stopped,
    or a leadId) are never sent again. Exit 0 if they all succeeded now, 1 if not."""
    from .config import load_api_settings, load_plan_settings
    from .jobs import retry_job

    api = load_api_settings()
    from .jobs import find_assistants

    settings = load_plan_settings(config)
    with SendDisplay() as display:
        result = retry_job(results, output, api=api, timezone=settings.timezone,
                           settings=settings, assistants=lambda: find_assistants(None),
                           sending=display.sending(through, concurrency, rate, timeout),
                           clock=clock_of(ctx))
    return _print_results(result)


@cli.group("ledger", invoke_without_command=True)
@click.option("--email", metavar="EMAIL", help="Only the sends to this address.")
@click.option("--json", "as_json", is_flag=True, help="Print the ledger as JSON.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write it to this workbook (.xlsx) instead.")
@click.pass_context
def ledger_command(ctx: click.Context, email: str | None, as_json: bool,
                   output: Path | None) -> int:
    """What the account's ledger knows: emails per day and assistant (sent and planned,
    followups included) and every send. The ledger is LEADBATCH_LEDGER, else a file per
    account in the user's data folder."""
    if ctx.invoked_subcommand is not None:
        return EXIT_OK
    import json

    from .config import load_api_settings
    from .jobs import ledger_tables, write_ledger_workbook

    days, sends = ledger_tables(load_api_settings(), email)
    if output is not None:
        if output.suffix.lower() != ".xlsx":
            raise UsageError(f"-o {output}: the ledger export is an Excel workbook: use a name "
                             "ending in .xlsx")
        click.echo(f"Ledger written to {write_ledger_workbook(output, days, sends)}")
    elif as_json:
        click.echo(json.dumps({"days": [] if email else days, "sends": sends}, indent=2))
    else:
        if not email:
            click.echo("day         assistant                       sent  planned")
            for d in days:
                click.echo(f"{d['day']}  {d['assistant']!s:30} {d['sent']:>5} {d['planned']:>8}")
        for s in sends:
            click.echo(f"{s['email']}: {s['action']} {s['state']} {s['sentAt']} by "
                       f"{Path(str(s['results'])).name} row {s['row']} (lead {s['leadId'] or '-'})")
        click.echo(f"{len(sends)} send{'' if len(sends) == 1 else 's'}"
                   + ("" if email else f", {len(days)} assistant-days booked"))
    return EXIT_OK


@ledger_command.command("forget")
@click.argument("email")
def ledger_forget(email: str) -> int:
    """Forget the sends to EMAIL, so that the next run may create it again (on purpose)."""
    from .config import load_api_settings
    from .jobs import forget_sends

    gone = forget_sends(load_api_settings(), email)
    click.echo(f"Forgot {gone} send{'' if gone == 1 else 's'} to {email}: the next run may "
               "create it again.")
    return EXIT_OK


def _print_results(result: Any) -> int:
    """Counts by status, the rows that need attention, the workbook, the next command."""
    for line in result.summary():
        click.echo(line)
    if result.report.auth_error is not None:
        raise result.report.auth_error  # one line on stderr, exit 2; the results are written
    if result.report.server_gone is not None:
        raise result.report.server_gone  # the same: the untried rows are left pending
    return int(result.report.exit_code)


# A big sheet's rows are hundreds of thousands of small objects that live on and form no
# cycles; at the default threshold (700) the young generation is collected over and over
# while they are made. Measured on a 100,000-row xlsx read and plan: 3.9 s -> 2.6 s. A
# process setting, so it belongs to the command line, not to the library.
GC_THRESHOLDS = (100_000, 50, 100)


def main(argv: list[str] | None = None, *, obj: dict[str, Any] | None = None) -> Any:
    """Entry point: one line and exit 2 for every user mistake, never a traceback.

    `obj` becomes the click context's `obj`: in-process callers pass {"clock": f} to fix
    what "today" is (f returns an aware datetime), as tests do.
    """
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        code = cli.main(args=argv, prog_name="leadbatch", standalone_mode=False, obj=obj)
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
