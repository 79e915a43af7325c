"""The sending jobs: `run_job` takes an input sheet (planned here) or a plan workbook (used
as it is); `retry_job` takes a results workbook. Both open the journal beside the results
workbook they write, let it and any existing workbook prove which rows already succeeded,
send what is due through `send.execute`, and write the results workbook atomically.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import hashlib
import json
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import limits
from ..config import READ_ABOUT_KEYS, ApiSettings, PlanSettings, ReadSettings, read_about
from ..errors import InputFileError, UsageError
from ..models import Assistant, PlanRow, ResultRow, RowStatus, SourceRow, iso_date, unsent
from ..plan import Clock, plan_leads, today_in, utc_now
from ..read import read_leads
from ..send import (
    ABOUT,
    Journal,
    Ledger,
    LedgerClaims,
    Mode,
    Progress,
    Report,
    Scope,
    SendState,
    execute,
    journal_path,
    row_key,
    send_key,
)
from ..workbook import CONTRACT_HELD, ReadBack, contract_columns, write_results_workbook
from .campaign import (
    adopt_history,
    already_sent,
    book,
    campaign_of,
    deleted_rows,
    ledger_proof,
    open_ledger,
    own_assistants,
    replan_fixed,
    replan_overdue,
    resend,
    settings_of_plan,
)
from .checking import check_columns, read_back, workbook_kind

# What a results workbook's Summary carries over from its plan: how its input was read.
_CARRIED = READ_ABOUT_KEYS | frozenset(CONTRACT_HELD)
PLANNED_ON = "planned_on"  # journal meta: the day an input sheet was first planned
SHEET_KEYS = "sheet_keys"  # journal meta: a digest of that sheet's send keys


@dataclass
class Sending:
    """How to send: `through` (default today), concurrency, requests-per-second cap, and
    the hooks a CLI needs (progress, a stop event, a note when Ctrl-C is first pressed)."""

    through: dt.date | None = None
    concurrency: int = 8
    rate: float | None = None
    timeout: float = 15.0  # each request's total deadline, seconds (--timeout)
    progress: Callable[[Progress], None] | None = None
    stop: threading.Event | None = None
    handle_sigint: bool = False  # first Ctrl-C: stop taking rows; second: abandon in-flight
    on_stopping: Callable[[], None] | None = None


@dataclass
class JobResult:
    report: Report
    workbook: Path
    through: dt.date
    planned_on: dt.date | None = None  # an input sheet planned as on an earlier run's day
    deleted: list[int] = field(default_factory=list)  # created rows gone from the workbook

    def summary(self, shown: int = 10) -> list[str]:
        """What a person needs after a run: counts, failed rows, the workbook, what next."""
        report, path = self.report, self.workbook
        lines = []
        if self.planned_on is not None:
            lines.append(f"(planned as on {self.planned_on}, the day of this results "
                         "workbook's first run, so the plan is the same)")
        counts = report.counts()
        by_status = " · ".join(f"{s.value} {counts[s]}" for s in _SHOWN if counts[s])
        lines.append(f"Sent {_rows(report.sent)} this run (through {self.through}). "
                     f"Rows: {by_status or 'none'}")
        if why := "; ".join(f"{n} {reason}" for reason, n in report.not_sent.most_common()):
            lines.append(f"Not sent (left pending): {_rows(report.not_sent.total())} tried ({why})")
        failed = [r for r in report.rows if r.outcome.status is RowStatus.FAILED]
        lines += [f"  row {r.row}: failed: {r.outcome.error}" for r in failed[:shown]]
        if len(failed) > shown:
            lines.append(f"  ... and {len(failed) - shown} more (see the Results sheet)")
        later = [r.plan.send_date for r in report.rows if r.outcome.status is RowStatus.PENDING
                 and r.plan.send_date is not None and r.plan.send_date > self.through]
        if later:
            lines.append(f"{_rows(len(later))} planned for later days (the next on "
                         f"{min(later)}): run the same command again on or after that day.")
        if report.due_unsent:
            lines.append(f"{_rows(report.due_unsent)} due but not finished: run the same "
                         "command again to send them.")
        if self.deleted:
            shown_rows = ", ".join(map(str, self.deleted[:shown]))
            lines.append(f"Created earlier, no longer in the workbook: {_rows(len(self.deleted))}"
                         f" ({shown_rows}{', ...' if len(self.deleted) > shown else ''}); the "
                         "ledger still has them (leadbatch ledger)")
        lines.append(f"Results written to {path}")
        if failed:
            lines.append(f"Next: fix the failed rows in {path} if needed, then run: "
                         f"leadbatch retry {path}")
        return lines


def rebuild_results(results: str | Path, out: str | Path | None = None) -> Path:
    """Write the results workbook again from its journal alone (after a crash, say)."""
    source = journal_path(results)
    if not source.is_file():
        raise UsageError(f"{source}: no journal here to rebuild {results} from")
    with Journal(source) as journal:
        headers, rows = journal.result_rows()
        about = json.loads(journal.meta(ABOUT) or "{}")
    return write_results_workbook(out or results, rows, headers, about=about)


def run_job(source: Path, output: Path, *, api: ApiSettings, settings: PlanSettings,
            assistants: Callable[[], Sequence[Assistant]], sending: Sending,
            read: ReadSettings | None = None, allow_resend: bool = False,
            clock: Clock = utc_now) -> JobResult:
    """`leadbatch run`: plan `source` (or take its plan) and send what is due.
    `allow_resend`: leads earlier campaigns created are created again (on purpose)."""
    _check_output(output, source)
    assistants = functools.cache(assistants)  # asked once, however many steps need them
    target = output.resolve()  # a symlink is written through: one campaign, one journal
    today = today_in(settings.timezone, clock)
    campaign = campaign_of(output)
    with open_ledger(api) as ledger, Journal.for_results(target) as journal:
        prior = _prior(output)
        adopt_history(ledger, journal, prior.rows if prior else [], campaign, source.name)
        planned_on: dt.date | None = None
        book_: ReadBack | None = None
        if workbook_kind(source) is not None:
            book_ = read_back(source)
            rows, headers = book_.rows, book_.headers
            mode, start = _mode(book_, settings), _date(book_.about.get("start"))
        else:
            rows, headers, start, planned_on, held = _plan_sheet(
                source, settings, read, assistants, journal, prior, today, ledger, campaign,
                allow_resend)
            mode = settings.mode
        if prior is not None:
            rows = carry_over(rows, prior.rows)
        if len(rows) >= limits.MAX_SHEET_ROWS:  # refused before sending, not when writing results
            raise UsageError(f"{source}: {len(rows):,} rows do not fit in one results sheet "
                             f"(Excel's limit is {limits.MAX_SHEET_ROWS - 1:,}): split the input "
                             "into smaller files")
        check_columns(source, headers)
        rows = ledger_proof(rows, ledger, campaign)
        rows = resend(rows, ledger, campaign) if allow_resend else already_sent(rows, ledger,
                                                                               campaign)
        book(ledger, campaign, rows, settings)
        if mode == "release":
            planned_with = settings_of_plan(book_.about, settings) if book_ else settings
            rows = replan_overdue(rows, ledger, campaign, settings=planned_with,
                                  assistants=assistants, today=today)
            book(ledger, campaign, rows, settings)
        through = sending.through or today
        # how the input columns were read, so that a retry reads them the same way
        read_keys = book_.about if book_ is not None else {
            **read_about(read or ReadSettings()), **held}
        about = {**_about(source, mode, start, through),
                 **{k: v for k, v in read_keys.items() if k in _CARRIED}}
        journal.set_meta(ABOUT, json.dumps(about))
        report = _send(rows, headers, api, journal, output, scope="run", mode=mode,
                       start=start, through=through, sending=sending,
                       claims=LedgerClaims(ledger, campaign, source.name))
        book(ledger, campaign, report.rows, settings)  # what was sent is booked firmly
        write_results_workbook(target, report.rows, headers, about=about,
                               defaults=_known_defaults(assistants))
    return JobResult(report, output, through, planned_on)


def _plan_sheet(source: Path, settings: PlanSettings, read: ReadSettings | None,
                assistants: Callable[[], Sequence[Assistant]], journal: Journal,
                prior: ReadBack | None, today: dt.date, ledger: Ledger, campaign: str,
                allow_resend: bool = False,
                ) -> tuple[list[ResultRow], list[str], dt.date, dt.date | None, dict[str, str]]:
    """An input sheet, planned around the emails other campaigns booked. Run again on the
    same sheet, it is planned as on the first run's day, so the plan (and what is due
    when) stays the same; rows whose day passed unsent are then planned again (see
    `replan_overdue`). A changed sheet is planned from today, leaving out the rows already
    sent, whose emails (booked firmly) count like any other. Also returns the first run's
    day if used."""
    first = journal.meta(PLANNED_ON)
    sheet = read_leads(source, today=dt.date.fromisoformat(first) if first else today,
                       settings=read)
    keys = sorted(k for r in sheet.rows if (k := _source_key(r)) is not None)
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()
    same = first is not None and journal.meta(SHEET_KEYS) == digest
    day = dt.date.fromisoformat(first) if same and first else today
    if settings.start is not None and settings.start < day:
        raise UsageError(f"start {settings.start} is in the past (today is {day} "
                         f"in {settings.timezone})")
    done: set[str] = set()
    if not same:
        done = {k for k, r in journal.records().items() if r.state is SendState.SUCCEEDED}
        done |= {k for p in (prior.rows if prior else []) if p.outcome.succeeded
                 and (k := row_key(p.plan)) is not None}
    # What other campaigns created is flagged, not planned: it takes no room.
    elsewhere = {send_key("create", e) for e, s in ledger.sent(
        r.email for r in sheet.rows if r.email and r.action == "create").items()
        if s.campaign != campaign} if not allow_resend else set()
    skipped = done | elsewhere
    own_assistants(sheet.rows, ledger)
    booked = ledger.load(since=day, campaign=campaign, firm_too=same)
    plan = plan_leads([r for r in sheet.rows if _source_key(r) not in skipped], assistants(),
                      settings, today=day, booked=booked)
    planned = iter(plan.rows)
    rows = [unsent(PlanRow(r, RowStatus.PLANNED)) if _source_key(r) in skipped
            else unsent(next(planned), sheet.fields) for r in sheet.rows]
    journal.set_meta(PLANNED_ON, day.isoformat())
    journal.set_meta(SHEET_KEYS, digest)
    return (rows, sheet.headers, plan.start, day if same and day < today else None,
            contract_columns(sheet.fields))


def _source_key(row: SourceRow) -> str | None:
    if row.email is None or row.status is not None:
        return None
    return send_key(row.action, row.email)


def retry_job(results: Path, output: Path | None, *, api: ApiSettings, timezone: str,
              sending: Sending, settings: PlanSettings | None = None,
              assistants: Callable[[], Sequence[Assistant]] | None = None,
              clock: Clock = utc_now) -> JobResult:
    """`leadbatch retry`: re-send failed rows (as edited) and pending rows now due; rows
    that were invalid or unplaceable and whose cells the user fixed are planned (around
    what the ledger has booked) and sent on their day. Its exit code follows `run`'s."""
    out = output or results
    if assistants is not None:
        assistants = functools.cache(assistants)  # asked once; its answer names the defaults
    if not results.exists() and journal_path(results).is_file():
        rebuild_results(results)  # a first run killed before it wrote the workbook
    if workbook_kind(results) == "plan":
        raise UsageError(f"{results} is a plan workbook: send it with "
                         f"`leadbatch run {results} -o RESULTS.xlsx`")
    back = read_back(results)
    if back.kind != "results":
        raise UsageError(f"{results}: not a leadbatch results workbook")
    _check_output(out, None)
    through = sending.through or today_in(timezone, clock)
    campaign = campaign_of(out)
    with open_ledger(api) as ledger, Journal.for_results(out.resolve()) as journal:
        source_journal = journal_path(results)
        if out.resolve() != results.resolve() and source_journal.is_file():
            with Journal(source_journal) as theirs:
                journal.absorb(theirs)  # what the results' own journal knows counts too
        adopt_history(ledger, journal, back.rows, campaign, back.about.get("source", ""))
        mode, start = _mode(back, None), _date(back.about.get("start"))
        about = {**back.about, "through": through.isoformat()}
        journal.set_meta(ABOUT, json.dumps(about))
        rows = ledger_proof(back.rows, ledger, campaign)
        deleted = deleted_rows(rows, ledger, campaign)
        if settings is not None and assistants is not None:
            rows = replan_fixed(rows, ledger, campaign, settings=settings,
                                assistants=assistants, today=through if sending.through
                                else today_in(timezone, clock))
            book(ledger, campaign, rows, settings)
        report = _send(rows, back.headers, api, journal, out, scope="retry", mode=mode,
                       start=start, through=through, sending=sending,
                       claims=LedgerClaims(ledger, campaign, back.about.get("source", "")))
        write_results_workbook(out.resolve(), report.rows, back.headers, about=about,
                               defaults=_known_defaults(assistants))
    return JobResult(report, out, through, deleted=deleted)


