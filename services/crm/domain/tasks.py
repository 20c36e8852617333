"""Rules of tasks: which outcomes each kind offers and what completing one leads to.

This is the calling loop of the process "Calling potential counterparties": a call's
outcome records the call, plans the next one, and opens the next step (a proposal, a
personal visit) or moves the subject's status (refusal, chosen cyclicality).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.crm.domain.errors import Conflict, Invalid
from shared.i18n import _, translate

OPEN, DONE, CANCELLED = "open", "done", "cancelled"
# The title column's width: a title made from a long subject name is cut to it.
TITLE_MAX = 300


@dataclass(frozen=True)
class Step:
    """What one outcome does once the task is completed."""

    interaction: str | None = None  # kind of interaction recorded: call, email, meeting
    call_completed: bool = False  # the scheduler plans the next call from this one
    next_task: str | None = None  # kind of task opened next
    next_assignee: str = "same"  # "same" or "main_manager" of the subject
    refusal: bool = False  # the subject takes the refusal status; a reason is required
    set_status: bool = False  # the subject takes the status the manager chose
    call_back: bool = False  # the call is re-planned at a chosen time or after a delay
    requires: tuple[str, ...] = field(default=())

    @property
    def changes_customer(self) -> bool:
        """The outcome moves the customer's plan or status: the ownership rule applies."""
        return self.refusal or self.set_status or self.call_back


_REFUSAL = Step(refusal=True, requires=("refusal_reason_id",))

OUTCOMES: dict[str, dict[str, Step]] = {
    "call": {
        "talked": Step("call", call_completed=True),
        "prepare_proposal": Step("call", call_completed=True, next_task="proposal"),
        "personal_visit": Step(
            "call", call_completed=True, next_task="visit", next_assignee="main_manager"
        ),
        "refusal": Step("call", call_completed=True, refusal=True, requires=("refusal_reason_id",)),
        "no_answer": Step("call", call_back=True),
        "call_back_later": Step("call", call_back=True),
        "set_cyclicality": Step(
            "call", call_completed=True, set_status=True, requires=("status_id",)
        ),
    },
    "proposal": {"sent": Step("email"), "refused": _REFUSAL},
    "visit": {"done": Step("meeting"), "failure": _REFUSAL},
    "approval": {"approved": Step(), "rejected": Step()},
    # A step document of the sales process (first contact, proposal, meeting).
    "document": {"done": Step()},
    "assignment": {"done": Step()},
    # A deal's stage in the business-process mode: done moves it on, lost closes it.
    "deal_stage": {"done": Step(), "lost": Step(requires=("refusal_reason_id",))},
    "other": {"done": Step()},
}

TITLES = {
    "call": _("Call {subject}"),
    "proposal": _("Prepare a commercial proposal for {subject}"),
    "visit": _("Personal visit to the client {subject}"),
}


def title_for(kind: str, subject_name: str | None, locale: str | None = None) -> str:
    """The title of a task made by the system, in its assignee's language, within TITLE_MAX."""
    if kind not in TITLES:
        return fitted(f"{kind.title()} {subject_name or ''}")
    return fitted(translate(locale, TITLES[kind], subject=subject_name or ""))


def fitted(title: str) -> str:
    """``title`` cut to the column: a command that could never be stored is never sent."""
    return title.strip()[:TITLE_MAX].strip()


@dataclass(frozen=True)
class Completion:
    outcome: str
    result: str
    refusal_reason_id: int | None = None
    status_id: int | None = None
    call_back_at: datetime | None = None


def check_completion(kind: str, state: str, completion: Completion) -> Step:
    """The step an outcome leads to; refuses a closed task, a foreign outcome or a missing field."""
    if state != OPEN:
        raise Conflict(f"task is already {state}")
    outcomes = OUTCOMES[kind]
    step = outcomes.get(completion.outcome)
    if step is None:
        raise Invalid("outcome", f"must be one of: {', '.join(outcomes)}")
    if not completion.result.strip():
        raise Invalid("result", _("describe the result"))
    for name in step.requires:
        if getattr(completion, name) is None:
            raise Invalid(name, f"required for outcome {completion.outcome}")
    return step


def is_overdue(state: str, due_at: datetime, now: datetime) -> bool:
    return state == OPEN and due_at < now
