"""The data every stage shares: leads, assistants, row errors, plan rows, outcomes.

Pydantic models parse at the edges (the reader, the API client, the assistants file) so
that the planner and executor only ever see valid values. Python attribute names are
snake_case; the API's camelCase names are the aliases, and `Lead.api_body()` produces the
exact JSON body the 7Targets API expects, with no nulls for absent optional fields.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

# The template's example row: the reader refuses it, so it is never sent by accident.
TEMPLATE_EXAMPLE_EMAIL: Final = "john.doe@example.com"

# The largest id the API (a Java long) and SQLite (a signed 64-bit INTEGER) can hold. An id
# past it, typed into a sheet or sent back by a server, is the row's error or failure.
MAX_ID: Final = 2**63 - 1
ApiId = Annotated[int, Field(ge=-MAX_ID - 1, le=MAX_ID)]

Action = Literal["create", "update", "stop"]
ACTIONS: tuple[Action, ...] = ("create", "update", "stop")


def iso_date(value: object) -> dt.date | None:
    """The day leadbatch itself wrote (YYYY-MM-DD, or a datetime's first ten characters),
    or a date a spreadsheet gives back as one; None for a blank. ValueError otherwise:
    each caller says what a bad one means where it is read."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = "" if value is None else str(value).strip()
    return dt.date.fromisoformat(text[:10]) if text else None


class RowStatus(enum.StrEnum):
    """Every status a row can have in a plan or results workbook."""

    PLANNED = "planned"
    PENDING = "pending"  # planned after --through: sent by a later run
    CREATED = "created"
    UPDATED = "updated"
    STOPPED = "stopped"
    FAILED = "failed"
    INVALID = "invalid"
    UNPLACEABLE = "unplaceable"
    DUPLICATE = "duplicate"
    ALREADY_SENT = "already sent"  # created by an earlier campaign (the ledger): not again

    @property
    def succeeded(self) -> bool:
        """A row with this status must never be sent again."""
        return self in SUCCEEDED


SUCCEEDED = frozenset({RowStatus.CREATED, RowStatus.UPDATED, RowStatus.STOPPED})
SUCCESS_FOR_ACTION: dict[str, RowStatus] = {
    "create": RowStatus.CREATED,
    "update": RowStatus.UPDATED,
    "stop": RowStatus.STOPPED,
}


class _ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, extra="ignore"
    )


class CustomField(_ApiModel):
    name: str
    value: str


class Lead(_ApiModel):
    """One lead as leadbatch understands it: the API's fields plus our own planning fields.

    `send_date`, `action` are leadbatch's; `id` is the 7Targets lead id (update/stop).
    `assistant_email` may be absent here: the planner assigns one before sending.
    """

    name: str = Field(min_length=1)
    email: str = Field(min_length=3)
    last_name: str | None = None
    phone: str | None = None
    source: str | None = None
    context: str | None = None
    additional_information_line: str | None = None
    assistant_email: str | None = None
    schedule_id: ApiId | None = None
    schedule_name: str | None = None
    custom_fields: tuple[CustomField, ...] = ()
    send_date: dt.date | None = None
    action: Action = "create"
    id: ApiId | None = None

    @field_validator("email", "assistant_email")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.strip().lower() if isinstance(v, str) else v

    def api_body(self, **overrides: Any) -> dict[str, Any]:
        """The JSON body for POST/PUT /leads: camelCase, no None, no leadbatch-only fields.

        `overrides` (python names) replace fields, e.g. the planner's assistant and sequence.
        """
        lead = self.model_copy(update=overrides) if overrides else self
        exclude = {"send_date", "action"}
        if lead.action == "create":
            exclude.add("id")  # POST creates or assigns by email; an id has no meaning there
        if lead.action == "stop":
            exclude.add("custom_fields")  # the stop call documents no custom fields
        body = lead.model_dump(by_alias=True, exclude_none=True, exclude=exclude, mode="json")
        if not body.get("customFields"):
            body.pop("customFields", None)
        return body


class Assistant(_ApiModel):
    """An AI Sales Assistant as GET /leads/assistant returns it (fields we use, plus id/name)."""

    id: ApiId | None = None
    name: str | None = None
    email: str = Field(alias="emailid", min_length=3)
    per_day_email_limit: int = Field(ge=0, le=MAX_ID)
    default_schedule_id: ApiId | None = None
    organisation_id: ApiId | None = None
    description: str | None = None
    role: str | None = None
    default_schedule_id_for_email_cc: ApiId | None = Field(
        default=None, alias="defaultScheduleIdForEmailCC"
    )

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.strip().lower()


