"""A run's rows against the account's ledger: what the ledger proves was sent, what earlier
campaigns already created, rows whose day passed without a run, and the emails each row
books per assistant-day. A campaign is one results workbook, by its resolved path.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from ..config import ApiSettings, PlanSettings
from ..models import Assistant, Outcome, PlanRow, ResultRow, RowError, RowStatus, SourceRow, unsent
from ..models import iso_date as iso_or_none
from ..plan import SendingCalendar, effective_limit, email_days, plan_leads
from ..send import (
    Booking,
    ClaimState,
    Journal,
    Ledger,
    SendState,
    account_of,
    claim_key,
    default_ledger_path,
)
from ..send import (
    LedgerSent as Sent,
)


def open_ledger(api: ApiSettings) -> Ledger:
    """The ledger of the account `api` names (LEADBATCH_LEDGER, else the data folder)."""
    return Ledger(default_ledger_path(api.api_url, api.user_identifier),
                  account_of(api.api_url, api.user_identifier))


def campaign_of(results: Path) -> str:
    """A campaign's name: its results workbook's real path, so a symlink or another
    spelling of the path is the same campaign (and the same journal)."""
    return str(results.resolve())


def adopt_history(ledger: Ledger, journal: Journal, prior: Sequence[ResultRow],
                  campaign: str, source: str) -> None:
    """What this results workbook's own journal and cells prove (sends made before the
    ledger, or by an older leadbatch): into the ledger, so no history is lost."""
    found: dict[str, dict[str, object]] = {}
    for record in journal.records().values():
        if record.state in (SendState.SUCCEEDED, SendState.FAILED):
            found[record.key] = {
                "action": record.action, "email": record.email, "campaign": campaign,
                "state": "succeeded" if record.state is SendState.SUCCEEDED else "failed",
                "source": source, "row": record.row, "assistant_email": record.assistant_email,
                "lead_id": record.lead_id, "http_status": record.http_status,
                "attempts": record.attempts, "error": record.error, "sent_at": record.sent_at}
    for row in prior:
        src = row.plan.source
        if row.outcome.succeeded and src.email and f"{src.action}:{src.email}" not in found:
            found[f"{src.action}:{src.email}"] = {
                "action": src.action, "email": src.email, "campaign": campaign,
                "state": "succeeded", "source": source, "row": row.row,
                "assistant_email": row.plan.assistant_email, "lead_id": row.outcome.lead_id,
                "http_status": row.outcome.http_status, "attempts": row.outcome.attempts,
                "error": "", "sent_at": row.outcome.sent_at}
    if found:
        ledger.adopt(found.values())


def own_assistants(rows: Sequence[SourceRow], ledger: Ledger) -> None:
    """Update and stop rows that name no assistant get the one the ledger knows the lead
    has: the API reassigns a lead to whichever assistant a PUT names."""
    updates = [r for r in rows if r.status is None and r.action != "create" and r.email]
    if not updates:
        return
    known = ledger.sent(r.email for r in updates if r.email)
    for row in updates:
        sent = known.get(row.email or "")
        if sent is None or not sent.assistant_email:
            continue
        if not row.assistant_email and not row.assistant_name:
            row.set_field("assistant_email", sent.assistant_email)
        elif row.action == "update" and row.assistant_email \
                and row.assistant_email != sent.assistant_email:
            # A deliberate move: it takes room on the new assistant as a new lead would.
            row.set_field("moves_from", sent.assistant_email)
            row.warnings.append(RowError(row.row, None, f"moves from {sent.assistant_email} to "
                                         f"{row.assistant_email}: counted as a new lead there "
                                         "(its followups restart)"))


def ledger_proof(rows: Sequence[ResultRow], ledger: Ledger, campaign: str) -> list[ResultRow]:
    """Rows this campaign created, as the ledger knows them. A row fixed in the workbook
    and sent by `retry` stays created with the address it was sent with, whatever an older
    plan of the same row says: no command moves a row backwards."""
    by_row = ledger.by_row(campaign)
    emails = {r.plan.source.email for r in rows}
    out: list[ResultRow] = []
    for row in rows:
        sent = by_row.get(row.row)
        src = row.plan.source
        if sent is not None and src.email == sent.email and row.recorded is not None:
            row = _edits_kept(row, sent)
        if (sent is None or row.outcome.succeeded or row.plan.status is not RowStatus.PLANNED
                or src.action != "create" or src.email is None or src.email == sent.email
                or sent.email in emails or not _failed_here(ledger, src.email, campaign, row.row)):
            out.append(row)  # rows that moved in an edited sheet are not this case
            continue
        src.set_field("email", sent.email)
        plan = replace(row.plan, assistant_email=sent.assistant_email or row.plan.assistant_email)
        out.append(replace(row, plan=plan, outcome=Outcome(
            RowStatus.CREATED, lead_id=sent.lead_id, http_status=sent.http_status,
            attempts=sent.attempts, sent_at=sent.sent_at), recorded=RowStatus.CREATED))
    return out


def _edits_kept(row: ResultRow, sent: Sent) -> ResultRow:
    """A results workbook's edits leadbatch cannot honour (a leadId, the status of a lead
    that was created): the ledger's value is kept, and the row says so."""
    notes: list[str] = []
    outcome = row.outcome
    if outcome.lead_id is not None and sent.lead_id is not None and outcome.lead_id != sent.lead_id:
        notes.append(f"leadId {outcome.lead_id} is not the lead this row created "
                     f"({sent.lead_id}): {sent.lead_id} is kept")
    if row.recorded in _BACKWARDS:
        notes.append(f"status {row.recorded.value}: this row's lead was created "
                     f"{(sent.sent_at or '')[:10]}; it stays created")
    if not notes:
        return row
    for note in notes:
        row.plan.source.warnings.append(RowError(row.row, None, note))
    return replace(row, outcome=Outcome(RowStatus.CREATED, lead_id=sent.lead_id,
                                        http_status=sent.http_status, attempts=sent.attempts,
                                        sent_at=sent.sent_at), recorded=RowStatus.CREATED)


