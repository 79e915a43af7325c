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
