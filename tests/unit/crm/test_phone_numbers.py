"""Numbers as people and exchanges write them compare in E.164."""

import pytest

from services.crm.domain.phones import all_e164, e164


@pytest.mark.parametrize(
    "raw",
    ["+380 44 123 4567", "(044) 123-45-67", "0441234567", "380441234567", "0038044 1234567"],
)
def test_the_ways_a_kyiv_number_is_written_are_one_number(raw):
    assert e164(raw, "UA") == "+380441234567"


def test_a_number_with_its_country_code_does_not_depend_on_the_region():
    assert e164("+49 30 901820", "UA") == e164("030 901820", "DE") == "+4930901820"


@pytest.mark.parametrize("raw", [None, "", "  ", "101", "call me", "+0"])
def test_what_is_not_a_phone_number_matches_nothing(raw):
    assert e164(raw, "UA") is None


def test_duplicates_and_junk_collapse():
    assert all_e164(["044 123 45 67", "+380441234567", "x"], "UA") == {"+380441234567"}
