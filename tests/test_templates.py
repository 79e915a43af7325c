"""The files in templates/: the commented leadbatch.toml and the CSV input template."""

import datetime as dt
from pathlib import Path

from leadbatch.config import load_plan_settings
from leadbatch.read import read_leads
from leadbatch.workbook import TEMPLATE_COLUMNS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_example_config_loads() -> None:
    settings = load_plan_settings(TEMPLATES / "leadbatch.toml")
    assert settings.mode == "release"
    assert settings.rotation == ("Intro A", "Intro B")
    assert [(s.name, s.id, s.steps) for s in settings.sequences] == [
        ("Intro A", None, (0, 3, 7, 14)), ("Intro B", 4242, (0, 4, 9, 16)),
    ]
    assert (settings.timezone, settings.headroom) == ("Asia/Kolkata", 0.1)


def test_every_commented_setting_is_valid(tmp_path: Path) -> None:
    """Uncommenting the optional settings, and switching to sequence mode as the file
    explains, gives a config leadbatch accepts."""
    text = (TEMPLATES / "leadbatch.toml").read_text(encoding="utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith(("# start =", "# end =", "# holidays =", "# max_per_day =",
                            "# default_steps =", "# [[sequences]]", "# name =", "# steps =")):
            line = line[2:]
        lines.append(line)
    uncommented = "\n".join(lines)
    uncommented = uncommented.replace('mode = "release"', 'mode = "sequence"')
    uncommented = uncommented.replace('rotation = ["Intro A", "Intro B"]', "")
    path = tmp_path / "leadbatch.toml"
    path.write_text(uncommented, encoding="utf-8")
    settings = load_plan_settings(path)
    assert settings.mode == "sequence"
    assert settings.start == dt.date(2027, 3, 1) and settings.end == dt.date(2027, 3, 31)
    assert settings.holidays == "IN" and settings.max_per_day == 50
    assert settings.default_steps == (0, 3, 7, 12, 18, 25, 33, 42)
    assert [s.delay for s in settings.sequences] == [0, 0, 0, 1, 2]


def test_csv_template_matches_the_workbook_template() -> None:
    sheet = read_leads(TEMPLATES / "leads-template.csv", today=dt.date(2026, 1, 15))
    assert sheet.headers == [c[0] for c in TEMPLATE_COLUMNS]
    assert [v for v in sheet.fields.values() if v == "custom"] == ["custom", "custom"]
    assert [str(e) for e in sheet.problems()] == [
        "row 2, column email: this is the template's example row: delete it"
    ]


def test_the_commented_read_settings_are_valid(tmp_path: Path) -> None:
    from leadbatch.config import load_read_settings

    text = (TEMPLATES / "leadbatch.toml").read_text(encoding="utf-8")
    for setting in ('# phone_region = "IN"', '# date_order = "dmy"', '# "Work e-mail" = "email"',
                    '# "Kontakt" = "firstName"'):
        assert setting in text
        text = text.replace(setting, setting[2:])
    path = tmp_path / "leadbatch.toml"
    path.write_text(text, encoding="utf-8")
    read = load_read_settings(path)
    assert (read.phone_region, read.date_order) == ("IN", "dmy")
    assert read.columns == {"Work e-mail": "email", "Kontakt": "firstName"}
    assert load_read_settings(TEMPLATES / "leadbatch.toml", holidays="US-CA").phone_region == "US"
