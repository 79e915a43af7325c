"""Regenerate the bundled sample data (deterministic: same output every run).

    python sample_data/make_samples.py [OUTPUT_FOLDER]

Writes, beside this script unless a folder is given:
- leads.csv, leads.xlsx: 50 clean leads in the layout of 7Targets' own Excel upload
  (First_Name, Last_Name, Email_ID, Country_Code, Phone_Number, Lead Company, ...);
  a few carry a Start Email Sending Date (all in 2030) or an Assistant.
- assistants.json: the API seed's two assistants (limit 200 a day each);
  assistants-small.json: the same two at 10 a day, so a demo plan visibly spreads.
- messy.xlsx: a sheet with the mistakes `leadbatch validate` reports (and the Excel habits
  it quietly undoes).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

import xlsxwriter

HERE = Path(__file__).resolve().parent
SEED = 20241120
CREATED = dt.datetime(2025, 1, 1)  # fixed document date: reproducible .xlsx bytes

HEADERS = [
    "First_Name", "Last_Name", "Email_ID", "Country_Code", "Phone_Number", "Lead Company",
    "Lead Designation", "Lead Industry", "location", "Linkedin Profile URL",
    "Start Email Sending Date", "Assistant",
]

FIRST = ["Priya", "Rahul", "Ananya", "Vikram", "Emily", "James", "Sophie", "Liam", "Hannah",
         "Lukas", "Mia", "Noah", "Chloe", "Arjun", "Isabella", "Ethan", "Olivia", "Kabir",
         "Grace", "Daniel", "Meera", "Oscar", "Aisha", "Lucas", "Zara"]
LAST = ["Sharma", "Gupta", "Iyer", "Nair", "Carter", "Wilson", "Brown", "Murphy", "Schmidt",
        "Weber", "Fischer", "Taylor", "Martin", "Reddy", "Rossi", "Clarke", "Evans", "Singh",
        "Lee", "Walker", "Menon", "Hughes", "Khan", "Moreau", "Ali"]
COMPANIES = ["Acme Analytics", "Bluepeak Software", "Cobalt Logistics", "Driftwood Media",
             "Evergreen Health", "Foxglove Retail", "Granite Fintech", "Harbor Robotics",
             "Ironleaf Foods", "Juniper Energy"]
TITLES = ["CTO", "VP Sales", "Head of Marketing", "Founder", "Procurement Manager",
          "Director of Operations", "CEO", "Sales Manager"]
INDUSTRIES = ["Software", "Logistics", "Media", "Healthcare", "Retail", "Fintech",
              "Robotics", "Food", "Energy"]
# (country code, location, national number pattern: first digits + total length)
PLACES = [(91, "Pune", "9", 10), (91, "Bengaluru", "8", 10), (1, "Austin", "512", 10),
          (44, "London", "7", 10), (49, "Berlin", "151", 11), (61, "Sydney", "4", 9)]

ASHLEY = "missashley@7targets.7ts-d.com"
LYRA = "lyra@7targets.7ts-d.com"


def assistants(limit: int) -> list[dict[str, Any]]:
    """The seed's two assistants, in the API's own JSON shape."""
    return [
        {"id": 61, "name": "Ashley", "organisationId": 45, "emailid": ASHLEY,
         "description": "7Targets AI Assistant is helping the Sales team productivity",
         "role": "BDE", "defaultScheduleId": 127, "defaultScheduleIdForEmailCC": 3618,
         "perDayEmailLimit": limit},
        {"id": 135, "name": "Lyraa", "organisationId": 45, "emailid": LYRA,
         "description": None, "role": None, "defaultScheduleId": 135,
         "defaultScheduleIdForEmailCC": 3619, "perDayEmailLimit": limit},
    ]


def leads(rng: random.Random, count: int = 50) -> list[dict[str, Any]]:
    pinned_days = iter(sorted(rng.sample(range(30), 8)))
    out: list[dict[str, Any]] = []
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        company = COMPANIES[rng.randrange(len(COMPANIES))]
        domain = company.lower().replace(" ", "") + ".example"
        code, city, prefix, length = PLACES[rng.randrange(len(PLACES))]
        national = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))
        lead: dict[str, Any] = {
            "First_Name": first,
            "Last_Name": last,
            "Email_ID": f"{first}.{last}{i}@{domain}".lower(),
            "Country_Code": str(code) if i % 9 else "",
            "Phone_Number": national if i % 9 else "",
            "Lead Company": company,
            "Lead Designation": TITLES[rng.randrange(len(TITLES))],
            "Lead Industry": INDUSTRIES[rng.randrange(len(INDUSTRIES))],
            "location": city,
            "Linkedin Profile URL": f"https://www.linkedin.com/in/{first}-{last}-{i}".lower(),
            "Start Email Sending Date": None,
            "Assistant": "",
        }
        # The first leads stay unpinned (the demo sends them today); a few later ones are
        # pinned to weekdays in 2030 (far enough ahead that the demo stays valid for years)
        # or to one assistant.
        if i >= 10 and i % 5 == 0:
            day = dt.date(2030, 3, 1) + dt.timedelta(days=next(pinned_days, 0))
            while day.weekday() >= 5:
                day += dt.timedelta(days=1)
            lead["Start Email Sending Date"] = day
        if i in (12, 31):
            lead["Assistant"] = LYRA if i == 12 else ASHLEY
        out.append(lead)
    return out


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADERS, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            day = row["Start Email Sending Date"]
            writer.writerow(row | {"Start Email Sending Date": day.isoformat() if day else ""})


def write_xlsx(path: Path, rows: list[dict[str, Any]]) -> None:
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    book.set_properties({"title": "leadbatch sample leads", "created": CREATED})
    ws = book.add_worksheet("Leads")
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS, bold)
    for r, row in enumerate(rows, start=1):
        for c, header in enumerate(HEADERS):
            value = row[header]
            if isinstance(value, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
            elif value:
                ws.write_string(r, c, value)
    ws.set_column(0, len(HEADERS) - 1, 18)
    book.close()


def write_messy(path: Path) -> None:
    """Every habit of a hand-kept sheet, one per row (comments say what validate does)."""
    book = xlsxwriter.Workbook(path, {"strings_to_numbers": False})
    book.set_properties({"title": "leadbatch messy sample", "created": CREATED})
    ws = book.add_worksheet("Leads")
    headers = ["First_Name", "Last_Name", "Email_ID ", "Country_Code", "Phone_Number",
               "Lead Company", "Start Email Sending Date", "action"]
    ws.write_row(0, 0, headers)
    rows: list[list[Any]] = [
        # 2: stray spaces and a mixed-case email: cleaned, valid
        ["  Priya ", "Sharma ", " Priya.Sharma@Acme-Analytics.example ", "91", "98123 45678",
         "Acme Analytics", "", "create"],
        # 3: a domain without a dot: invalid email
        ["Rahul", "Gupta", "rahul.gupta@acme", "91", "9812345679", "Acme Analytics", "", ""],
        # 4: no name: invalid
        ["", "Iyer", "ananya.iyer@bluepeak.example", "", "", "Bluepeak Software", "", ""],
        # 5: the row-2 email in capitals: duplicate of row 2
        ["Priya", "S.", "PRIYA.SHARMA@acme-analytics.example", "", "", "Acme Analytics", "", ""],
        # 6: a phone typed as a number (Excel dropped the +): read as +919812345680
        ["Vikram", "Nair", "vikram.nair@cobalt.example", "", 919812345680, "Cobalt Logistics",
         "", ""],
        # 7: a date stored as a serial number: read as 2027-03-15
        ["Emily", "Carter", "emily.carter@driftwood.example", "1", "512 555 0134",
         "Driftwood Media", 46461, ""],
        # 8: 03/04/2027: 3 April or March 4? ambiguous, refused
        ["James", "Wilson", "james.wilson@evergreen.example", "", "", "Evergreen Health",
         "03/04/2027", ""],
        # 9: a date in the past
        ["Sophie", "Brown", "sophie.brown@foxglove.example", "", "", "Foxglove Retail",
         "2024-11-20", ""],
        # 10: formulas: their cached values are used
        [("=PROPER(\"anna\")", "Anna"), "Berg", ("=LOWER(\"Anna.Berg@Granite.example\")",
         "anna.berg@granite.example"), "", "", "Granite Fintech", "20. Nov. 2027", ""],
        # 11, 12: blank rows: skipped
        [], [],
        # 13: an action leadbatch does not know
        ["Liam", "Murphy", "liam.murphy@harbor.example", "", "", "Harbor Robotics", "",
         "delete"],
        # 14: a display name around the address
        ["Hannah", "Schmidt", "Hannah Schmidt <hannah@ironleaf.example>", "", "",
         "Ironleaf Foods", "", ""],
        # 15: a phone number too short for its country
        ["Lukas", "Weber", "lukas.weber@juniper.example", "91", "98765", "Juniper Energy", "", ""],
        # 16: 7Targets' "14 Nov 24" style, in the future: valid
        ["Mia", "Fischer", "mia.fischer@juniper.example", "44", "07700 900123",
         "Juniper Energy", "14 Nov 27", "create"],
        # 17: update without an id: found by email, valid
        ["Noah", "Taylor", "noah.taylor@acme-analytics.example", "", "", "Acme Analytics", "",
         "Update"],
    ]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, tuple):
                ws.write_formula(r, c, value[0], None, value[1])
            elif isinstance(value, int):
                ws.write_number(r, c, value)  # no date format: a bare serial
            elif value:
                ws.write_string(r, c, value)
    ws.set_column(0, len(headers) - 1, 20)
    book.close()


def main(out: Path = HERE) -> None:
    rng = random.Random(SEED)
    rows = leads(rng)
    write_csv(out / "leads.csv", rows)
    write_xlsx(out / "leads.xlsx", rows)
    write_messy(out / "messy.xlsx")
    for name, limit in (("assistants.json", 200), ("assistants-small.json", 10)):
        (out / name).write_text(json.dumps(assistants(limit), indent=2) + "\n", encoding="utf-8")
    print(f"wrote leads.csv, leads.xlsx ({len(rows)} leads), messy.xlsx, assistants.json, "
          f"assistants-small.json in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
