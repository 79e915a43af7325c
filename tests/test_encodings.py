"""Which code page a CSV that is not UTF-8 was written in (Windows, Mac, MS-DOS Excel)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from leadbatch.read import read_leads
from leadbatch.read.files import single_byte_page

ACCENTED = ["Jürgen Müller", "François Lefèvre", "José García", "Zoë Brontë", "Søren Kierkegård",
            "Ángel Núñez", "Björn Öberg", "Hélène Dupré", "Grüße AG", "MÜLLER GmbH", "Åsa Ström",
            "Renée Noël", "Çelik Ltd"]
PLAIN = ["John Smith", "Mary Jones", "Ravi Kumar", "Anna Lee", "Tom Hardy"]


def sheet_text(rnd: random.Random) -> str:
    # A lead file with only one to three accented names among plain ones: the hard case.
    rows = [rnd.choice(PLAIN) for _ in range(rnd.randint(5, 200))]
    for _ in range(rnd.randint(1, 3)):
        rows.insert(rnd.randrange(len(rows) + 1), rnd.choice(ACCENTED))
    return "Email,First Name,Last Name\n" + "".join(
        f"p{i}@x.com,{n.split()[0]},{n.split()[-1]}\n" for i, n in enumerate(rows))


@pytest.mark.parametrize("page", ["cp1252", "mac_roman"])
def test_windows_and_mac_files_are_told_apart(page: str) -> None:
    rnd = random.Random(page)
    for _ in range(300):
        data = sheet_text(rnd).encode(page)
        assert single_byte_page(data) == page, data.decode(page)[:80]


def test_an_ms_dos_file_with_many_accents_is_read_as_one() -> None:
    text = "Email,Name\n" + "".join(f"p{i}@x.de,{n}\n" for i, n in enumerate(ACCENTED * 3))
    assert single_byte_page(text.encode("cp850")) == "cp850"


def test_a_mac_csv_reads_its_names_as_written(tmp_path: Path) -> None:
    path = tmp_path / "mac.csv"
    path.write_bytes("First Name,Last Name,Email\rJürgen,Müller,j@x.de\rAnn,Lee,a@x.com\r"
                     .encode("mac_roman"))
    sheet = read_leads(path)
    assert [(r.name, r.values["Last Name"]) for r in sheet.rows] == [
        ("Jürgen", "Müller"), ("Ann", "Lee")]


def test_utf8_and_windows_lines_pasted_together_each_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "pasted.csv"
    path.write_bytes("Name,Email\nJürgen,j@x.de\n".encode() + "Zoë,z@x.fr\n".encode("cp1252"))
    assert [r.name for r in read_leads(path).rows] == ["Jürgen", "Zoë"]