def _known_defaults(assistants: Callable[[], Sequence[Assistant]] | None,
                    ) -> dict[str, int | None] | None:
    """Each assistant's default sequence, for the results' sent column, when the run has
    already asked for the assistants (a cached call: no extra API request)."""
    info = getattr(assistants, "cache_info", None)
    if assistants is None or info is None or info().currsize == 0:
        return None
    return {a.email: a.default_schedule_id for a in assistants()}


def carry_over(rows: Sequence[ResultRow], prior: Sequence[ResultRow]) -> list[ResultRow]:
    """Outcomes an existing results workbook records, matched by send key (action and
    email), so rows that moved are still recognised; its succeeded rows are never re-sent."""
    known: dict[str, ResultRow] = {}
    for old in prior:
        key = row_key(old.plan)
        if key is not None and old.outcome.status in (*_DONE, RowStatus.FAILED):
            known.setdefault(key, old)
    out: list[ResultRow] = []
    for row in rows:
        key = row_key(row.plan)
        p = known.get(key) if key and row.plan.status is RowStatus.PLANNED else None
        if p is None:
            out.append(row)
            continue
        plan = row.plan
        if p.outcome.succeeded:  # show what was sent, not what this plan would send
            plan = PlanRow(plan.source, plan.status, p.plan.assistant_email, p.plan.send_date,
                           p.plan.schedule_id, p.plan.schedule_name)
        out.append(replace(row, plan=plan, outcome=p.outcome, recorded=p.outcome.status))
    return out


