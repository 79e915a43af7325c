"""A linear program and HiGHS: the one place the planner touches the solver.

HiGHS (`highspy`) was chosen over OR-Tools and SciPy (README, "Dependencies"): the same
solver SciPy wraps, a 3 MB wheel against SciPy's 35 MB and OR-Tools' 30 MB, and the
planner's programs (a few hundred to a few thousand columns) solve in milliseconds.
`highspy.Highs()` prints a banner on construction, so the bare core class is used with
output off; the dual simplex runs serially and a fixed seed keeps the answer the same
run after run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

INF = math.inf
MIP_NODES = 500  # branch-and-bound nodes a whole-number program may take


class SolverTimeout(Exception):
    """The solver stopped at its time limit before it could answer."""


def _highs() -> Any:
    # Imported on first use: `leadbatch --help` and validate never load the solver.
    import highspy._core as core

    return core


@dataclass
class LinearProgram:
    """Minimise cost · x subject to row bounds, 0 <= x <= upper; built a column at a time."""

    cost: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    columns: list[list[tuple[int, float]]] = field(default_factory=list)  # (row, value)
    squares: dict[int, float] = field(default_factory=dict)  # column -> weight of x² (a QP)
    integer: set[int] = field(default_factory=set)  # columns that take whole numbers (a MILP)

    def row(self, lower: float = -INF, upper: float = INF) -> int:
        self.row_lower.append(lower)
        self.row_upper.append(upper)
        return len(self.row_lower) - 1

    def column(self, entries: list[tuple[int, float]], cost: float = 0.0,
               upper: float = INF) -> int:
        self.columns.append(entries)
        self.cost.append(cost)
        self.upper.append(upper)
        return len(self.columns) - 1

    def solve(self, time_limit: float) -> list[float] | None:
        """The optimal x, or None if no x satisfies the rows; SolverTimeout at the limit."""
        core = _highs()
        import numpy as np

        lp = core.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.columns), len(self.row_lower)
        lp.col_cost_ = np.asarray(self.cost, dtype=float)
        lp.col_lower_ = np.zeros(len(self.columns))
        lp.col_upper_ = np.asarray(self.upper, dtype=float)
        lp.row_lower_ = np.asarray(self.row_lower, dtype=float)
        lp.row_upper_ = np.asarray(self.row_upper, dtype=float)
        offsets, index, value = [0], [], []
        for entries in self.columns:
            for row, v in entries:
                index.append(row)
                value.append(v)
            offsets.append(len(index))
        matrix = lp.a_matrix_
        matrix.format_ = core.MatrixFormat.kColwise
        matrix.num_col_, matrix.num_row_ = lp.num_col_, lp.num_row_
        matrix.start_ = np.asarray(offsets, dtype=np.int32)
        matrix.index_ = np.asarray(index, dtype=np.int32)
        matrix.value_ = np.asarray(value, dtype=float)
        highs = core._Highs()
        # No "threads" option: HiGHS keeps one scheduler per process, and asking for a
        # different thread count than it was started with makes run() fail.
        for name, option in (("output_flag", False), ("random_seed", 0),
                             ("time_limit", max(time_limit, 0.01))):
            highs.setOptionValue(name, option)
        if self.integer:
            # a node limit, not only the clock, ends the search: the same input then gets
            # the same whole solution however busy the machine is
            highs.setOptionValue("mip_max_nodes", MIP_NODES)
            kinds = [core.HighsVarType.kContinuous] * lp.num_col_
            for column in self.integer:
                kinds[column] = core.HighsVarType.kInteger
            lp.integrality_ = kinds
        highs.passModel(lp)
        if self.squares:  # the objective's quadratic part: a diagonal Hessian (2·weight)
            hessian = core.HighsHessian()
            hessian.dim_ = lp.num_col_
            hessian.format_ = core.HessianFormat.kTriangular
            starts = np.zeros(lp.num_col_ + 1, dtype=np.int32)
            for column in self.squares:
                starts[column + 1] = 1
            hessian.start_ = np.cumsum(starts).astype(np.int32)
            hessian.index_ = np.asarray(sorted(self.squares), dtype=np.int32)
            hessian.value_ = np.asarray([2.0 * self.squares[c] for c in sorted(self.squares)])
            highs.passHessian(hessian)
        highs.run()
        status = highs.getModelStatus()
        if status == core.HighsModelStatus.kOptimal:
            return list(highs.getSolution().col_value)
        if self.integer and status in (core.HighsModelStatus.kTimeLimit,
                                       core.HighsModelStatus.kSolutionLimit):
            # a MILP stopped at its limit may still hold a whole solution: good enough
            if highs.getSolution().value_valid:
                return list(highs.getSolution().col_value)
            raise SolverTimeout
        if status == core.HighsModelStatus.kTimeLimit:
            raise SolverTimeout
        return None  # infeasible (or, for a program that cannot be unbounded, the same)