def deleted_rows(rows: Sequence[ResultRow], ledger: Ledger, campaign: str) -> list[int]:
    """Rows this campaign created that are gone from its workbook: the ledger still has
    them (`leadbatch ledger`), and the summary says so rather than forget them."""
    present = {r.row for r in rows}
    return sorted(n for n in ledger.by_row(campaign) if n is not None and n not in present)


def _failed_here(ledger: Ledger, email: str, campaign: str, row: int) -> bool:
    """This row's address failed in this campaign: the row the user fixed and retried."""
    found = ledger.get(claim_key("create", email, campaign))
    return (found is not None and found.state is ClaimState.FAILED
            and found.campaign == campaign and found.row == row)


def already_sent(rows: Sequence[ResultRow], ledger: Ledger, campaign: str) -> list[ResultRow]:
    """Create rows whose lead an earlier campaign created: flagged, not created again."""
    emails = [r.plan.source.email for r in rows if r.plan.status is RowStatus.PLANNED
              and not r.outcome.succeeded and r.plan.source.action == "create"
              and r.plan.source.email]
    elsewhere = {e: s for e, s in ledger.sent(e for e in emails if e).items()
                 if s.campaign != campaign}
    out: list[ResultRow] = []
    for row in rows:
        src = row.plan.source
        sent = elsewhere.get(src.email or "") if row.plan.status is RowStatus.PLANNED \
            and not row.outcome.succeeded and src.action == "create" else None
        if sent is None:
            out.append(row)
            continue
        when = (sent.sent_at or "")[:10]
        why = (f"already sent{' on ' + when if when else ''} by {Path(sent.campaign).name}"
               f"{f' (lead {sent.lead_id})' if sent.lead_id else ''}: not created again; to "
               f"send it anyway: leadbatch ledger forget {src.email}")
        plan = replace(row.plan, status=RowStatus.ALREADY_SENT, error=why)
        out.append(replace(row, plan=plan, outcome=Outcome(RowStatus.ALREADY_SENT, why)))
    return out


def resend(rows: Sequence[ResultRow], ledger: Ledger, campaign: str) -> list[ResultRow]:
    """--allow-resend: the ledger forgets what earlier campaigns created of these leads,
    so they are created again."""
    for email in {e for e, s in ledger.sent(
            r.plan.source.email for r in rows if r.plan.status is RowStatus.PLANNED
            and r.plan.source.action == "create" and r.plan.source.email).items()
            if s.campaign != campaign}:
        ledger.forget(email)
    return list(rows)


