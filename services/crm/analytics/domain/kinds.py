"""Process kinds the figures are split by, and which kind a task's work belongs to.

A figure belongs to the process that produced it: the calling loop of document 001, the
inbound sales process of document 002 (``services/crm/domain/process.py``), or manual
work outside any process (a task set by hand, an order made without a process). Deal
kinds join with :func:`register`.
"""

from __future__ import annotations

from services.crm.domain.process import PROCESSES
from shared.i18n import _

CALLING_LOOP = "calling_loop"
INBOUND_SALES = "inbound_sales"
MANUAL = "manual"
# Deals of every kind (services/crm/domain/deals.py): their stage tasks and lost deals.
DEALS = "deals"

_KINDS: dict[str, str] = {
    CALLING_LOOP: _("Calling potential counterparties"),
    **{kind: definition.title for kind, definition in PROCESSES.items()},
    MANUAL: _("Work outside a process"),
    DEALS: _("Deals (sales opportunities)"),
}

# Task kinds of the calling loop (a call and the steps its outcome opens) and of the
# inbound process (its side steps); anything else was set by hand.
TASK_KINDS = {
    "call": CALLING_LOOP,
    "proposal": CALLING_LOOP,
    "visit": CALLING_LOOP,
    "approval": INBOUND_SALES,
    "assignment": INBOUND_SALES,
    "deal_stage": DEALS,
}


def register(kind: str, title: str) -> None:
    """Add a process kind (a kind of deal) the reports may be filtered by."""
    _KINDS[kind] = title


def kinds() -> dict[str, str]:
    """Every process kind and its title."""
    return dict(_KINDS)


def of_task(task_kind: str) -> str:
    return TASK_KINDS.get(task_kind, MANUAL)


def of_process(process_kind: str | None) -> str:
    """The kind of a process instance; no instance means manual work."""
    return process_kind or MANUAL
