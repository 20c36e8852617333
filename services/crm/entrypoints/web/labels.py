"""Words for the codes the pages show (outcomes, kinds, states, roles), marked for translation."""

from __future__ import annotations

from shared.i18n import _
from shared.names import Role

OUTCOMES = {
    "talked": _("Talked"),
    "prepare_proposal": _("Prepare a commercial proposal"),
    "personal_visit": _("Personal visit"),
    "refusal": _("Refusal"),
    "no_answer": _("No answer"),
    "call_back_later": _("Call back later"),
    "set_cyclicality": _("Set how often to call"),
    "sent": _("Sent"),
    "refused": _("Refused"),
    "done": _("Done"),
    "failure": _("Failed"),
    "approved": _("Approved"),
    "rejected": _("Rejected"),
    "cancelled": _("Cancelled"),
    "open": _("Open"),
    "posted": _("Posted"),
    "completed": _("Completed"),
}
KINDS = {
    "call": _("Call"),
    "email": _("E-mail"),
    "meeting": _("Meeting"),
    "event": _("Event"),
    "task": _("Task"),
    "proposal": _("Proposal"),
    "visit": _("Visit"),
    "approval": _("Approval"),
    "assignment": _("Assignment"),
    "other": _("Other"),
    "lead": _("Lead"),
    "counterparty": _("Counterparty"),
    "partner": _("Partner"),
    "task_outcome": _("Task done"),
    "order": _("Order"),
    "file": _("File"),
}
STATES = {
    "planned": _("Planned"),
    "due": _("Due"),
    "overdue": _("Overdue"),
    "open": _("Open"),
    "done": _("Done"),
    "cancelled": _("Cancelled"),
    "in_progress": _("In progress"),
    "completed": _("Completed"),
    "active": _("Active"),
    "refused": _("Refused"),
    "won": _("Won"),
    "lost": _("Lost"),
}
# How much someone around a deal weighs, and which side they take.
LEVELS = {
    "low": _("low"),
    "medium": _("medium"),
    "high": _("high"),
    "supporter": _("supporter"),
    "neutral": _("neutral"),
    "opponent": _("opponent"),
}
ROLES = {
    Role.ADMIN: _("Administrator"),
    Role.SECRETARY: _("Secretary"),
    Role.MANAGER: _("Sales manager"),
    Role.HEAD_OF_SALES: _("Head of sales"),
    Role.EXECUTOR: _("Executor"),
    Role.HEAD_OF_EXECUTION: _("Head of execution"),
}
LANGUAGES = {"en": "English", "ru": "Русский", "uk": "Українська"}
FIELDS = {
    "topic": _("Topic"),
    "contacts": _("Contacts"),
    "presentation": _("Contact person"),
    "phone": _("Phone"),
    "email": _("E-mail"),
    "content": _("Content"),
    "attachments": _("Attached file"),
    "subject_id": _("Customer"),
    "transferred_to_id": _("Transferred to"),
    "assignee_id": _("Assignee"),
    "approver_id": _("Approver"),
    "refusal_reason_id": _("Refusal reason"),
    "status_id": _("New status"),
    "call_back_at": _("Call back at"),
    "result": _("Result"),
    "outcome": _("Outcome"),
    "due_at": _("Due"),
    "counterparty_id": _("Counterparty"),
    "contract_id": _("Contract"),
    "shipping_date": _("Shipping date"),
    "lines": _("Lines"),
    "responsible_id": _("Responsible"),
    "source": _("Source"),
    "requires_approval": _("Requires approval"),
    "needs_approval": _("Needs approval"),
    "kind": _("Kind"),
    "amount": _("Amount"),
    "expected_close_date": _("Expected close"),
    "comment": _("Comment"),
    "contact_person_id": _("Contact person"),
    "parties": _("Parties"),
    "demand": _("Primary demand"),
    "files": _("Files"),
    "lost_reason_id": _("Reason"),
    "competitor_id": _("Competitor who won"),
    "to": _("Stage"),
}
# Columns of the reports (those a deal branch adds show under their own code).
REPORT_COLUMNS = {
    "name": _("Manager"),
    "department": _("Department"),
    "planned_calls": _("Calls planned"),
    "calls_made": _("Calls made"),
    "made_share": _("Made, share"),
    "calls_on_time": _("Made on time"),
    "on_time_share": _("On time, share"),
    "calls_cancelled": _("Calls cancelled"),
    "tasks_overdue": _("Tasks overdue"),
    "first_contacts": _("First contacts"),
    "first_contacts_in_time": _("First contacts within 5 minutes"),
    "first_contacts_in_time_share": _("Within 5 minutes, share"),
    "first_contact_avg_seconds": _("First contact, average seconds"),
    "overdue_now": _("Overdue now"),
    "rank": _("Rank"),
    "key": _("Key"),
    "count": _("Count"),
    "share": _("Share"),
    "amount": _("Amount"),
}
# Columns of the deal reports (funnel, bottlenecks): a row is a stage, or a manager's stage.
DEAL_REPORT_COLUMNS = {
    **REPORT_COLUMNS,
    "name": _("Stage"),
    "manager": _("Manager"),
    "reached": _("Reached"),
    "reached_in_order": _("Reached in order"),
    "dropped": _("Dropped"),
    "conversion": _("Went on, share"),
    "strict_conversion": _("Went on in order, share"),
    "avg_days_in_stage": _("Days in stage, average"),
    "stays": _("Stays"),
    "median_days": _("Days, median"),
    "p90_days": _("Days, 90th percentile"),
    "max_days": _("Days, longest"),
    "late": _("Past the standard"),
    "late_share": _("Past the standard, share"),
    "stalled_now": _("Stalled now"),
}
# A deal kind's modes and who performs a stage (services/crm/domain/deals.py).
KIND_MODES = {"manual": _("Manual moves"), "process": _("Business process")}
PERFORMERS = {"responsible": _("The deal's manager"), "head": _("The head of their department")}
LOST_BY = {
    "reason": _("Reason"),
    "stage": _("Stage"),
    "competitor": _("Competitor"),
    "manager": _("Manager"),
    "process_kind": _("Process kind"),
    "month": _("Month"),
    "week": _("Week"),
    "day": _("Day"),
}


def label(table: dict[str, str], code: str | None) -> str:
    """The English label of ``code`` (the code itself when it has none), to be translated."""
    return table.get(code or "", code or "")