def replan_overdue(rows: Sequence[ResultRow], ledger: Ledger, campaign: str, *,
                   settings: PlanSettings, assistants: Callable[[], Sequence[Assistant]],
                   today: dt.date) -> list[ResultRow]:
    """Rows planned on a day that passed without a run (cron missed it, the machine was
    off), and rows planned on a day that other campaigns have since filled past an
    assistant's limit: planned again onto the earliest days with room from today, around
    every other booked email, so they are never sent on top of a day's load. A pinned
    day is moved too, and the row says so. (This campaign's rows are booked first.)"""
    waiting = [i for i, r in enumerate(rows) if r.plan.status is RowStatus.PLANNED
               and not r.outcome.succeeded and r.outcome.status is RowStatus.PENDING
               and r.plan.send_date is not None and r.plan.source.action == "create"]
    if not waiting:
        return list(rows)
    full = _over_limit(ledger, settings, assistants, today)
    late = [i for i in waiting if _late(rows[i].plan, today, full)]
    if not late:
        return list(rows)
    booked = ledger.load(since=today, campaign=campaign, rows=[rows[i].row for i in late])
    was = {rows[i].row: rows[i].plan.send_date for i in late}
    sources = []
    for i in late:
        src = rows[i].plan.source
        if src.send_date is not None:
            src.set_field("send_date", None)
        sources.append(src)
    plan = plan_leads(sources, assistants(), _from_today(settings, today), today=today,
                      booked=booked)
    out = list(rows)
    for i, planned in zip(late, plan.rows, strict=True):
        day = was[planned.row]
        why = "a day no run sent it" if day is not None and day < today else \
            "a day other campaigns have since filled"
        moved = f"planned for {day}, {why}: "
        moved += f"moved to {planned.send_date}" if planned.send_date else "not placed"
        planned.source.warnings.append(RowError(planned.row, None, moved))
        out[i] = unsent(planned)
    return out


def _late(plan: PlanRow, today: dt.date, full: set[tuple[str | None, dt.date | None]]) -> bool:
    day = plan.send_date
    return day is not None and (day < today or (plan.assistant_email, day) in full)


def _over_limit(ledger: Ledger, settings: PlanSettings,
                assistants: Callable[[], Sequence[Assistant]], today: dt.date
                ) -> set[tuple[str | None, dt.date | None]]:
    """The assistant-days from today on whose booked emails are over the limit."""
    limits = {a.email: effective_limit(a, settings) for a in assistants()}
    return {(email, day) for (email, day), n in ledger.load(since=today).items()
            if email in limits and n > limits[email]}


def replan_fixed(rows: Sequence[ResultRow], ledger: Ledger, campaign: str, *,
                 settings: PlanSettings, assistants: Callable[[], Sequence[Assistant]],
                 today: dt.date) -> list[ResultRow]:
    """Rows a workbook shows invalid or unplaceable whose cells now read as a lead (the
    user fixed them): planned from today around everything booked, to be sent on their
    day within the limits."""
    fixed = [i for i, r in enumerate(rows) if r.recorded in _FIXABLE
             and r.plan.source.status is None and not r.outcome.succeeded]
    if not fixed:
        return list(rows)
    booked = ledger.load(since=today, campaign=campaign, rows=[rows[i].row for i in fixed])
    sources = [rows[i].plan.source for i in fixed]
    again = _from_today(settings, today)
    plan = plan_leads(sources, assistants(), again, today=today, booked=booked)
    out = list(rows)
    for i, planned in zip(fixed, plan.rows, strict=True):
        out[i] = replace(unsent(planned), recorded=RowStatus.PENDING)  # now in retry's scope
    return out


def _from_today(settings: PlanSettings, today: dt.date) -> PlanSettings:
    """The settings for rows planned again: from today (or a start still ahead), up to
    an end still ahead."""
    start = settings.start if settings.start and settings.start > today else None
    end = settings.end if settings.end and settings.end >= (start or today) else None
    return settings.model_copy(update={"start": start, "end": end})