_DONE = (RowStatus.CREATED, RowStatus.UPDATED, RowStatus.STOPPED)
_SHOWN = (*_DONE, RowStatus.ALREADY_SENT, RowStatus.FAILED, RowStatus.PENDING, RowStatus.INVALID,
          RowStatus.DUPLICATE, RowStatus.UNPLACEABLE)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _send(rows: Sequence[ResultRow], headers: Sequence[str], api: ApiSettings,
          journal: Journal, output: Path, *, scope: Scope, mode: Mode, start: dt.date | None,
          through: dt.date, sending: Sending, claims: LedgerClaims | None = None) -> Report:
    from ..send import LeadsClient  # the HTTP stack loads only when something is sent

    stop = sending.stop or threading.Event()

    async def main() -> Report:
        async with LeadsClient(api, max_connections=max(8, sending.concurrency),
                               timeout=sending.timeout) as client:
            task = asyncio.ensure_future(execute(
                rows, headers, client, journal, through=through, scope=scope, mode=mode,
                start=start, concurrency=sending.concurrency, rate=sending.rate,
                progress=sending.progress, stop=stop, claims=claims,
                retry_command=f"leadbatch retry {output}"))
            if sending.handle_sigint:
                _on_sigint(stop, task, sending.on_stopping)
            return await task

    return asyncio.run(main())


