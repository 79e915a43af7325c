import datetime as dt

from leadbatch.models import CustomField, Lead, PlanRow, RowStatus, SourceRow


def test_api_body_has_camel_case_and_no_nulls() -> None:
    lead = Lead(
        name="John",
        email=" John.Doe@Gmail.com ",
        last_name="Doe",
        custom_fields=(CustomField(name="productName", value="Tesla S Model"),),
        send_date=dt.date(2026, 12, 1),
    )
    assert lead.api_body(assistant_email="lyra@7targets.7ts-d.com") == {
        "name": "John",
        "email": "john.doe@gmail.com",
        "lastName": "Doe",
        "assistantEmail": "lyra@7targets.7ts-d.com",
        "customFields": [{"name": "productName", "value": "Tesla S Model"}],
    }


def test_stop_body_keeps_id_and_drops_custom_fields() -> None:
    lead = Lead(
        name="J",
        email="j@x.io",
        action="stop",
        id=2345,
        custom_fields=(CustomField(name="a", value="b"),),
    )
    assert lead.api_body(assistant_email="a@b.io") == {
        "name": "J",
        "email": "j@x.io",
        "assistantEmail": "a@b.io",
        "id": 2345,
    }


def test_plan_row_body_uses_plan_sequence() -> None:
    src = SourceRow(row=2, values={}, lead=Lead(name="A", email="a@x.io", schedule_name="Own"))
    row = PlanRow(src, RowStatus.PLANNED, "bot@x.io", dt.date(2026, 1, 5), None, "Rotated")
    assert row.api_body() == {
        "name": "A",
        "email": "a@x.io",
        "assistantEmail": "bot@x.io",
        "scheduleName": "Rotated",
    }


def test_source_row_status_and_error_text() -> None:
    dup = SourceRow(row=7, values={}, lead=Lead(name="A", email="a@x.io"), duplicate_of=3)
    assert dup.status is RowStatus.DUPLICATE
    assert dup.error_text == "duplicate of row 3 (same email)"
    assert RowStatus.CREATED.succeeded and not RowStatus.FAILED.succeeded


def test_source_row_builds_its_lead_from_checked_fields() -> None:
    values = {"Name": "Ann", "Email": "ann@x.io", "Company": "Acme", "Notes": ""}
    src = SourceRow(3, values, fields={"name": "Ann", "email": "ann@x.io"},
                    custom=("Company", "Notes"))
    assert (src.email, src.name, src.action, src.send_date) == ("ann@x.io", "Ann", "create", None)
    assert src.lead == Lead(name="Ann", email="ann@x.io",
                            custom_fields=(CustomField(name="Company", value="Acme"),))
    stop = src.replace(action="stop", row=9)
    assert (stop.row, stop.action, stop.lead is not None and stop.lead.action) == (9, "stop", "stop")
    assert src.action == "create"  # the original is unchanged
    assert src == SourceRow(3, values, src.lead) and src != stop


def test_source_row_without_fields_is_invalid() -> None:
    bad = SourceRow(4, {"Email": "nope"}, None)
    assert bad.lead is None and bad.email is None and bad.status is RowStatus.INVALID
