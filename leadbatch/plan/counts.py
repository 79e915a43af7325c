"""How many new leads each group gets on each day, assistant class and sequence: the
planner's counts as a linear program, and the rounding of its answer into whole leads.

The objective, in order (issue 14): the last first-email day as early as the limits
allow (followups included), then the fewest new leads on the busiest assistant-day,
then the earliest days. Assistants that are alike in everything the program sees
(limits and caps, calendar, default sequence, load already booked) form one class, so
100,000 leads over 20 equal assistants is a program of a few hundred columns.

Whole leads: the program's answer is rounded down, those leads are placed by the
planner (which checks every email against every cap, so nothing goes over whatever the
rounding did), and the program is solved again for the leads left, with the loads as
they now are. If no whole lead fits by the last day tried, the day moves on; if the
limits leave no day, the program fills what it can and the rest are unplaceable.
The linear program's own optimum is a bound no plan can beat: the proof the plan shows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .days import DayBook, HasSteps
from .solver import INF, LinearProgram, SolverTimeout

Key = tuple[int, int, int, HasSteps]  # (group, class, day, sequence)
Place = Callable[[dict[Key, int], float], dict[Key, int]]  # quotas, peak cap -> placed

_EPS = 1e-6
_WHOLE_SECONDS = 1.0  # the whole-lead program's share of the time before rounding takes over
_MAX_ROUNDS = 400


@dataclass
class Group:
    """Leads that want the same thing: which classes may take them and with which
    sequences (`seqs(class, day)`); `left` is how many are still to place."""

    left: int
    classes: tuple[int, ...]
    seqs: Callable[[int, int], Sequence[HasSteps]]
    shares: dict[HasSteps, tuple[int, int]] | None = None  # A/B: each sequence's (min, max) left

    def share_bounds(self) -> dict[HasSteps, tuple[float, float]]:
        return {seq: (float(max(lo, 0)), float(max(hi, 0)))
                for seq, (lo, hi) in (self.shares or {}).items()}


@dataclass
class Outcome:
    """What the counts achieved: the bounds the proof quotes, and whether they hold."""

    earliest: int | None  # index into the days: the earliest last day the limits allow
    smoothest: float  # the fewest new leads on the busiest assistant-day, ending that early
    optimal: bool  # False: the time limit or the round cap stopped the solver


class Counts:
    """The count program over `days` (day offsets, in order) for `groups` on `classes`
    (lists of assistant indexes into `book`). `new[a][day]`: the leads it placed there so
    far (the peak counts these; pinned rows are where the user put them); `all_new`
    those and the pinned rows (the pace counts both)."""

    def __init__(self, book: DayBook, classes: list[list[int]], groups: list[Group],
                 days: list[int], created: Callable[[int], int], *,
                 new: Sequence[Mapping[int, int]], all_new: Sequence[Mapping[int, int]],
                 pace: int | None, time_limit: float) -> None:
        self.book, self.classes, self.groups, self.days = book, classes, groups, days
        self.created, self.new, self.all_new, self.pace = created, new, all_new, pace
        self.deadline = time.monotonic() + time_limit
        self.banned: set[Key] = set()  # no whole lead fits there any more (loads only grow)
        # the highest peak worth trying: an assistant's largest cap on any day
        self.most = max((max(book.caps[a], default=0) for c in classes for a in c), default=0)
        self._turns = any(len(g.seqs(c, d)) > 1 for g in groups for c in g.classes for d in days)

    def _program(self, last: int, peak: float | None, objective: str,
                 totals: dict[tuple[int, int], float] | None = None,
                 uniform: bool = False) -> tuple[
            LinearProgram, list[tuple[Key, int]]]:
        """Columns for every (group, class, day <= days[last], sequence); objective is
        "none", "peak" (minimise the busiest assistant-day), "early" (earliest days),
        "even" (the least sum of squares of each assistant-day's new leads: --end) or
        "fill" (as many leads as fit, earliest first). `totals` fixes each (class, day)'s
        new leads and shares them out evenly between the sequences that take turns.
        `uniform`: a column counts leads per member of its class (each member the same),
        so that rounding down gives every member the same whole leads."""
        book, lp = self.book, LinearProgram()
        keys: list[tuple[Key, int]] = []  # each column of leads, by what it counts
        fill = objective == "fill"
        peak_col: list[tuple[int, float]] = []
        # whole leads per member (uniform): a group may end up to a class's size short,
        # for the later rounds to place
        short = max(len(c) for c in self.classes) - 1 if uniform else 0
        demand = [lp.row(0.0 if fill else max(g.left - short, 0), g.left) for g in self.groups]
        width = len(self.days) + 2
        shares: list[dict[HasSteps, int]] = [{} for _ in self.groups]
        if objective in ("early", "even", "fill"):  # A/B shares: kept unless that costs a day
            slack = 0.5 / width if fill else 0.5
            for g, group in enumerate(self.groups):
                for seq, (lo, hi) in group.share_bounds().items():
                    row = shares[g][seq] = lp.row(lo, hi)
                    lp.column([(row, 1.0)], cost=slack)
                    lp.column([(row, -1.0)], cost=slack)
        load_rows: dict[tuple[int, int], int] = {}
        for rank, day in enumerate(self.days[:last + 1]):
            weight = {"early": rank + 1.0, "fill": -1.0 + (rank + 1.0) / width,
                      "even": (rank + 1.0) / width}.get(objective, 0.0)
            for c, members in enumerate(self.classes):
                first, size = members[0], float(len(members))
                scale = size if uniform else 1.0
                if not book.works(first, day):
                    continue
                # new leads that day: at most the peak per member, and the pace with pinned ones
                flex = lp.row(upper=-float(sum(self.new[a][day] for a in members)))
                peak_col.append((flex, -size))
                daily = [(flex, 1.0)]
                if self.pace is not None:
                    taken = sum(self.all_new[a][day] for a in members)
                    daily.append((lp.row(upper=self.pace * size - taken), 1.0))
                total = None
                if totals is not None:
                    fixed = totals.get((c, day), 0.0)
                    daily.append((lp.row(fixed, fixed), 1.0))
                elif objective == "even":  # y = the day's new leads, whose square is the cost
                    total = lp.row(0.0, 0.0)
                    lp.squares[lp.column([(total, -1.0)])] = 1.0 / size
                    daily.append((total, 1.0))
                for g, group in enumerate(self.groups):
                    if not group.left or c not in group.classes:
                        continue
                    options = group.seqs(c, day)
                    for seq in options:
                        if (g, c, day, seq) in self.banned:
                            continue
                        entries = [(demand[g], scale), *((r, v * scale) for r, v in daily)]
                        if seq in shares[g]:
                            entries.append((shares[g][seq], scale))
                        for counted, count in book.emails(first, self.created(day), seq):
                            load = load_rows.get((c, counted))
                            if load is None:
                                room = sum(book.room(a, counted) for a in members)
                                load = load_rows[c, counted] = lp.row(upper=float(room))
                            entries.append((load, count * scale))
                        column = lp.column(entries, cost=0.0 if totals is not None else weight)
                        if uniform:
                            lp.integer.add(column)
                        keys.append(((g, c, day, seq), column))
                        if len(options) > 1 and totals is not None:
                            lp.squares[column] = 1.0 / size  # sequences taking turns share a day
        lp.column(peak_col, cost=1.0 if objective == "peak" else 0.0,
                  upper=INF if peak is None else peak)
        return lp, keys

    def _solve(self, last: int, peak: float | None, objective: str,
               uniform: bool = False) -> tuple[list[float], list[Key]] | None:
        """The leads per column (and each column's key), and the peak last; None if the
        program has no solution. `uniform`: whole leads per class member (a MILP, given a
        share of the time: if it cannot answer, the rounds of linear programs do)."""
        lp, keys = self._program(last, peak, objective, uniform=uniform)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise SolverTimeout
        if uniform:
            try:
                x = lp.solve(min(left / 4, _WHOLE_SECONDS))
            except SolverTimeout:
                return None
        else:
            x = lp.solve(left)
        if x is None:
            return None
        if objective in ("early", "even") and self._turns:
            # then, with each (class, day)'s count as solved, sequences that take turns
            # share each day evenly (a second program: a tie-break must not cost days)
            totals: dict[tuple[int, int], float] = {}
            for (_, c, day, _), col in keys:
                totals[c, day] = totals.get((c, day), 0.0) + x[col]
            lp, keys = self._program(last, peak, objective, totals, uniform=uniform)
            again = lp.solve(max(self.deadline - time.monotonic(), 0.01))
            if again is not None:
                x = again
        return [x[col] for _, col in keys] + [x[-1]], [key for key, _ in keys]

    def earliest_last(self) -> int | None:
        """The first index of `days` by which every lead fits, or None if none does."""
        lo, hi = 0, len(self.days) - 1
        if hi < 0 or self._solve(hi, None, "none") is None:
            return None
        while lo < hi:
            mid = (lo + hi) // 2
            if self._solve(mid, None, "none") is not None:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def smoothest(self, last: int) -> float:
        """The least peak (new leads per assistant-day) of any plan ending by `last`."""
        found = self._solve(last, None, "peak")
        return INF if found is None else found[0][-1]

    def run(self, place: Place, last: int | None, *, spread: bool, margin: float = 0.0) -> Outcome:
        """Place every group's leads through `place`, rounds of the program at a time.

        `last` is the first day index to try (None: find the earliest); `spread` keeps
        it (the user's --end) instead of finding the earliest; `margin` lets the peak
        start that share above the least, leaving whole leads room to round."""
        try:
            return self._run(place, last, spread=spread, margin=margin)
        except SolverTimeout:
            return Outcome(None, INF, optimal=False)

    def _run(self, place: Place, last: int | None, *, spread: bool, margin: float) -> Outcome:
        final = len(self.days) - 1
        earliest = self.earliest_last()
        fill = earliest is None
        at = final if earliest is None or spread else max(earliest, min(last or 0, final))
        smooth = INF if fill else self.smoothest(at)
        peak = INF if fill else math.ceil(smooth * (1 + margin) - _EPS)
        # The first round gives each member of a class the same leads (rounding them down
        # then keeps members alike); later rounds place what is left by class totals.
        # (a linear objective only: HiGHS solves no integer program with squares in it)
        uniform = not fill and not spread and not self._turns
        for _ in range(_MAX_ROUNDS):
            if not any(g.left for g in self.groups) or at < 0:
                return Outcome(earliest, smooth, optimal=True)
            found = self._solve(at, None if fill else peak,
                                "fill" if fill else "even" if spread else "early", uniform)
            if uniform:
                uniform = False
                if found is not None and (quotas := _whole(*found, self.classes)):
                    placed = place(quotas, peak)
                    self.banned |= {key for key in quotas if not placed.get(key)}
                continue  # no whole answer in its share: the linear rounds take over
            if found is None and not fill and peak < self.most:
                # whole leads do not fit this way: the peak gives way before the last day
                # does (leads refused under the old peak may fit under the new one)
                self.banned.clear()
                relaxed = self.smoothest(at)
                if relaxed < INF:
                    peak = max(peak + 1, math.ceil(relaxed - _EPS))
                    continue
            if found is None:
                self.banned.clear()
                if at < final:
                    at += 1
                else:
                    fill = True
                continue
            x, keys = found
            quotas = {key: int(v + _EPS) for key, v in zip(keys, x, strict=False) if v + _EPS >= 1}
            if not quotas:  # only fractions left: the largest becomes one lead
                if not keys:
                    return Outcome(earliest, smooth, optimal=True)  # no day for anyone
                best = max(range(len(keys)), key=lambda j: (x[j], -j))
                if x[best] <= _EPS:
                    return Outcome(earliest, smooth, optimal=True)  # "fill": nothing more fits
                quotas = {keys[best]: 1}
            placed = place(quotas, INF if fill else peak)
            # where a whole lead did not fit, none will under this peak: loads only grow
            self.banned |= {key for key in quotas if not placed.get(key)}
        return Outcome(earliest, smooth, optimal=False)


def _whole(x: list[float], keys: list[Key], classes: list[list[int]]) -> dict[Key, int]:
    """Leads per column from the whole-lead program's per-member counts."""
    return {key: round(v) * len(classes[key[1]]) for key, v in zip(keys, x, strict=False)
            if round(v) > 0}
