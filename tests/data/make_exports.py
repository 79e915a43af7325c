"""The real-export corpus: lead files shaped the way CRMs, list tools and spreadsheets export.

    python tests/data/make_exports.py [OUT_DIR]

writes every file into OUT_DIR (default: tests/data/exports) and `expected.json`: how many
rows each has, how many `leadbatch validate` must accept, the settings it is read with,
and a few leads checked field by field. Each file follows its tool's documented export
columns and value formats (header names, phone and date styles, encodings, delimiters,
title and footer lines); the people and companies are made up. Files are written with the
csv module, raw bytes, openpyxl, xlwt and odfpy, never with the reader under test.

The rows a file may lose are only the truly unusable ones (no email, a broken address, a
true duplicate, a pinned day that is no sending day), each listed in `invalid`.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import xlwt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sheet_writers import write_ods

HERE = Path(__file__).resolve().parent
TODAY = "2026-12-01"  # the day the expectations hold for (a Tuesday)

PEOPLE = [  # first, last, company, city
    ("Priya", "Sharma", "Acme Analytics", "Pune"), ("John", "Miller", "Northwind", "Austin"),
    ("Jürgen", "Müller", "Grüne Technik GmbH", "München"), ("Zoë", "Lefèvre", "Crème SARL", "Lyon"),
    ("José", "García", "Peñalara SL", "Madrid"), ("Ana", "Conceição", "Luz Ltda", "Lisboa"),
    ("Giulia", "Rossi", "Fiorentina SpA", "Firenze"), ("Daan", "de Vries", "Molen BV", "Utrecht"),
    ("Søren", "Kierkegård", "Nordlys ApS", "Aarhus"), ("Mary", "O'Brien", "Shamrock Ltd", "Dublin"),
    ("Wei", "Chen", "Lotus Trading", "Singapore"), ("Aisha", "Khan", "Crescent LLC", "Dubai"),
    ("Björn", "Öberg", "Fjäll AB", "Umeå"), ("Renée", "Noël", "Étoile SA", "Genève"),
    ("Ravi", "Kumar", "Indus Systems", "Bengaluru"), ("Emma", "Brown", "Thames Works", "London"),
    ("Lukas", "Schmidt", "Rhein AG", "Köln"), ("Sofia", "Bianchi", "Lago Srl", "Como"),
    ("Carlos", "Núñez", "Andes SA", "Bogotá"), ("Hannah", "Fischer", "Alpen GmbH", "Wien"),
]


def email(first: str, last: str, domain: str) -> str:
    plain = {"ü": "u", "ö": "o", "ë": "e", "è": "e", "é": "e", "ç": "c", "ã": "a", "í": "i",
             "ø": "o", "å": "a", "ú": "u", "á": "a", "ñ": "n", "'": "", " ": ""}
    local = f"{first}.{last}".lower()
    return "".join(plain.get(c, c) for c in local) + "@" + domain


@dataclass
class Export:
    """One corpus file and what validate must make of it."""

    name: str
    tool: str
    rows: int
    accepted: int
    settings: dict[str, str] = field(default_factory=dict)  # validate's options, without --
    invalid: list[int] = field(default_factory=list)  # the sheet rows that are truly unusable
    checks: dict[int, dict[str, Any]] = field(default_factory=dict)  # row -> lead fields
    warned: list[int] = field(default_factory=list)  # rows that must carry a warning


Maker = Callable[[Path], Export]
MAKERS: list[Maker] = []


def maker(f: Maker) -> Maker:
    MAKERS.append(f)
    return f


def csv_bytes(rows: Sequence[Sequence[Any]], *, delimiter: str = ",", line: str = "\r\n",
              encoding: str = "utf-8", bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=line).writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


def xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "Sheet1"
    for row in rows:
        ws.append(list(row))
    book.save(path)


def xls(path: Path, rows: Sequence[Sequence[Any]], sheet: str = "Sheet1") -> None:
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value not in (None, ""):
                ws.write(r, c, value)
    book.save(str(path))


# --- CRMs ------------------------------------------------------------------------------------

@maker
def hubspot(out: Path) -> Export:
    # HubSpot "Export view" (CSV): property labels as headers, phones as people type them,
    # the country as a name in Country/Region, dates as "YYYY-MM-DD HH:MM".
    header = ["Record ID", "First Name", "Last Name", "Email", "Phone Number",
              "Mobile Phone Number", "Company Name", "Job Title", "Country/Region", "City",
              "Create Date", "Lifecycle Stage", "Contact owner"]
    phones = [("(650) 253-0000", "United States"), ("+44 20 7946 0958", "United Kingdom"),
              ("030 1234567", "Germany"), ("07911 123456", "United Kingdom"),
              ("098765 43210", "India"), ("+1 650-253-0001 ext. 204", "United States"),
              ("06 12345678", "Netherlands"), ("", "France")]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, city) in enumerate(PEOPLE[:16]):
        phone, country = phones[i % len(phones)]
        rows.append([str(51234000 + i), first, last, email(first, last, "hub.example"), phone,
                     "", company, "Head of Sales", country, city, f"2024-03-{i + 1:02d} 10:22",
                     "Lead", "ops@hub.example"])
    (out / "hubspot-contacts.csv").write_bytes(csv_bytes(rows))
    return Export("hubspot-contacts.csv", "HubSpot", 16, 16, checks={
        2: {"phone": "+16502530000", "name": "Priya", "last_name": "Sharma"},
        4: {"phone": "+49301234567"}, 5: {"phone": "+447911123456"},
        6: {"phone": "+919876543210"}, 7: {"phone": "+16502530001 ext. 204"},
        8: {"phone": "+31612345678"}})


@maker
def hubspot_xlsx(out: Path) -> Export:
    # The same export saved as Excel: Record ID and dates as numbers and datetimes.
    import datetime as dt
    header = ["Record ID", "First Name", "Last Name", "Email", "Phone Number", "Company Name",
              "Country/Region", "Create Date"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, _) in enumerate(PEOPLE[:10]):
        rows.append([51234000 + i, first, last, email(first, last, "hubx.example"),
                     6502530000 + i if i % 2 else f"+44 20 7946 09{i:02d}", company,
                     "United States" if i % 2 else "United Kingdom",
                     dt.datetime(2024, 3, i + 1, 10, 22)])
    xlsx(out / "hubspot-contacts.xlsx", rows)
    return Export("hubspot-contacts.xlsx", "HubSpot (xlsx)", 10, 10,
                  checks={3: {"phone": "+16502530001"}, 2: {"phone": "+442079460900"}})


def salesforce_footer(company: str) -> list[list[str]]:
    return [[""], ["Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."],
            ["Confidential Information - Do Not Distribute"],
            ["Generated By:  Jane Admin  12/1/2026, 9:15 AM"], [company]]


@maker
def salesforce_report_csv(out: Path) -> Export:
    # A Salesforce report exported "Details Only" as CSV: its footer block below the data.
    header = ["Lead ID", "First Name", "Last Name", "Title", "Company / Account", "Email",
              "Phone", "Mobile", "Lead Source", "Lead Status", "Country", "Create Date"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, _) in enumerate(PEOPLE[:12]):
        rows.append([f"00Q5g00000AbC{i:03d}", first, last, "VP Sales", company,
                     email(first, last, "sf.example"), f"(415) 555-01{i:02d}", "", "Web",
                     "Open - Not Contacted", "USA", f"{i % 12 + 1}/{i + 3}/2026"])
    rows.append(["00Q5g00000AbC999", "No", "Address", "", "Ghost Inc", "", "", "", "", "", "USA",
                 "3/3/2026"])
    rows += salesforce_footer("Acme Inc.")
    (out / "salesforce-report.csv").write_bytes(csv_bytes(rows))
    return Export("salesforce-report.csv", "Salesforce report (CSV)", 13, 12, invalid=[14],
                  checks={2: {"phone": "+14155550100", "source": "Web"}})


@maker
def salesforce_report_xls(out: Path) -> Export:
    # The report's "Export > Formatted" .xls: title lines above the header, the footer below.
    header = ["First Name", "Last Name", "Email", "Phone", "Mailing Country", "Account Name"]
    rows: list[list[Any]] = [["Contacts with Email"], ["Acme Inc."], [""], header]
    for i, (first, last, company, _) in enumerate(PEOPLE[2:12]):
        rows.append([first, last, email(first, last, "sfx.example"), f"0{30 + i} 1234567",
                     "Germany", company])
    rows += salesforce_footer("Acme Inc.")
    xls(out / "salesforce-report.xls", rows)
    return Export("salesforce-report.xls", "Salesforce report (formatted xls)", 10, 10,
                  checks={5: {"name": "Jürgen", "last_name": "Müller", "phone": "+49301234567"}})


@maker
def salesforce_dataloader(out: Path) -> Export:
    # Data Loader extracts: API names in capitals, 18-character ids, ISO timestamps.
    header = ["ID", "FIRSTNAME", "LASTNAME", "EMAIL", "PHONE", "MOBILEPHONE", "COMPANY",
              "COUNTRY", "CREATEDDATE"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, _) in enumerate(PEOPLE[:10]):
        rows.append([f"00Q5g00000AbCdEAA{i}", first, last, email(first, last, "dl.example"),
                     f"415555{i:04d}" if i % 2 else "", f"+91 98765 4321{i}" if not i % 2 else "",
                     company, "US", f"2024-03-{i + 1:02d}T10:22:11.000Z"])
    (out / "salesforce-dataloader.csv").write_bytes(csv_bytes(rows, line="\n"))
    return Export("salesforce-dataloader.csv", "Salesforce Data Loader", 10, 10,
                  checks={2: {"phone": "+919876543210"}, 3: {"phone": "+14155550001"}})


@maker
def pipedrive(out: Path) -> Export:
    # Pipedrive "Export people": every column prefixed "Person - ", email and phone by label.
    header = ["Person - Name", "Person - First name", "Person - Last name",
              "Person - Email - Work", "Person - Email - Home", "Person - Phone - Work",
              "Person - Phone - Mobile", "Person - Organization", "Person - Add time",
              "Person - Owner"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, _) in enumerate(PEOPLE[:12]):
        work = "" if i % 4 == 3 else email(first, last, "pd.example")
        rows.append([f"{first} {last}", first, last, work, email(first, last, "home.example"),
                     "" if i % 3 else "+1 212 555 0100", f"+44 7911 12345{i % 10}",
                     company, f"2024-03-{i + 1:02d} 10:22:11", "Sam Seller"])
    (out / "pipedrive-people.csv").write_bytes(csv_bytes(rows))
    return Export("pipedrive-people.csv", "Pipedrive", 12, 12, checks={
        2: {"email": "priya.sharma@pd.example", "phone": "+12125550100"},
        5: {"email": "zoe.lefevre@home.example", "phone": "+12125550100"},
        6: {"email": "jose.garcia@pd.example", "phone": "+447911123454"}})


@maker
def zoho(out: Path) -> Export:
    header = ["Record Id", "Lead Owner", "Company", "First Name", "Last Name", "Email",
              "Secondary Email", "Phone", "Mobile", "Country", "Lead Source", "Created Time"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, _) in enumerate(PEOPLE[:12]):
        rows.append([f"zcrm_41508680000002240{i:02d}", "Ravi Owner", company, first, last,
                     email(first, last, "zoho.example") if i != 5 else "",
                     email(first, last, "alt.example"), f"0{20 + i} 7946 0{i:03d}", "", "UK",
                     "Cold Call", f"2024-03-{i + 1:02d} 10:22:11"])
    rows.append(["zcrm_4150868000000224099", "Ravi Owner", "Dup Ltd", "Priya", "Sharma",
                 "PRIYA.SHARMA@zoho.example", "", "", "", "UK", "", ""])
    (out / "zoho-leads.csv").write_bytes(csv_bytes(rows))
    return Export("zoho-leads.csv", "Zoho CRM", 13, 12, invalid=[14], checks={
        7: {"email": "ana.conceicao@alt.example"}, 2: {"phone": "+442079460000"}})


# --- list tools ------------------------------------------------------------------------------

@maker
def apollo(out: Path) -> Export:
    header = ["First Name", "Last Name", "Title", "Company", "Company Name for Emails", "Email",
              "Email Status", "Seniority", "Work Direct Phone", "Mobile Phone", "Corporate Phone",
              "Person Linkedin Url", "City", "State", "Country", "Email Sent", "Apollo Contact Id"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, city) in enumerate(PEOPLE[:14]):
        direct = ["'+1 650-253-0000", "+1 650-253-0001 ext. 12", "", "+49 30 1234567"][i % 4]
        rows.append([first, last, "CTO", company, company, email(first, last, "apollo.example"),
                     "Verified", "c_suite", direct, "+44 7911 123456" if i % 4 == 2 else "",
                     "+1 212-555-0199", f"http://www.linkedin.com/in/{first.lower()}{i}", city, "",
                     "United States", "false", f"64f1c0{i:04d}"])
    rows.append(["Broken", "Address", "CEO", "X", "X", "broken@", "Unavailable", "", "", "", "",
                 "", "", "", "", "false", "64f1c09999"])
    (out / "apollo-contacts.csv").write_bytes(csv_bytes(rows))
    return Export("apollo-contacts.csv", "Apollo", 15, 14, invalid=[16], checks={
        2: {"phone": "+16502530000"}, 3: {"phone": "+16502530001 ext. 12"},
        4: {"phone": "+447911123456"}, 5: {"phone": "+49301234567"}})


@maker
def evaboot(out: Path) -> Export:
    # Evaboot's Sales Navigator export: First Name and Last Name beside Full Name.
    header = ["First Name", "Last Name", "Full Name", "Email", "Email Status", "Job Title",
              "Company", "Company Domain", "Linkedin URL", "Location", "Country"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, city) in enumerate(PEOPLE[:10]):
        rows.append([first, last, f"{first} {last}", email(first, last, "eva.example"),
                     "safe to send", "Founder", company, "eva.example",
                     f"https://www.linkedin.com/in/{first.lower()}-{i}", city, "Germany"])
    (out / "evaboot-salesnav.csv").write_bytes(csv_bytes(rows))
    return Export("evaboot-salesnav.csv", "Evaboot", 10, 10,
                  checks={4: {"name": "Jürgen", "last_name": "Müller"}})


@maker
def phantombuster(out: Path) -> Export:
    # Phantombuster's Sales Navigator Search Export: camelCase headers, a full name only on
    # some rows, ISO timestamps.
    header = ["profileUrl", "fullName", "firstName", "lastName", "companyName", "title",
              "location", "email", "timestamp"]
    rows: list[list[Any]] = [header]
    for i, (first, last, company, city) in enumerate(PEOPLE[:10]):
        rows.append([f"https://www.linkedin.com/sales/lead/ACwAA{i}", f"{first} {last}", first,
                     last, company, "Director", city, email(first, last, "pb.example"),
                     f"2026-11-2{i % 9}T10:22:11.123Z"])
    (out / "phantombuster-salesnav.csv").write_bytes(csv_bytes(rows))
    return Export("phantombuster-salesnav.csv", "Phantombuster", 10, 10,
                  checks={5: {"name": "Zoë", "last_name": "Lefèvre"}})


@maker
def full_name_only(out: Path) -> Export:
    # A list that has only a "Full Name": split into the first and the last name.
    rows: list[list[Any]] = [["Full Name", "Work Email", "Company"]]
    for first, last, company, _ in PEOPLE[:8]:
        rows.append([f"{first} {last}", email(first, last, "full.example"), company])
    rows.append(["Doe, Jane", "jane.doe@full.example", "Doe Inc"])
    (out / "full-name-list.csv").write_bytes(csv_bytes(rows))
    return Export("full-name-list.csv", "a list with full names", 9, 9, checks={
        9: {"name": "Daan", "last_name": "de Vries"}, 10: {"name": "Jane", "last_name": "Doe"}})


# --- spreadsheets ----------------------------------------------------------------------------

@maker
def google_sheets_us(out: Path) -> Export:
    # Google Sheets "Download > CSV" in a US locale: month-first dates without zeros.
    rows: list[list[Any]] = [["Name", "Email", "Phone", "Send Date"]]
    days = ["12/3/2026", "12/23/2026", "1/4/2027", "1/12/2027", "2/1/2027", "12/14/2026",
            "1/5/2027", "3/2/2027", "12/9/2026", "1/11/2027"]
    for i, (first, last, _, _) in enumerate(PEOPLE[:20]):
        rows.append([first, email(first, last, "gs.example"), f"(650) 253-00{i:02d}",
                     days[i % len(days)]])
    (out / "google-sheets-us.csv").write_bytes(csv_bytes(rows, line="\n"))
    return Export("google-sheets-us.csv", "Google Sheets (US)", 20, 20,
                  settings={"phone-region": "US"}, checks={
                      2: {"send_date": "2026-12-03", "phone": "+16502530000"},
                      6: {"send_date": "2027-02-01"}, 9: {"send_date": "2027-03-02"}})


@maker
def excel_de_semicolon(out: Path) -> Export:
    # German Excel "CSV (Trennzeichen-getrennt)": semicolons, Windows-1252, dotted dates.
    rows: list[list[Any]] = [["Vorname", "Nachname", "E-Mail-Adresse", "Telefon", "Firma",
                              "Land", "Versanddatum"]]
    for i, (first, last, company, _) in enumerate(PEOPLE[:12]):
        rows.append([first, last, email(first, last, "de.example"), f"030 12345{i:02d}",
                     company, "Deutschland", f"0{i % 9 + 1}.12.2026" if i % 3 else ""])
    data = csv_bytes(rows, delimiter=";", encoding="cp1252")
    (out / "excel-de-semikolon.csv").write_bytes(data)
    # 1.12. (a Tuesday) is the earliest; 05.12. and 06.12. are a weekend: not sending days.
    return Export("excel-de-semikolon.csv", "Excel (German, semicolon)", 12, 10,
                  invalid=[6, 7], checks={3: {"send_date": "2026-12-02", "phone": "+493012345"
                                               "01", "name": "John"},
                                          4: {"name": "Jürgen", "last_name": "Müller"}})


@maker
def excel_mac(out: Path) -> Export:
    # Excel for Mac "CSV (Macintosh)": Mac Roman, CR line ends.
    rows: list[list[Any]] = [["First Name", "Last Name", "Email", "Company"]]
    for first, last, company, _ in PEOPLE[:12]:
        rows.append([first, last, email(first, last, "mac.example"), company])
    (out / "excel-mac.csv").write_bytes(csv_bytes(rows, line="\r", encoding="mac_roman"))
    return Export("excel-mac.csv", "Excel (CSV Macintosh)", 12, 12, checks={
        4: {"name": "Jürgen", "last_name": "Müller"}, 5: {"name": "Zoë"},
        10: {"name": "Søren", "last_name": "Kierkegård"}})


@maker
def excel_unicode_text(out: Path) -> Export:
    # Excel "Unicode Text": UTF-16 with a BOM, tab-separated.
    rows: list[list[Any]] = [["First_Name", "Last_Name", "Email_ID", "Country_Code",
                              "Phone_Number", "Lead Company"]]
    for i, (first, last, company, _) in enumerate(PEOPLE[:10]):
        rows.append([first, last, email(first, last, "u16.example"), ["91", "UK", "India",
                     "United States", "+49"][i % 5], ["9876543210", "7911123456", "98765 43210",
                     "650 253 0000", "30 1234567"][i % 5], company])
    out_text = io.StringIO(newline="")
    csv.writer(out_text, delimiter="\t", lineterminator="\r\n").writerows(rows)
    (out / "excel-unicode-text.txt").write_bytes(b"\xff\xfe" + out_text.getvalue().encode("utf-16-le"))
    return Export("excel-unicode-text.txt", "Excel (Unicode Text)", 10, 10, checks={
        3: {"phone": "+447911123456"}, 4: {"phone": "+919876543210"},
        5: {"phone": "+16502530000"}, 6: {"phone": "+49301234567"}})


@maker
def excel_fr_utf8(out: Path) -> Export:
    # French Excel "CSV UTF-8": a BOM, semicolons, "Nom" beside "Prénom" is the family name.
    rows: list[list[Any]] = [["Prénom", "Nom", "Adresse e-mail", "Téléphone", "Société", "Pays"]]
    for i, (first, last, company, _) in enumerate(PEOPLE[:10]):
        rows.append([first, last, email(first, last, "fr.example"), f"06 12 34 56 {i:02d}",
                     company, "France"])
    (out / "excel-fr-utf8.csv").write_bytes(csv_bytes(rows, delimiter=";", bom=True))
    return Export("excel-fr-utf8.csv", "Excel (French, CSV UTF-8)", 10, 10, checks={
        5: {"name": "Zoë", "last_name": "Lefèvre", "phone": "+33612345603"}})


@maker
def spanish_xlsx(out: Path) -> Export:
    rows: list[list[Any]] = [["Nombre", "Apellidos", "Correo electrónico", "Teléfono",
                              "Empresa", "País"]]
    for i, (first, last, company, _) in enumerate(PEOPLE[:8]):
        rows.append([first, last, email(first, last, "es.example"), f"612 34 56 {i:02d}",
                     company, "España"])
    xlsx(out / "export-es.xlsx", rows)
    return Export("export-es.xlsx", "a Spanish export (xlsx)", 8, 8, checks={
        6: {"name": "José", "last_name": "García", "phone": "+34612345604"}})


@maker
def italian_xls(out: Path) -> Export:
    rows: list[list[Any]] = [["Nome", "Cognome", "Indirizzo email", "Cellulare", "Azienda",
                              "Paese"]]
    for i, (first, last, company, _) in enumerate(PEOPLE[:8]):
        rows.append([first, last, email(first, last, "it.example"), f"312 345 67{i:02d}",
                     company, "Italia"])
    xls(out / "export-it.xls", rows, sheet="Contatti")
    return Export("export-it.xls", "an Italian export (xls)", 8, 8, checks={
        8: {"name": "Giulia", "phone": "+393123456706"}})


@maker
def portuguese_dutch_ods(out: Path) -> Export:
    rows: list[list[Any]] = [["Voornaam", "Achternaam", "E-mailadres", "Telefoonnummer",
                              "Bedrijf", "Land"]]
    for i, (first, last, company, _) in enumerate(PEOPLE[:8]):
        rows.append([first, last, email(first, last, "nl.example"), f"06 1234 56{i:02d}",
                     company, "Nederland"])
    write_ods(out / "export-nl.ods", rows)
    return Export("export-nl.ods", "a Dutch export (ods)", 8, 8, checks={
        9: {"name": "Daan", "last_name": "de Vries", "phone": "+31612345607"}})


@maker
def seventargets_upload(out: Path) -> Export:
    # 7Targets' own Excel upload sheet, with its documented mixed date styles.
    import datetime as dt
    header = ["First_Name", "Last_Name", "Email_ID", "Country_Code", "Phone_Number",
              "Lead Company", "Lead Designation", "Linkedin Profile URL", "location",
              "Start Email Sending Date"]
    dates: list[Any] = ["2027-01-20", "2027-01-14T00:00:00", "20. Jan. 2027", "14 Jan 27",
                        dt.datetime(2027, 1, 18), "", "2027-01-16"]  # the last: a Saturday
    rows: list[list[Any]] = [header]
    for i, (first, last, company, city) in enumerate(PEOPLE[:14]):
        rows.append([first, last, email(first, last, "7t.example"), ["UK", "India", "+1"][i % 3],
                     ["7911 123456", "98765 43210", "(650) 253-0000"][i % 3], company,
                     "Manager", f"https://linkedin.com/in/{i}", city, dates[i % len(dates)]])
    xlsx(out / "7targets-upload.xlsx", rows)
    return Export("7targets-upload.xlsx", "7Targets upload sheet", 14, 12, invalid=[8, 15],
                  checks={2: {"phone": "+447911123456", "send_date": "2027-01-20"},
                          3: {"phone": "+919876543210", "send_date": "2027-01-14"},
                          4: {"phone": "+16502530000", "send_date": "2027-01-20"},
                          5: {"send_date": "2027-01-14"}})


@maker
def no_country(out: Path) -> Export:
    # Phones with no country anywhere and no setting: sent as written, with a warning.
    rows: list[list[Any]] = [["Name", "Email", "Phone"]]
    for i, (first, last, _, _) in enumerate(PEOPLE[:5]):
        rows.append([first, email(first, last, "nc.example"), f"(650) 253-00{i:02d}"])
    (out / "no-country.csv").write_bytes(csv_bytes(rows))
    return Export("no-country.csv", "phones without a country", 5, 5, warned=[2, 3, 4, 5, 6],
                  checks={2: {"phone": "(650) 253-0000"}})


def build(out: Path) -> list[Export]:
    out.mkdir(parents=True, exist_ok=True)
    made = [m(out) for m in MAKERS]
    for e in made:
        e.checks = {k: v for k, v in e.checks.items() if v}
    (out / "expected.json").write_text(json.dumps(
        {"today": TODAY, "files": [asdict(e) for e in made]}, indent=1, ensure_ascii=False) + "\n",
        encoding="utf-8")
    return made


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "exports"
    for e in build(target):
        print(f"{e.name}: {e.tool}, {e.rows} rows, {e.accepted} to accept")
