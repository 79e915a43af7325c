"""The naive path a user would script instead of leadbatch.

pandas.read_excel with its default engine, a pydantic model per row with `EmailStr`, a
round-robin assistant and day, DataFrame.to_excel with its default engine. pandas and
email-validator are bench-only dependencies (the `bench` extra).

    python -m bench.naive INPUT.xlsx OUTPUT.xlsx ASSISTANTS.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import pandas as pd  # type: ignore[import-untyped]
from pydantic import BaseModel, EmailStr, ValidationError

from .harness import emit
from .inputs import START


class NaiveLead(BaseModel):
    name: str
    email: EmailStr
    last_name: str | None = None
    phone: str | None = None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input", type=Path)
    ap.add_argument("output", type=Path)
    ap.add_argument("assistants", type=Path)
    args = ap.parse_args()
    assistants = [a["emailid"] for a in json.loads(args.assistants.read_text())]
    t0 = time.perf_counter()
    df = pd.read_excel(args.input, dtype=str, keep_default_na=False)
    t1 = time.perf_counter()
    status, errors, who, when = [], [], [], []
    for i, rec in enumerate(df.to_dict("records")):
        try:
            NaiveLead(
                name=rec["First_Name"],
                email=str(rec["Email_ID"]).strip(),
                last_name=rec["Last_Name"] or None,
                phone=f"+{rec['Country_Code']}{rec['Phone_Number']}",
            )
        except ValidationError as exc:
            status.append("invalid")
            errors.append(str(exc.errors()[0]["msg"]))
            who.append("")
            when.append("")
            continue
        status.append("planned")
        errors.append("")
        who.append(assistants[i % len(assistants)])
        when.append((START + dt.timedelta(days=i // 5000)).isoformat())
    t2 = time.perf_counter()
    df.insert(0, "sendDate", when)
    df.insert(0, "assistantEmail", who)
    df.insert(0, "error", errors)
    df.insert(0, "status", status)
    df.to_excel(args.output, sheet_name="Plan", index=False)
    t3 = time.perf_counter()
    emit({"read": t1 - t0, "validate": t2 - t1, "write": t3 - t2, "rows": len(df)})


if __name__ == "__main__":
    main()