def settings_of_plan(about: Mapping[str, str], settings: PlanSettings) -> PlanSettings:
    """The limits and calendar a plan workbook was made with (its Summary lists them),
    for rows of it planned again: a plan is sent as planned, not with today's flags."""
    update: dict[str, object] = {}
    with contextlib.suppress(ValueError):
        update["start"] = iso_or_none(about.get("start"))
    per_day = about.get("max per day", "")
    update["max_per_day"] = int(per_day) if per_day.isdecimal() else None
    with contextlib.suppress(ValueError):
        update["headroom"] = float(about.get("headroom", ""))
    if about.get("sending days"):
        update["days"] = tuple(about["sending days"].split(","))
    holidays = about.get("holidays", "")
    update["holidays"] = holidays if holidays and holidays != "none" else None
    try:
        return PlanSettings.model_validate({**settings.model_dump(), **update})
    except ValueError:
        return settings  # an edited Summary: today's settings are the best left


# Statuses a results workbook may show for a created row only if the user typed them.
_BACKWARDS = frozenset({RowStatus.FAILED, RowStatus.PENDING, RowStatus.INVALID,
                        RowStatus.UNPLACEABLE, RowStatus.DUPLICATE})
_FIXABLE = frozenset({RowStatus.INVALID, RowStatus.UNPLACEABLE})


def booked_days(row: ResultRow, calendar: SendingCalendar, settings: PlanSettings
                ) -> tuple[tuple[dt.date, int], ...] | None:
    """The (day, emails) a row books: a sent create (or move) row, or one planned and
    still pending; None for a row that books nothing."""
    plan, src = row.plan, row.plan.source
    live = row.outcome.succeeded or (plan.status is RowStatus.PLANNED
                                     and row.outcome.status is RowStatus.PENDING)
    if (not live or (src.action != "create" and not src.moves_from) or plan.send_date is None
            or plan.assistant_email is None or src.email is None):
        return None
    return email_days(calendar, settings, plan.send_date, plan.schedule_id, plan.schedule_name)


def book(ledger: Ledger, campaign: str, rows: Sequence[ResultRow], settings: PlanSettings
         ) -> None:
    """Book every row's emails: sent rows firmly, planned rows until planned again, and
    drop what rows no longer to be sent booked."""
    calendar = SendingCalendar.from_settings(settings)
    bookings: list[Booking] = []
    gone: list[int] = []
    for row in rows:
        plan, src = row.plan, row.plan.source
        days = booked_days(row, calendar, settings)
        if days is None or src.email is None or plan.assistant_email is None:
            gone.append(row.row)
            continue
        bookings.append(Booking(row.row, src.email, plan.assistant_email, days,
                                firm=row.outcome.succeeded))
    ledger.unbook(campaign, gone)
    ledger.book(campaign, bookings)



def ledger_tables(api: ApiSettings, email: str | None = None
                  ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """`leadbatch ledger`: (emails per day and assistant, past and planned, followups
    included; every send, or those to `email`)."""
    with open_ledger(api) as ledger:
        days: list[dict[str, object]] = [{"day": d.isoformat(), "assistant": a, "sent": firm, "planned": planned}
                for a, d, firm, planned in ledger.days()]
        sends: list[dict[str, object]] = [{"email": s.email, "action": s.action, "state": s.state.value,
                  "assistant": s.assistant_email or "", "leadId": s.lead_id,
                  "sentAt": s.sent_at or "", "results": s.campaign, "row": s.row,
                  "source": s.source, "error": s.error} for s in ledger.sends(email)]
    return days, sends


def forget_sends(api: ApiSettings, email: str) -> int:
    """`leadbatch ledger forget EMAIL`: a deliberate re-send; how many sends were forgotten."""
    with open_ledger(api) as ledger:
        return ledger.forget(email)


def write_ledger_workbook(path: Path, days: Sequence[dict[str, object]],
                          sends: Sequence[dict[str, object]]) -> Path:
    from ..workbook import SheetSpec, write_workbook

    def sheet(name: str, table: Sequence[dict[str, object]], headers: list[str]) -> SheetSpec:
        return SheetSpec(name=name, headers=headers,
                         rows=[[_cell(r.get(h)) for h in headers] for r in table])

    return write_workbook(path, [
        sheet("Days", days, ["day", "assistant", "sent", "planned"]),
        sheet("Sends", sends, ["email", "action", "state", "assistant", "leadId", "sentAt",
                               "results", "row", "source", "error"])])


def _cell(value: object) -> str | int | None:
    return value if isinstance(value, int | str) or value is None else str(value)
