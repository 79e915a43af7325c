"""Every kind of workbook leadbatch writes, opened in a real spreadsheet application:
LibreOffice (headless) converts each to PDF and back to xlsx without an error, a 400-row
plan prints on at most 12 pages, and the values LibreOffice saved read back (openpyxl) as
we wrote them (read with calamine). `make desk` installs LibreOffice where it is missing
and runs this; with LEADBATCH_DESK_DOCS=1 it also renders the Summary to docs/summary.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.inputs import assistants_json, write_csv  # noqa: E402
from leadbatch.config import load_plan_settings  # noqa: E402
from leadbatch.jobs import write_ledger_workbook  # noqa: E402
from leadbatch.models import RowStatus, unsent  # noqa: E402
from leadbatch.plan import plan_leads  # noqa: E402
from leadbatch.read import load_assistants, read_leads  # noqa: E402
from leadbatch.workbook import write_plan_workbook, write_results_workbook, write_template  # noqa: E402

pytestmark = [
    pytest.mark.slow,  # a few seconds a conversion: not in `make test`
    pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                       reason="LibreOffice or pdfinfo missing: `make desk` installs them"),
]
START = dt.date(2030, 1, 7)
MAX_PAGES = 12


def convert(path: Path, to: str, out: Path) -> Path:
    """LibreOffice's own conversion; a failure or an error line fails the test."""
    out.mkdir(exist_ok=True)
    profile = out / "profile"  # its own profile: no first-start dialog, no lock clash
    done = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--convert-to", to, "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180, check=False)
    target = out / f"{path.stem}.{to.split(':')[0]}"
    errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
    assert done.returncode == 0 and not errors, done.stderr
    assert target.is_file() and target.stat().st_size > 0, done.stdout + done.stderr
    return target


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(line.split()[-1] for line in info.stdout.splitlines()
                    if line.startswith("Pages:")))


def sheet_pages(pdf: Path, sheet: str) -> list[int]:
    """The pages whose footer names `sheet` (every sheet's footer is its name)."""
    found = []
    for page in range(1, pages(pdf) + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout",
                               str(pdf), "-"], capture_output=True, text=True, check=True)
        lines = [x for x in text.stdout.splitlines() if x.strip()]
        if lines and lines[-1].split()[0] == sheet:
            found.append(page)
    return found


def calamine(path: Path) -> dict[str, list[list[object]]]:
    with CalamineWorkbook.from_path(str(path)) as book:
        return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}


def same_values(ours: Path, saved: Path) -> None:
    """What LibreOffice saved is what we wrote, sheet by sheet, cell by cell."""
    mine = calamine(ours)
    book = openpyxl.load_workbook(saved, read_only=True)
    assert book.sheetnames == list(mine)
    for name, grid in mine.items():
        theirs = [list(r) for r in book[name].iter_rows(values_only=True)]
        for r, row in enumerate(grid):
            for c, v in enumerate(row):
                got = theirs[r][c] if r < len(theirs) and c < len(theirs[r]) else None
                if isinstance(got, dt.datetime) and isinstance(v, dt.date) and \
                        not isinstance(v, dt.datetime):
                    got = got.date()
                if isinstance(v, float) and isinstance(got, int | float):
                    assert got == pytest.approx(v), (name, r, c)
                else:
                    assert (got if got is not None else "") == v, (name, r, c, got, v)


@pytest.fixture(scope="module")
def plan400(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, object]:
    folder = tmp_path_factory.mktemp("plan400")
    write_csv(folder / "bench.csv", 400)
    # Two custom columns the workbooks type (a number, a day), so LibreOffice reads those too.
    with (folder / "bench.csv").open(newline="", encoding="utf-8") as src, \
            (folder / "leads.csv").open("w", newline="", encoding="utf-8") as dst:
        out = csv.writer(dst)
        for n, line in enumerate(csv.reader(src)):
            out.writerow([*line, *(["Budget", "Create Date"] if n == 0 else
                                   [f"{n * 125.5:g}", f"2026-0{1 + n % 9}-1{n % 10}"])])
    (folder / "assistants.json").write_text(assistants_json(count=4))
    sheet = read_leads(folder / "leads.csv", today=START)
    plan = plan_leads(sheet.rows, load_assistants(folder / "assistants.json"),
                      load_plan_settings(None, start=START), today=START)
    return write_plan_workbook(folder / "plan.xlsx", plan, sheet), plan, sheet


