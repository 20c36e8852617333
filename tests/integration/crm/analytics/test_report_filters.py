"""Every report: its filters checked (422 naming the field), its readers checked (403), and a
CSV export whose header is the report's columns."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from services.crm.analytics.api.reports import PATHS

REPORTS = tuple(PATHS)


def query_errors(response) -> dict[str, Any]:
    assert response.status_code == 422, (response.status_code, response.json)
    return response.json["errors"]["query"]


@pytest.mark.parametrize("path", REPORTS)
def test_an_unknown_filter_a_backwards_period_or_a_bad_value_is_refused_by_name(path, admin):
    url = f"/api/analytics/{path}"
    assert set(query_errors(admin.get(url, query_string={"colour": "red", "size": 2}))) == {
        "colour",
        "size",
    }
    assert "to" in query_errors(admin.get(url, query_string={"to": "2026-13-01"}))
    assert "to" in query_errors(admin.get(url, query_string={"to": "1999-12-31"}))
    assert "department" in query_errors(admin.get(url, query_string={"department": "x" * 201}))
    assert "manager_id" in query_errors(admin.get(url, query_string={"manager_id": "x"}))
    assert "format" in query_errors(admin.get(url, query_string={"format": "pdf"}))
    unknown = admin.get(url, query_string={"manager_id": 999999})
    assert unknown.status_code == 422 and "manager_id" in unknown.json["errors"]["json"]


@pytest.mark.parametrize("path", [p for p in REPORTS if p != "dormant-customers"])
def test_a_period_that_starts_after_it_ends_is_refused(path, admin):
    r = admin.get(f"/api/analytics/{path}", query_string={"from": "2026-05-01", "to": "2026-04-30"})
    assert query_errors(r) == {"from": ["the period starts after it ends"]}


def test_report_specific_values_are_checked(admin):
    cases: dict[str, dict[str, Any]] = {
        "managers": {"rank_by": "shoe_size", "process_kind": "telepathy"},
        "lost": {"by": "colour"},
        "abc-xyz": {"abc": "D", "xyz": "W", "page": 0, "page_size": 5000},
        "rfm": {"segment": "vip"},
        "loyalty": {"min_days": 0},
    }
    for path, query in cases.items():
        assert set(query_errors(admin.get(f"/api/analytics/{path}", query_string=query))) == set(
            query
        )


@pytest.mark.parametrize("path", REPORTS)
def test_only_sales_staff_and_admins_read_figures(path, as_role):
    for role in ("secretary", "executor", "head_of_execution"):
        assert as_role(role, department="Sales").get(f"/api/analytics/{path}").status_code == 403


@pytest.mark.parametrize("path", REPORTS)
def test_every_report_exports_its_columns_as_csv(path, admin):
    r = admin.get(f"/api/analytics/{path}", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    header = next(csv.reader(io.StringIO(r.get_data(as_text=True))))
    shown = admin.get(f"/api/analytics/{path}").json
    assert header and all(" " not in column for column in header)
    for row in shown["rows"]:
        assert set(header) <= set(row) | {"rank"}
