"""The sandbox's memory: assistants, leads, tokens, counters and fault dice.

Pure logic with no HTTP in it, guarded by one lock because the server's event loop and a
test's thread read and write it at the same time. What the real 7Targets API would refuse
raises `ApiProblem(status, message)`; the HTTP layer turns it into the answer.

Test hooks, off by default: the hold (`hold`, `release`, `held`) keeps lead calls waiting
inside the sandbox until a test lets them go, and `wait_for` blocks until a condition on
the counters or the hold is true, so that tests wait on events and not on the clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import secrets
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..config import SequenceSpec

LEAD_KEYS = (
    "id", "name", "lastName", "type", "email", "phone", "scheduleId", "scheduleName",
    "assistantId", "nextScheduleTime", "state", "subState", "followup", "customFields",
)  # the seed's answer, in the seed's order
_OPTIONAL_TEXT = ("lastName", "phone", "source", "context", "additionalInformationLine")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SORTABLE = {"id", "name", "emailid", "perDayEmailLimit", "defaultScheduleId"}
DEFAULT_SEQUENCE_NAME = "Recommended"


def utc_now() -> dt.datetime:
    """The sandbox's default wall clock (it dates the leads' nextScheduleTime)."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Faults:
    """Misbehaviour to rehearse against. Shares are probabilities per request (0 to 1)."""

    latency: float = 0.0  # seconds added to every answer
    rate_limit: float = 0.0  # share of API calls answered 429
    retry_after: float = 1.0  # the Retry-After those 429s carry, in seconds
    server_error: float = 0.0  # share of API calls answered 500/502/503
    drop: float = 0.0  # share of API calls whose connection is closed with no answer
    token_lifetime: int = 3600  # expires_in of issued tokens, in seconds
    token_error: float = 0.0  # share of token requests answered 500
    reject_emails: tuple[str, ...] = ()  # emails, or "@domain" suffixes, answered 400
    seed: int | None = None  # same seed, same sequence of faults (for sequential callers)

    def __post_init__(self) -> None:
        for name in ("rate_limit", "server_error", "drop", "token_error"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be a share between 0 and 1")
        if self.latency < 0 or self.retry_after < 0:
            raise ValueError("latency and retry_after must not be negative")
        if self.token_lifetime < 1:
            raise ValueError("token_lifetime must be at least 1 second")

    def updated(self, changes: Mapping[str, Any]) -> Faults:
        """A copy with `changes` (JSON values) applied; ValueError names a bad one."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(f"unknown fault {unknown[0]!r}; known: {', '.join(sorted(known))}")
        try:
            return _FAULTS.validate_python({**dataclasses.asdict(self), **changes})
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValueError(f"{where}: {first['msg']}" if where else first["msg"]) from None


_FAULTS = TypeAdapter(Faults)


class ApiProblem(Exception):
    """An answer other than success, as the real API would give it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Dice:
    """One request's fault decisions, drawn together so a seed replays the same run."""

    rate_limited: bool
    server_error: int | None
    drop: bool


class SandboxState:
    """Assistants, leads (email -> lead), tokens and counters of one sandbox."""

    def __init__(
        self,
        assistants: Sequence[Mapping[str, Any]],
        faults: Faults = Faults(),
        *,
        sequences: Sequence[SequenceSpec] = (),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        """`clock` times tokens; `wall_clock` (aware) dates the leads' nextScheduleTime."""
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)  # notified on every counted change
        self._clock = clock
        self._wall_clock = wall_clock
        self.assistants = [dict(a) for a in assistants]
        self._by_email = {str(a["emailid"]).lower(): a for a in self.assistants}
        self._sequences = tuple(sequences)
        self.faults = faults
        self._rng = random.Random(faults.seed)
        self._leads: dict[str, dict[str, Any]] = {}
        self._post_counts: Counter[str] = Counter()
        self._requests: Counter[str] = Counter()
        self._tokens: dict[str, float] = {}
        self._next_id = 1001
        self._holding = False
        self._passing = 0
        self._held: list[Callable[[], None]] = []  # the wake-ups of the requests held

    # --- what tests and the admin endpoint read -----------------------------------------

    @property
    def leads(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {k: dict(v) for k, v in self._leads.items()}

    @property
    def post_counts(self) -> dict[str, int]:
        """POST /leads the API acted on per email (answered, or dropped after acting)."""
        with self._lock:
            return dict(self._post_counts)

    @property
    def requests(self) -> dict[str, int]:
        """Requests received per path, faulted or not (admin paths excluded)."""
        with self._lock:
            return dict(self._requests)

    @property
    def held(self) -> int:
        """Lead calls waiting at the hold."""
        with self._lock:
            return len(self._held)

    def hold_status(self) -> dict[str, Any]:
        with self._lock:
            return {"holding": self._holding, "passing": self._passing, "held": len(self._held)}

    def wait_for(self, predicate: Callable[[SandboxState], bool], timeout: float) -> bool:
        """Block until `predicate(self)` is true (checked on each counted change: requests,
        leads, the hold); False if `timeout` seconds pass first."""
        with self._changed:
            return self._changed.wait_for(lambda: predicate(self), timeout)

    def snapshot(self) -> dict[str, Any]:
        return {"leads": self.leads, "post_counts": self.post_counts, "requests": self.requests}

    def reset(self) -> None:
        """Forget leads and counters (tokens stay valid)."""
        with self._lock:
            self._leads.clear()
            self._post_counts.clear()
            self._requests.clear()
            self._next_id = 1001
            self._changed.notify_all()

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

    # --- the hold (a test hook) ------------------------------------------------------------

    def hold(self, passing: int = 0) -> None:
        """Hold lead calls from now on (counted and read, not yet acted on) until `release`,
        except the next `passing` ones, which go on as usual."""
        if passing < 0:
            raise ValueError("passing must not be negative")
        with self._lock:
            self._holding, self._passing = True, passing
            self._changed.notify_all()

    def release(self) -> None:
        """Stop holding; every request held goes on."""
        with self._lock:
            self._holding, self._passing = False, 0
            woken, self._held = self._held, []
            self._changed.notify_all()
        for wake in woken:
            wake()

    def enter_hold(self, wake: Callable[[], None]) -> bool:
        """A lead call arrives at the hold: False to go on, True if it is held until
        `wake()` is called (from any thread)."""
        with self._lock:
            if not self._holding:
                return False
            if self._passing > 0:
                self._passing -= 1
                self._changed.notify_all()
                return False
            self._held.append(wake)
            self._changed.notify_all()
            return True

    def leave_hold(self, wake: Callable[[], None]) -> None:
        """A held request that stopped waiting on its own (its task was cancelled)."""
        with self._lock:
            if wake in self._held:
                self._held.remove(wake)
                self._changed.notify_all()

    # --- requests, tokens, dice ----------------------------------------------------------

    def count_request(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1
            self._changed.notify_all()

    def issue_token(self) -> tuple[str, int]:
        lifetime = self.faults.token_lifetime
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = self._clock()
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + lifetime
        return token, lifetime

    def token_valid(self, token: str) -> bool:
        with self._lock:
            expiry = self._tokens.get(token)
            return expiry is not None and self._clock() < expiry

    def issued_tokens(self) -> list[str]:
        """Every token still valid (for tests proving that tokens never leak)."""
        with self._lock:
            return list(self._tokens)

    def expire_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def roll(self) -> Dice:
        with self._lock:
            f, rng = self.faults, self._rng
            rate, error, drop, status = rng.random(), rng.random(), rng.random(), rng.choice((500, 502, 503))
        return Dice(rate < f.rate_limit, status if error < f.server_error else None, drop < f.drop)

    def roll_token_error(self) -> bool:
        with self._lock:
            return self._rng.random() < self.faults.token_error

    # --- the lead calls ------------------------------------------------------------------

    def create_or_assign(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /leads: a new lead, or the existing one with this email, reassigned."""
        email = body.get("email")
        with self._lock:
            if isinstance(email, str) and email.strip():
                self._post_counts[email.strip().lower()] += 1
                self._changed.notify_all()
            fields, assistant = self._checked(body)
            lead = self._leads.get(fields["email"])
            if lead is None:
                lead = {"id": self._next_id, "type": "SALES", "source": "Website"}
                self._next_id += 1
                self._leads[fields["email"]] = lead
            self._apply(lead, fields, assistant, reschedule=True)
            return _public(lead)

    def update(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /leads: by id, else by email; the email itself cannot change."""
        with self._lock:
            fields, assistant = self._checked(body)
            lead = self._find(body, fields["email"])
            reschedule = (
                body.get("scheduleId") is not None
                or body.get("scheduleName") is not None
                or lead["assistantId"] != assistant.get("id")
            )
            self._apply(lead, fields, assistant, reschedule=reschedule)
            return _public(lead)

    def stop_followup(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """PUT /leads/stop/followup: no more emails for this lead."""
        with self._lock:
            fields, _ = self._checked(body)
            lead = self._find(body, fields["email"])
            lead["nextScheduleTime"] = None
            self._changed.notify_all()
            return _public(lead)

    def assistant_page(self, search: str, page: int, size: int, sort: str) -> list[dict[str, Any]]:
        """GET /leads/assistant: one page of the (filtered, sorted) assistants."""
        needle = search.strip().lower()
        items = [
            a for a in self.assistants
            if not needle
            or needle in str(a.get("name") or "").lower()
            or needle in str(a.get("emailid") or "").lower()
        ]
        field, _, direction = sort.partition(",")
        descending = direction.strip().lower() == "desc"
        field = field.strip()
        if field in ("", "lastModifiedDate"):
            # The seed lists the most recently modified first: keep the file's order.
            items = items if descending or not field else items[::-1]
        elif field in _SORTABLE:
            present = [a for a in items if a.get(field) is not None]
            missing = [a for a in items if a.get(field) is None]
            items = sorted(present, key=lambda a: a[field], reverse=descending) + missing
        else:
            raise ApiProblem(400, f"No property '{field}' found for type 'Assistant'")
        return [dict(a) for a in items[page * size : (page + 1) * size]]

    # --- helpers (called with the lock held) ---------------------------------------------

    def _checked(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], Mapping[str, Any]]:
        for name in ("name", "email", "assistantEmail"):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                raise ApiProblem(400, f"{name} is mandatory")
        email = body["email"].strip().lower()
        if not _EMAIL.match(email):
            raise ApiProblem(400, f"Invalid email address: {email}")
        for rule in self.faults.reject_emails:
            rule = rule.strip().lower()
            if rule and (email == rule or (rule.startswith("@") and email.endswith(rule))):
                raise ApiProblem(400, f"Lead email {email} is not accepted (blocked address)")
        assistant = self._by_email.get(body["assistantEmail"].strip().lower())
        if assistant is None:
            raise ApiProblem(400, f"No assistant found with email {body['assistantEmail'].strip()}")
        fields: dict[str, Any] = {"name": body["name"].strip(), "email": email}
        for name in _OPTIONAL_TEXT:
            value = body.get(name)
            if value is not None and not isinstance(value, str):
                raise ApiProblem(400, f"{name} must be text")
            if value is not None:
                fields[name] = value
        schedule_id = body.get("scheduleId")
        if schedule_id is not None and (isinstance(schedule_id, bool) or not isinstance(schedule_id, int)):
            raise ApiProblem(400, "scheduleId must be a number")
        schedule_name = body.get("scheduleName")
        if schedule_name is not None and not isinstance(schedule_name, str):
            raise ApiProblem(400, "scheduleName must be text")
        custom = body.get("customFields")
        if custom is not None:
            if not isinstance(custom, list) or not all(
                isinstance(c, dict) and isinstance(c.get("name"), str) for c in custom
            ):
                raise ApiProblem(400, "customFields must be a list of {name, value} objects")
            fields["customFields"] = [{"name": c["name"], "value": c.get("value")} for c in custom]
        fields["_schedule"] = self._schedule(schedule_id, schedule_name, assistant)
        return fields, assistant

    def _schedule(
        self, schedule_id: int | None, name: str | None, assistant: Mapping[str, Any]
    ) -> tuple[int | None, str, int]:
        """(id, name, first-step delay in days) of the lead's sequence, as the seed resolves it."""
        by_id = {s.id: s for s in self._sequences if s.id is not None}
        by_name = {s.name: s for s in self._sequences if s.name is not None}
        if schedule_id is not None:
            spec = by_id.get(schedule_id)
            if spec is None and self._sequences:
                raise ApiProblem(400, f"No sequence found with id {schedule_id}")
            return schedule_id, (spec and spec.name) or name or f"Sequence {schedule_id}", spec.delay if spec else 0
        if name is not None:
            spec = by_name.get(name)  # case sensitive, like the real API
            if spec is None and self._sequences:
                raise ApiProblem(400, f"No sequence found with name '{name}'")
            sid = spec.id if spec and spec.id is not None else 1000 + zlib.crc32(name.encode()) % 9000
            return sid, name, spec.delay if spec else 0
        default = assistant.get("defaultScheduleId")
        spec = by_id.get(default) if isinstance(default, int) else None
        return default, (spec and spec.name) or DEFAULT_SEQUENCE_NAME, spec.delay if spec else 0

    def _find(self, body: Mapping[str, Any], email: str) -> dict[str, Any]:
        lead_id = body.get("id")
        if lead_id is None:
            lead = self._leads.get(email)
        elif isinstance(lead_id, bool) or not isinstance(lead_id, int):
            raise ApiProblem(400, "id must be a number")
        else:
            lead = next((x for x in self._leads.values() if x["id"] == lead_id), None)
            if lead is not None and lead["email"] != email:
                raise ApiProblem(400, "Email id cannot be updated")
        if lead is None:
            raise ApiProblem(404, "Lead not found")
        return lead

    def _apply(
        self, lead: dict[str, Any], fields: dict[str, Any], assistant: Mapping[str, Any], *, reschedule: bool
    ) -> None:
        schedule_id, schedule_name, delay = fields.pop("_schedule")
        lead.update(fields)
        lead["assistantEmail"] = str(assistant["emailid"]).lower()
        lead["assistantId"] = assistant.get("id")
        lead.setdefault("customFields", [])
        lead.update(state="Cold", subState="Followup", followup=1)
        self._changed.notify_all()
        if reschedule or "scheduleId" not in lead:
            now = self._wall_clock().astimezone(dt.UTC).replace(microsecond=0)
            lead["scheduleId"], lead["scheduleName"] = schedule_id, schedule_name
            lead["nextScheduleTime"] = (now + dt.timedelta(days=delay)).isoformat()


def _public(lead: Mapping[str, Any]) -> dict[str, Any]:
    return {k: lead.get(k) for k in LEAD_KEYS}
