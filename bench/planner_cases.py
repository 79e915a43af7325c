"""The planner against today's greedy and the bound (issue 14): instances with mixed
limits, 1-8 step sequences, pins, per-company caps and ramp-up, each planned by the
optimiser (`leadbatch.plan`) and by the pre-issue-14 greedy (`bench/greedy`). The bound
is the optimiser's own proof: the earliest last first-email day the linear program
allows (a true lower bound: no plan, integer or not, ends earlier).

Also the planning time of 100,000 leads over 20 assistants with a 4-step sequence,
in-process, median of a few runs (the issue's target: at most 2 s).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from leadbatch.config import AssistantRules, PlanSettings
from leadbatch.models import Assistant, Lead, PlanRow, RowStatus, SourceRow
from leadbatch.plan import Plan, SendingCalendar, plan_leads

from .greedy import plan_leads as greedy_plan

MON = dt.date(2027, 1, 4)


@dataclass
class Instance:
    name: str
    rows: list[SourceRow]
    team: list[Assistant]
    settings: PlanSettings


def _leads(n: int, companies: int = 0, pinned: int = 0) -> list[SourceRow]:
    rows = []
    for i in range(n):
        domain = f"co{i % companies}.example" if companies else f"d{i}.example"
        lead: dict[str, Any] = {"name": f"L{i}", "email": f"l{i}@{domain}"}
        if i < pinned:  # the first rows pinned to a day and an assistant
            lead["send_date"] = MON + dt.timedelta(days=7 * (i % 4))
            lead["assistant_email"] = "a0@s.com"
        rows.append(SourceRow(row=i + 2, values={}, lead=Lead(**lead)))
    return rows


def _team(*limits: int) -> list[Assistant]:
    return [Assistant(emailid=f"a{i}@s.com", perDayEmailLimit=n) for i, n in enumerate(limits)]


def instances(quick: bool) -> list[Instance]:
    k = 4 if quick else 1
    return [
        Instance("1,000 leads, 2×50, steps 0,3,7,12 (the issue's)", _leads(1000 // k),
                 _team(50, 50), PlanSettings(start=MON, default_steps=(0, 3, 7, 12))),
        Instance("1,000 leads, 4×30, 8 steps", _leads(1000 // k), _team(30, 30, 30, 30),
                 PlanSettings(start=MON, default_steps=(0, 3, 7, 12, 18, 25, 33, 42))),
        Instance("2,000 leads, limits 20/35/50/80, one email", _leads(2000 // k),
                 _team(20, 35, 50, 80), PlanSettings(start=MON)),
        Instance("1,500 leads, 3×40, steps 0,2,5, 40 pinned", _leads(1500 // k, pinned=40),
                 _team(40, 40, 40), PlanSettings(start=MON, default_steps=(0, 2, 5))),
        Instance("1,200 leads of 30 companies, 3×40, per-company 2", _leads(1200 // k, 30),
                 _team(40, 40, 40), PlanSettings(start=MON, default_steps=(0, 4), per_company=2)),
        Instance("800 leads, 2×40, one ramping up 5+5/day, steps 0,3,7", _leads(800 // k),
                 _team(40, 40), PlanSettings(
                     start=MON, default_steps=(0, 3, 7),
                     assistant={"a1@s.com": AssistantRules(ramp_start=5, ramp_step=5)})),
    ]


def _sending_index(plan: Plan, day: dt.date) -> int:
    return len(SendingCalendar.from_settings(plan.settings).sending_days(plan.start, day))


def _last(rows: list[PlanRow]) -> dt.date:
    return max(r.send_date for r in rows if r.status is RowStatus.PLANNED and r.send_date
               and r.source.action == "create")


def _peak(rows: list[PlanRow]) -> int:
    return max(Counter((r.assistant_email, r.send_date) for r in rows
                       if r.status is RowStatus.PLANNED).values())


def run_planner_cases(quick: bool) -> list[str]:
    """The section of BENCHMARKS.md, as lines."""
    lines = [
        "## Planner: the optimiser against today's greedy and the bound",
        "",
        "Last = the last first-email day, as a sending day from the start (1 = the start);",
        "bound = the earliest the limits allow (the linear program's optimum: no plan ends",
        "earlier); peak = the most new leads on one assistant-day; smoothest = the least",
        "peak of any plan ending as early (the program's bound, rounded up).",
        "",
        "| instance | greedy last | optimiser last | bound | optimiser/bound | greedy/optimiser "
        "| greedy peak | optimiser peak | smoothest | time (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for case in instances(quick):
        old = greedy_plan(case.rows, case.team, case.settings, today=MON)
        began = time.perf_counter()
        new = plan_leads(case.rows, case.team, case.settings, today=MON)
        took = time.perf_counter() - began
        assert new.proof is not None and new.proof.earliest is not None
        g_last, n_last = _sending_index(new, _last(old.rows)), _sending_index(new, _last(new.rows))
        bound = _sending_index(new, new.proof.earliest)
        planned = Counter(r.status for r in new.rows)[RowStatus.PLANNED]
        assert planned == Counter(r.status for r in old.rows)[RowStatus.PLANNED] or planned > 0
        lines.append(
            f"| {case.name} | {g_last} | {n_last} | {bound} | {n_last / bound:.2f} | "
            f"{g_last / n_last:.2f} | {_peak(old.rows)} | {_peak(new.rows)} | "
            f"{new.proof.smoothest} | {took:.2f} |")
    times, proof = _big(quick)
    lines += [
        "",
        f"Planning {'20,000' if quick else '100,000'} leads over 20 assistants (limit 100) "
        f"with a 4-step sequence (0,3,7,12): median {statistics.median(times):.2f} s "
        f"of {len(times)} runs ({', '.join(f'{t:.2f}' for t in times)}); target ≤ 2 s: "
        f"{'holds' if statistics.median(times) <= 2 else 'MISSED'}. Proof: "
        + "; ".join(proof) + ".",
        "",
    ]
    return lines


def _big(quick: bool) -> tuple[list[float], list[str]]:
    n = 20_000 if quick else 100_000
    rows = [SourceRow(row=i + 2, values={}, lead=Lead(name=f"L{i}", email=f"l{i}@c{i % 5000}.com"))
            for i in range(n)]
    team = [Assistant(emailid=f"a{i:02d}@s.com", perDayEmailLimit=100) for i in range(20)]
    settings = PlanSettings(start=MON, default_steps=(0, 3, 7, 12))
    times: list[float] = []
    proof: list[str] = []
    for _ in range(1 if quick else 3):
        began = time.perf_counter()
        plan = plan_leads(rows, team, settings, today=MON)
        times.append(time.perf_counter() - began)
        proof = plan.proof_lines()
    return times, proof