def test_a_400_row_plan_prints_on_a_handful_of_pages(plan400: tuple[Path, object, object],
                                                     tmp_path: Path) -> None:
    path = plan400[0]
    pdf = convert(path, "pdf", tmp_path)
    total = pages(pdf)
    plan_pages = sheet_pages(pdf, "Plan")
    print(f"400-row plan: {total} pages in all, Plan sheet {len(plan_pages)}")
    assert total <= MAX_PAGES
    assert 1 <= len(plan_pages) <= total
    # The header row is repeated: every Plan page starts with it.
    for page in plan_pages:
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout",
                               str(pdf), "-"], capture_output=True, text=True, check=True)
        assert "assistantEmail" in text.stdout.split("\n", 3)[0] + text.stdout[:400]


def test_the_plan_opens_and_its_values_survive_libreoffice(
        plan400: tuple[Path, object, object], tmp_path: Path) -> None:
    path = plan400[0]
    saved = convert(path, "xlsx:Calc MS Excel 2007 XML", tmp_path)
    same_values(path, saved)
    # The typed cells are a number and a date in LibreOffice too.
    ws = openpyxl.load_workbook(saved)["Plan"]
    header = [c.value for c in ws[1]]
    budget, day = ws.cell(2, header.index("Budget") + 1), ws.cell(2, header.index("Create Date") + 1)
    assert budget.data_type == "n" and budget.value == 125.5
    assert day.is_date and day.value == dt.datetime(2026, 2, 11)


def test_results_template_and_ledger_export_open_cleanly(
        plan400: tuple[Path, object, object], tmp_path: Path) -> None:
    _, plan, sheet = plan400
    rows = [unsent(r, sheet.fields) for r in plan.rows]  # type: ignore[attr-defined]
    rows[0].outcome.status, rows[0].outcome.error = RowStatus.FAILED, "HTTP 400: bad phone"
    rows[1].outcome.status, rows[1].outcome.lead_id = RowStatus.CREATED, 101
    books = [
        write_results_workbook(tmp_path / "results.xlsx", rows, sheet.headers,  # type: ignore[attr-defined]
                               about={"mode": "release"}, fields=sheet.fields),  # type: ignore[attr-defined]
        write_template(tmp_path / "template.xlsx"),
        write_ledger_workbook(tmp_path / "ledger.xlsx",
                              [{"day": "2030-01-07", "assistant": "a@x.io", "sent": 3, "planned": 2}],
                              [{"email": "e@x.io", "action": "create", "state": "succeeded",
                                "assistant": "a@x.io", "leadId": 7, "sentAt": "2030-01-07T09:00:00",
                                "results": "r.xlsx", "row": 2, "source": "l.csv", "error": ""}]),
    ]
    for book in books:
        out = tmp_path / book.stem
        assert pages(convert(book, "pdf", out)) >= 1
        same_values(book, convert(book, "xlsx:Calc MS Excel 2007 XML", out))


def test_summary_rendering_for_the_docs(tmp_path: Path) -> None:
    """The sample sheet's plan Summary, as LibreOffice prints it: docs/summary.png."""
    samples = ROOT / "sample_data"
    settings = load_plan_settings(ROOT / "templates" / "leadbatch.toml", start=START)
    sheet = read_leads(samples / "leads.xlsx", today=START)
    plan = plan_leads(sheet.rows, load_assistants(samples / "assistants-small.json"), settings,
                      today=START)
    path = write_plan_workbook(tmp_path / "sample-plan.xlsx", plan, sheet)
    pdf = convert(path, "pdf", tmp_path)
    summary = [page for page in range(1, pages(pdf) + 1) if "needs you" in subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        capture_output=True, text=True, check=True).stdout]  # the Summary's first page
    assert summary, "no page of the Summary sheet"
    png = tmp_path / "summary"
    subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", "-f", str(summary[0]),
                    "-l", str(summary[0]), str(pdf), str(png)], check=True)
    assert png.with_suffix(".png").stat().st_size > 10_000
    if os.environ.get("LEADBATCH_DESK_DOCS"):
        shutil.copy(png.with_suffix(".png"), ROOT / "docs" / "summary.png")