def _on_sigint(stop: threading.Event, task: asyncio.Future[Report],
               told: Callable[[], None] | None) -> None:
    def handler() -> None:
        if stop.is_set():
            task.cancel()  # a second Ctrl-C: stop waiting for the requests in flight
            return
        stop.set()
        if told is not None:
            told()

    # SIGTERM (a cron timeout, `kill`) and SIGHUP (the terminal closed) are Ctrl-C too: the
    # requests in flight finish and the workbook is written. Not on Windows' event loop:
    # there Ctrl-C ends the process, and the journal and ledger still hold.
    loop = asyncio.get_running_loop()
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, handler)


def _check_output(output: Path, source: Path | None) -> None:
    if output.suffix.lower() != ".xlsx":
        raise UsageError(f"-o {output}: the results are an Excel workbook: use a name "
                         "ending in .xlsx")
    if source is not None and output.resolve() == source.resolve():
        raise UsageError(f"-o {output} is the input file: choose another name")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"-o {output}: folder {folder} does not exist")


def _prior(output: Path) -> ReadBack | None:
    """An existing results workbook at -o: what it proves is kept."""
    if not output.exists():
        return None
    if workbook_kind(output) != "results":
        raise UsageError(f"-o {output} exists and is not a leadbatch results workbook: "
                         "choose another name or move it away")
    try:
        return read_back(output)
    except InputFileError as exc:
        raise UsageError(f"-o {output} exists but cannot be read back ({exc.message}): "
                         "choose another name or move it away") from None


def _mode(book: ReadBack, settings: PlanSettings | None) -> Mode:
    mode = book.about.get("mode") or (settings.mode if settings else "release")
    return "sequence" if mode == "sequence" else "release"


def _date(text: str | None) -> dt.date | None:
    """A date of a workbook's settings block; one the user garbled counts as unset."""
    try:
        return iso_date(text)
    except ValueError:
        return None


def _about(source: Path, mode: str, start: dt.date | None, through: dt.date) -> dict[str, str]:
    return {"source": source.name, "mode": mode, "start": start.isoformat() if start else "",
            "through": through.isoformat()}
