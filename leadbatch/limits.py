"""Excel's limits on a sheet, the header row included: beyond them cells are not shown, so
the jobs refuse an input that would not fit before anything is sent, and the workbook
writer refuses to write one. A module of its own with no imports: every stage may use it,
and the writer's benchmarks load it without the models.
"""

from __future__ import annotations

MAX_SHEET_ROWS = 1_048_576
MAX_SHEET_COLUMNS = 16_384
