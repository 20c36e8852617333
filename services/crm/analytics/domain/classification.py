"""Document 000, "Classification of buyers by stages of relationship": which interaction
status a buyer's stage of relationship and ABC class call for.

The document's data are rules (stage, optionally with an ABC class -> status) and a
relationship strategy per ABC class (its default status). For one buyer the most
specific wins: the rule for its stage and class, else the rule for its stage, else the
strategy of its class; with none, its status is left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from services.crm.analytics.domain.periods import DEFAULT_MONTHS, Period, add_months, month_of
from shared.i18n import _

REASON = _("Classification of buyers No. {number}: stage {stage}, class {abc}")
ARCHIVED = _("archived: no status is applied")


def status_for(
    stage: str | None,
    abc: str | None,
    rules: Mapping[tuple[str, str | None], int],
    strategies: Mapping[str, int | None],
) -> int | None:
    """The status id the document assigns; None leaves the buyer's status unchanged."""
    if stage is None:
        return None
    if abc is not None and (stage, abc) in rules:
        return rules[stage, abc]
    if (stage, None) in rules:
        return rules[stage, None]
    return strategies.get(abc) if abc is not None else None


def default_period(today: date) -> Period:
    """The twelve whole months before the current one: the orders that give the classes."""
    end = month_of(today) - timedelta(days=1)
    return Period(add_months(month_of(end), 1 - DEFAULT_MONTHS), end)
