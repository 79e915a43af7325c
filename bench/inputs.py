"""Deterministic benchmark inputs: lead sheets in the 7Targets upload layout, assistants.

Every file is generated from a fixed seed, so two runs of `make bench` measure the same
bytes. Files are cached in bench/out/ and rebuilt only when their recipe changes.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
import xlsxwriter

RECIPE = 3  # bump when the generated content changes, to invalidate cached inputs
SEED = 20300107
START = dt.date(2030, 1, 7)  # a Monday far enough ahead that no pinned date is in the past

# 7Targets' own Excel upload columns (knowledge base) plus an assistant pin and a custom note.
HEADERS = [
    "First_Name",
    "Last_Name",
    "Email_ID",
    "Country_Code",
    "Phone_Number",
    "Lead Company",
    "Lead Designation",
    "Lead Industry",
    "Linkedin Profile URL",
    "Company Linkedin URL",
    "Twitter Profile URL",
    "location",
    "Start Email Sending Date",
    "Assistant",
    "Notes",
]

FIRST = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Priya",
    "Rahul",
    "Ananya",
    "Arjun",
    "Wei",
    "Mei",
    "Hiroshi",
    "Yuki",
    "Lukas",
    "Anna",
    "Sofia",
    "Mateo",
    "Olivia",
    "Noah",
    "Emma",
    "Liam",
    "Ava",
    "Ethan",
    "Mia",
    "Lucas",
    "Amelia",
    "Chloe",
    "Zoe",
    "Ravi",
    "Deepa",
    "Karim",
    "Fatima",
    "Omar",
    "Leila",
    "Nikolai",
    "Ingrid",
    "Sven",
]
LAST = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sharma",
    "Patel",
    "Gupta",
    "Singh",
    "Kumar",
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Tanaka",
    "Suzuki",
    "Muller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Rossi",
    "Russo",
    "Ferrari",
    "Dubois",
    "Laurent",
    "Novak",
    "Kowalski",
    "Larsen",
    "Hansen",
]
COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Wonka",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Aperture",
    "BlackMesa",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Massive",
    "Dynamic",
    "Pied",
    "Piper",
]
TITLES = [
    "CEO",
    "CTO",
    "VP Sales",
    "Head of Marketing",
    "Sales Manager",
    "Procurement Lead",
    "Founder",
    "Operations Director",
    "IT Manager",
    "Growth Lead",
]
INDUSTRIES = [
    "Software",
    "Manufacturing",
    "Retail",
    "Healthcare",
    "Finance",
    "Logistics",
    "Education",
    "Energy",
    "Media",
    "Telecom",
]
CITIES = [
    "New York",
    "London",
    "Bengaluru",
    "Berlin",
    "Tokyo",
    "Paris",
    "Toronto",
    "Sydney",
    "Singapore",
    "Dubai",
    "São Paulo",
    "Mumbai",
    "Austin",
    "Dublin",
    "Zürich",
]
DOMAINS = ["example.com", "example.org", "mail.example.net", "corp.example.io"]


@dataclass(frozen=True)
class Inputs:
    """Paths of one generated input set."""

    folder: Path
    xlsx: Path  # the N-row sheet (100k; smaller with --quick)
    csv: Path  # the same rows as CSV
    big_csv: Path  # the 1M-row CSV (smaller with --quick)
    small_xlsx: Path  # the 20k-row sheet of the naive comparison
    assistants: Path  # 20 assistants: N rows plan over several days
    sandbox_leads: Path  # leads for `leadbatch run` against the sandbox
    sandbox_assistants: Path  # the sandbox's two assistants, with room for every lead in a day
    rows: int
    big_rows: int
    small_rows: int
    sandbox_rows: int


def _phone_pool(rnd: random.Random) -> list[tuple[int, int]]:
    # Valid numbers only, so that rows are invalid where we mean them to be, not by accident.
    pool: list[tuple[int, int]] = []
    makers = {
        1: lambda: (
            rnd.choice([202, 212, 312, 415, 617]) * 10_000_000 + rnd.randrange(2_000_000, 9_999_999)
        ),
        91: lambda: (
            rnd.choice([98, 99, 97, 91]) * 100_000_000 + rnd.randrange(10_000_000, 99_999_999)
        ),
        49: lambda: (
            rnd.choice([151, 160, 170, 176]) * 10_000_000 + rnd.randrange(1_000_000, 9_999_999)
        ),
    }
    while len(pool) < 600:
        cc = rnd.choice(list(makers))
        national = makers[cc]()
        if phonenumbers.is_valid_number(phonenumbers.parse(f"+{cc}{national}")):
            pool.append((cc, national))
    return pool


def _date_text(day: dt.date, style: int) -> str:
    # The date styles of 7Targets' own documented example, mixed in one column.
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.isoformat()}T00:00:00"
    if style == 2:
        return f"{day.day}. {day.strftime('%b')}. {day.year}"
    return day.strftime("%d %b %y")


def lead_rows(n: int, seed: int = SEED) -> Iterator[list[object]]:
    """`n` rows: ~1% invalid (bad email / no name), ~0.5% duplicates, ~8% pinned dates."""
    rnd = random.Random(seed)
    phones = _phone_pool(rnd)
    assistants = [f"assistant{i:02d}@bench.example.com" for i in range(20)]
    pin_days = [
        START + dt.timedelta(days=d)
        for d in range(42)
        if (START + dt.timedelta(days=d)).weekday() < 5
    ]
    recent: list[str] = []
    for i in range(n):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        company = rnd.choice(COMPANIES)
        email = f"{first}.{last}.{i}@{rnd.choice(DOMAINS)}".lower()
        roll = rnd.random()
        if roll < 0.005:
            email = rnd.choice([f"{first}.{last}@", f"{first} {last}", f"{first}@@example.com", ""])
        elif roll < 0.007:
            first = ""
        elif roll < 0.012 and recent:
            email = f" {rnd.choice(recent).upper()} "  # same address, other case and spaces
        if roll >= 0.012:
            if len(recent) < 500:
                recent.append(email)
            elif rnd.random() < 0.01:
                recent[rnd.randrange(500)] = email
        cc, national = rnd.choice(phones)
        send: object = ""
        if rnd.random() < 0.08:
            day = rnd.choice(pin_days)
            style = rnd.randrange(5)
            send = day if style == 4 else _date_text(day, style)  # style 4: a real date cell
        slug = f"{first}-{last}-{i}".lower()
        yield [
            first,
            last,
            email,
            cc,
            national,
            f"{company} {rnd.choice(['Inc', 'Ltd', 'GmbH', 'LLC'])}",
            rnd.choice(TITLES),
            rnd.choice(INDUSTRIES),
            f"https://www.linkedin.com/in/{slug}",
            f"https://www.linkedin.com/company/{company.lower()}",
            f"https://twitter.com/{slug.replace('-', '_')}" if rnd.random() < 0.4 else "",
            rnd.choice(CITIES),
            send,
            rnd.choice(assistants) if rnd.random() < 0.05 else "",
            f"met at expo {rnd.randrange(2020, 2030)}" if rnd.random() < 0.5 else "",
        ]


def write_csv(path: Path, n: int) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        for row in lead_rows(n):
            w.writerow([v.isoformat() if isinstance(v, dt.date) else v for v in row])
    os.replace(tmp, path)


def write_xlsx(path: Path, n: int) -> None:
    # xlsxwriter: a different writer than the reader under test (python-calamine).
    tmp = path.with_name(path.stem + ".tmp.xlsx")
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_urls": False})
    ws = book.add_worksheet("Leads")
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    for r, row in enumerate(lead_rows(n), start=1):
        for c, v in enumerate(row):
            if v == "":
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date_fmt)
            elif isinstance(v, int):
                ws.write_number(r, c, v)  # Excel habit: phone numbers stored as numbers
            else:
                ws.write_string(r, c, str(v))
    book.close()
    os.replace(tmp, path)


def assistants_json(count: int = 20, seed: int = SEED) -> str:
    rnd = random.Random(seed + 1)
    return json.dumps(
        [
            {
                "id": 1000 + i,
                "name": f"Assistant {i:02d}",
                "emailid": f"assistant{i:02d}@bench.example.com",
                "perDayEmailLimit": rnd.choice([200, 250, 300, 400, 500]),
                "defaultScheduleId": 500 + i,
            }
            for i in range(count)
        ],
        indent=1,
    )


SANDBOX_ASSISTANTS = ["missashley@7targets.7ts-d.com", "lyra@7targets.7ts-d.com"]


def write_sandbox_leads(path: Path, n: int) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["First_Name", "Last_Name", "Email_ID", "Lead Company"])
        for i in range(n):
            w.writerow([f"Lead{i}", "Bench", f"lead{i}@bench.example.com", "Acme Inc"])
    os.replace(tmp, path)


def sandbox_assistants_json(limit: int) -> str:
    # The sandbox's own two assistants, with a limit that lets every lead go on day one.
    return json.dumps(
        [
            {
                "id": 61 + i,
                "name": name.split("@")[0],
                "emailid": name,
                "perDayEmailLimit": limit,
                "defaultScheduleId": 127 + i,
            }
            for i, name in enumerate(SANDBOX_ASSISTANTS)
        ]
    )


def prepare(
    folder: Path, *, rows: int, big_rows: int, small_rows: int, sandbox_rows: int, log: bool = True
) -> Inputs:
    """Generate (or reuse) every input in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    inp = Inputs(
        folder=folder,
        xlsx=folder / f"leads_{rows}.xlsx",
        csv=folder / f"leads_{rows}.csv",
        big_csv=folder / f"leads_{big_rows}.csv",
        small_xlsx=folder / f"leads_{small_rows}.xlsx",
        assistants=folder / "assistants.json",
        sandbox_leads=folder / f"sandbox_leads_{sandbox_rows}.csv",
        sandbox_assistants=folder / "sandbox_assistants.json",
        rows=rows,
        big_rows=big_rows,
        small_rows=small_rows,
        sandbox_rows=sandbox_rows,
    )
    stamp = folder / "recipe.json"
    recipe = {"recipe": RECIPE, "seed": SEED}
    if not stamp.is_file() or json.loads(stamp.read_text()) != recipe:
        for old in folder.glob("leads_*"):
            old.unlink()
        stamp.write_text(json.dumps(recipe))
    jobs: list[tuple[Path, Callable[[Path], None]]] = [
        (inp.xlsx, lambda p: write_xlsx(p, rows)),
        (inp.csv, lambda p: write_csv(p, rows)),
        (inp.big_csv, lambda p: write_csv(p, big_rows)),
        (inp.small_xlsx, lambda p: write_xlsx(p, small_rows)),
        (inp.sandbox_leads, lambda p: write_sandbox_leads(p, sandbox_rows)),
    ]
    for path, make in jobs:
        if not path.is_file():
            if log:
                print(f"bench: generating {path}", flush=True)
            make(path)
    inp.assistants.write_text(assistants_json())
    inp.sandbox_assistants.write_text(sandbox_assistants_json(1_000_000))
    return inp