class LeadResult(_ApiModel):
    """What the API answered for one lead (201 / 200)."""

    id: ApiId | None = None
    email: str | None = None
    next_schedule_time: str | None = None
    schedule_id: ApiId | None = None
    schedule_name: str | None = None
    assistant_id: ApiId | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: the spreadsheet's own row number (header = 1) and column."""

    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ColumnRowError(RowError):
    """A row's share of one problem of its whole column (its dates read either way):
    shown on the row in workbooks, and said once for the column, not once a row."""


class SourceRow:
    """One data row of the input sheet, as read.

    `values` maps each of the sheet's own headers to the cleaned cell text (blank cells
    as ""), so output workbooks can repeat the input's own columns. `lead` is None when
    the row is invalid; `errors` then says why. `duplicate_of` is the row number of the
    earlier row with the same email. `warnings` are what was used with a caveat (a phone
    sent as written, NUL bytes removed): they never cost the lead.

    The reader checks every field itself (`leadbatch.cells`) and hands over the parsed
    values as `fields` (Lead field names; custom fields come from the `custom` columns of
    `values`); the pydantic `Lead` is built from them when asked for, i.e. when a row is
    sent. Holding a Lead per row cost 1.4 KB and 7 µs a row: a third of a 100,000-row
    plan's memory. The planner and workbooks read the few fields they need directly
    (`email`, `action`, `send_date`...). A row may also be made from a `lead` directly.
    """

    __slots__ = ("_custom", "_fields", "_lead", "duplicate_of", "errors", "row", "values",
                 "warnings")

    def __init__(
        self,
        row: int,
        values: dict[str, str],
        lead: Lead | None = None,
        errors: list[RowError] | None = None,
        duplicate_of: int | None = None,
        *,
        fields: dict[str, Any] | None = None,
        custom: tuple[str, ...] = (),
        warnings: list[RowError] | None = None,
    ) -> None:
        self.row = row
        self.warnings: list[RowError] = [] if warnings is None else warnings
        self.values = values
        self.errors: list[RowError] = [] if errors is None else errors
        self.duplicate_of = duplicate_of
        self._lead = lead
        self._fields = dict(lead) if lead is not None else fields
        self._custom = custom

    @property
    def lead(self) -> Lead | None:
        """The row's lead, validated (None for an invalid row)."""
        if self._lead is not None or self._fields is None:
            return self._lead
        fields = self._fields
        if self._custom and "custom_fields" not in fields:
            values = self.values
            custom = [CustomField(name=h, value=v) for h in self._custom if (v := values[h])]
            if custom:
                return Lead(**fields, custom_fields=custom)
        return Lead(**fields)

    @property
    def email(self) -> str | None:
        return self._fields.get("email") if self._fields else None

    @property
    def name(self) -> str | None:
        return self._fields.get("name") if self._fields else None

    @property
    def action(self) -> Action:
        action: Action = (self._fields.get("action") if self._fields else None) or "create"
        return action

    @property
    def send_date(self) -> dt.date | None:
        return self._fields.get("send_date") if self._fields else None

    @property
    def assistant_email(self) -> str | None:
        return self._fields.get("assistant_email") if self._fields else None

    @property
    def schedule_id(self) -> int | None:
        return self._fields.get("schedule_id") if self._fields else None

    @property
    def schedule_name(self) -> str | None:
        return self._fields.get("schedule_name") if self._fields else None

    @property
    def assistant_name(self) -> str | None:
        """An Assistant cell that holds a name, not an email: the planner resolves it."""
        return self._fields.get("assistant_name") if self._fields else None

    @property
    def moves_from(self) -> str | None:
        """An update row that names another assistant than the lead has: the one it has."""
        return self._fields.get("moves_from") if self._fields else None

    def set_field(self, name: str, value: Any) -> None:
        """Set a checked field the reader could only decide after the whole sheet was read
        (a send date whose column decides its day/month order)."""
        if self._fields is not None:
            self._fields[name] = value
            self._lead = None

    def fail(self, error: RowError) -> None:
        """Make the row invalid with `error` (a check that needed more than the row)."""
        self.errors.append(error)
        self._fields, self._lead = None, None

    @property
    def checked(self) -> dict[str, Any] | None:
        """The checked fields (Lead field names), None for an invalid row: for writers
        that read several, once a row of a big sheet. Not to be changed."""
        return self._fields

    @property
    def custom_headers(self) -> tuple[str, ...]:
        """The headers of the sheet's columns sent as custom fields."""
        return self._custom

    @property
    def has_lead(self) -> bool:
        return self._fields is not None

    def replace(self, **changes: Any) -> SourceRow:
        """A copy with `changes` (row, values, errors, warnings, duplicate_of, action) applied."""
        fields = self._fields
        if "action" in changes and fields is not None:
            fields = {**fields, "action": changes.pop("action")}
        copy = SourceRow(
            changes.pop("row", self.row),
            changes.pop("values", self.values),
            None,
            changes.pop("errors", self.errors),
            changes.pop("duplicate_of", self.duplicate_of),
            fields=fields,
            custom=self._custom,
            warnings=changes.pop("warnings", self.warnings),
        )
        if changes:
            raise TypeError(f"SourceRow.replace: unknown fields {sorted(changes)}")
        if self._lead is not None and fields is self._fields:
            copy._lead = self._lead
        return copy

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SourceRow):
            return NotImplemented
        return (self.row, self.values, self.errors, self.duplicate_of, self.lead) == (
            other.row, other.values, other.errors, other.duplicate_of, other.lead)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __repr__(self) -> str:
        return (f"SourceRow(row={self.row!r}, values={self.values!r}, lead={self.lead!r}, "
                f"errors={self.errors!r}, duplicate_of={self.duplicate_of!r})")

    @property
    def status(self) -> RowStatus | None:
        """INVALID / DUPLICATE for rows that must not be planned, else None."""
        if self.errors or self._fields is None:
            return RowStatus.INVALID
        if self.duplicate_of is not None:
            return RowStatus.DUPLICATE
        return None

    @property
    def warning_text(self) -> str:
        return "; ".join((f"{w.column}: {w.message}" if w.column else w.message)
                         for w in self.warnings)

    @property
    def error_text(self) -> str:
        if self.errors:
            return "; ".join(
                (f"{e.column}: {e.message}" if e.column else e.message) for e in self.errors
            )
        if self.duplicate_of is not None:
            return f"duplicate of row {self.duplicate_of} (same email)"
        return ""


