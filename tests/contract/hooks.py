"""Schemathesis hooks: instants and days drawn from the window the spec documents.

The spec gives every instant's and day's window in ``x-minimum`` / ``x-maximum`` (JSON Schema
has no bounds for date-time strings); without this, nearly every drawn instant (years 1 to
9999) would be refused, and positive cases would test nothing but that refusal.
Loaded with ``SCHEMATHESIS_HOOKS=tests.contract.hooks``.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from shared.contracts import EARLIEST, FIRST_DAY, LAST_DAY, LATEST

instants = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=LATEST.replace(tzinfo=None),
    timezones=st.just(EARLIEST.tzinfo),
)
schemathesis.openapi.format("date-time", instants.map(lambda moment: moment.isoformat()))
schemathesis.openapi.format("date", st.dates(FIRST_DAY, LAST_DAY).map(lambda day: day.isoformat()))
