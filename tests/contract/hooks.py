"""Schemathesis hooks: instants and days drawn from the window the spec documents.

The spec gives every instant's and day's window in ``x-minimum`` / ``x-maximum`` (JSON Schema
has no bounds for date-time strings); without this, nearly every drawn instant (years 1 to
9999) would be refused, and positive cases would test nothing but that refusal.
Loaded with ``SCHEMATHESIS_HOOKS=tests.contract.hooks``.
"""

from __future__ import annotations

import ast
import sys
import threading

import schemathesis
from hypothesis import strategies as st

from shared.contracts import EARLIEST, FIRST_DAY, LAST_DAY, LATEST

if sys.version_info < (3, 11, 8):
    # Before 3.11.8 the AST constructor's recursion depth is shared state (CPython gh-106905):
    # Hypothesis parses its filters' lambdas in each schemathesis worker thread, and two
    # parses at once end in "SystemError: AST constructor recursion depth mismatch".
    _parse, _one_at_a_time = ast.parse, threading.Lock()

    def _parse_alone(*args, **kwargs):
        with _one_at_a_time:
            return _parse(*args, **kwargs)

    ast.parse = _parse_alone

instants = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=LATEST.replace(tzinfo=None),
    timezones=st.just(EARLIEST.tzinfo),
)
schemathesis.openapi.format("date-time", instants.map(lambda moment: moment.isoformat()))
schemathesis.openapi.format("date", st.dates(FIRST_DAY, LAST_DAY).map(lambda day: day.isoformat()))