@dataclass(slots=True)
class PlanRow:
    """The plan's decision for one input row.

    For a planned row `assistant_email` and `send_date` are set and the sequence is
    `schedule_id` / `schedule_name` (both None: the assistant's default sequence).
    Rows that are not planned carry their status and `error`.
    """

    source: SourceRow
    status: RowStatus
    assistant_email: str | None = None
    send_date: dt.date | None = None
    schedule_id: int | None = None
    schedule_name: str | None = None
    error: str = ""

    @property
    def row(self) -> int:
        return self.source.row

    @property
    def lead(self) -> Lead | None:
        return self.source.lead

    def api_body(self) -> dict[str, Any]:
        """The body to send for this row: the lead with the plan's assistant and sequence."""
        lead = self.lead
        if lead is None:
            raise ValueError(f"row {self.row} has no valid lead to send")
        overrides: dict[str, Any] = {"assistant_email": self.assistant_email}
        if self.schedule_id is not None or self.schedule_name is not None:
            overrides["schedule_id"] = self.schedule_id
            overrides["schedule_name"] = self.schedule_name
        return lead.api_body(**overrides)


@dataclass
class Outcome:
    """What became of one row: its results status and what the API answered."""

    status: RowStatus
    error: str = ""
    lead_id: int | None = None
    next_schedule_time: str | None = None
    http_status: int | None = None
    attempts: int = 0
    sent_at: str | None = None

    @property
    def succeeded(self) -> bool:
        """True when this row must never be sent again (its leadId is proof enough)."""
        return self.status in SUCCEEDED or self.lead_id is not None


@dataclass
class ResultRow:
    """One input row: the plan's decision and its outcome (so far)."""

    plan: PlanRow
    outcome: Outcome
    echo: dict[str, str] = field(default_factory=dict)  # email/name of rows without a lead
    recorded: RowStatus | None = None  # the status a workbook read back showed

    @property
    def row(self) -> int:
        return self.plan.row


def unsent(plan: PlanRow, fields: dict[str, str] | None = None) -> ResultRow:
    """A row as the plan left it: planned rows are `pending` until a send succeeds.

    `fields` (a LeadSheet's header -> field map) lets a row without a valid lead still
    show its email and name.
    """
    status = RowStatus.PENDING if plan.status is RowStatus.PLANNED else plan.status
    echo: dict[str, str] = {}
    if not plan.source.has_lead and fields:
        for header, name in fields.items():
            if name in ("email", "name", "action") and name not in echo:
                echo[name] = plan.source.values.get(header, "")
    return ResultRow(plan, Outcome(status, error=plan.error), echo)
