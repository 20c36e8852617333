"""Business processes as data, and the rules of moving an instance from step to step.

The one process defined here is the company's regulation "Sales to new clients from
incoming calls and other incoming requests": a secretary registers the request, the
system hands it to a manager as a first contact, and the manager goes on with a
commercial proposal, a meeting and a customer order (or ends with a refusal) until the
order reaches an executor. Each step is a document; the instance links them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from services.crm.domain.errors import Conflict, Forbidden, NotFound
from services.crm.domain.roles import Role
from shared.i18n import _

# How a step sits in the process: main steps become the current one, side steps are taken
# beside the current one (an assignment, an approval), an end closes the instance.
MAIN, SIDE, END = "main", "side", "end"
ACTIVE, COMPLETED, REFUSED = "active", "completed", "refused"
STATES = (ACTIVE, COMPLETED, REFUSED)

# Who may act on a step's document, by the performer the regulation names.
FRONT_OFFICE = frozenset({Role.ADMIN, Role.SECRETARY, Role.MANAGER, Role.HEAD_OF_SALES})
SALES = frozenset({Role.ADMIN, Role.MANAGER, Role.HEAD_OF_SALES})
PERFORMERS: dict[str, frozenset[Role]] = {
    "secretary": FRONT_OFFICE,
    "manager": SALES,
    # An approval event is set up by sales; completing it is the named approver's own right.
    "approver": SALES,
    "system": frozenset(),
}


@dataclass(frozen=True)
class StepDef:
    """One step: the document it makes, who takes it, what it needs, what may follow."""

    name: str
    title: str
    document: str | None  # "interaction", "order", "task", or None for an end without one
    performer: str  # a key of PERFORMERS
    kind: str = MAIN
    manual: bool = True  # False: only the system creates it, as an effect of another step
    interaction_kinds: tuple[str, ...] = ()
    direction: str | None = None  # None: incoming or outgoing, as the employee says
    topic: str | None = None
    required: tuple[str, ...] = ()  # fields a document needs before it is completed
    outcomes: tuple[str, ...] = ("done",)
    next: tuple[str, ...] = ()
    # Side steps that only make sense while the current document is still open.
    while_open: bool = False


@dataclass(frozen=True)
class ProcessDef:
    kind: str
    title: str
    start: str
    steps: tuple[StepDef, ...] = field(default=())

    def step(self, name: str) -> StepDef:
        for step in self.steps:
            if step.name == name:
                return step
        raise NotFound("step", name)

    def edges(self) -> list[tuple[str, str]]:
        return [(s.name, n) for s in self.steps for n in s.next]


REGISTRATION_TOPICS = {
    "call": "call from a potential client",
    "email": "e-mail from a potential client",
}
CONTACT_FIELDS = ("topic", "contacts")

INBOUND_SALES = ProcessDef(
    kind="inbound_sales",
    title=_("Sales to new clients from incoming calls and other incoming requests"),
    start="registration",
    steps=(
        StepDef(
            "registration",
            _("Registration of an incoming call or e-mail"),
            "interaction",
            "secretary",
            interaction_kinds=("call", "email"),
            direction="incoming",
            # The first contact goes to the employee the call was transferred to.
            required=(*CONTACT_FIELDS, "transferred_to_id"),
            next=("first_contact",),
        ),
        StepDef(
            "first_contact",
            _("First contact with the client"),
            "interaction",
            "manager",
            manual=False,
            interaction_kinds=("call", "email"),
            direction="incoming",
            topic="first contact with the client",
            required=(*CONTACT_FIELDS, "subject_id"),
            next=("assignment", "proposal", "meeting", "order", "refusal"),
        ),
        StepDef(
            "assignment",
            _("Consultation of a potential client"),
            "task",
            "manager",
            kind=SIDE,
            required=("assignee_id",),
        ),
        StepDef(
            "proposal",
            _("Commercial proposal"),
            "interaction",
            "manager",
            interaction_kinds=("email",),
            direction="outgoing",
            topic="commercial proposal",
            required=(*CONTACT_FIELDS, "subject_id", "content", "attachments"),
            next=("proposal_approval", "meeting", "order", "refusal"),
        ),
        StepDef(
            "proposal_approval",
            _("Approval of the commercial proposal"),
            "interaction",
            "approver",
            kind=SIDE,
            interaction_kinds=("event",),
            direction="outgoing",
            topic=_("Approval of the commercial proposal"),
            required=("approver_id",),
            outcomes=("approved", "rejected"),
            while_open=True,
        ),
        StepDef(
            "meeting",
            _("Meeting with a potential client"),
            "interaction",
            "manager",
            interaction_kinds=("meeting",),
            topic="meeting with a potential client",
            required=(*CONTACT_FIELDS, "subject_id", "content"),
            next=("order", "refusal"),
        ),
        StepDef(
            "order",
            _("Customer order"),
            "order",
            "manager",
            # "source" is required of new clients only (domain/orders.py).
            required=(
                "counterparty_id",
                "contract_id",
                "shipping_date",
                "lines",
                "responsible_id",
                "source",
                "requires_approval",
            ),
            outcomes=("posted",),
            next=("order_approval", "execution"),
        ),
        StepDef(
            "order_approval",
            _("Approve the order"),
            "interaction",
            "approver",
            kind=SIDE,
            manual=False,
            interaction_kinds=("event",),
            direction="outgoing",
            topic=_("Approve the order"),
            required=("approver_id",),
            outcomes=("approved", "rejected"),
        ),
        StepDef(
            "execution", _("Order routed to an executor"), "order", "system", END, manual=False
        ),
        StepDef("refusal", _("Refusal"), None, "manager", END, required=("refusal_reason_id",)),
    ),
)

PROCESSES: dict[str, ProcessDef] = {INBOUND_SALES.kind: INBOUND_SALES}
# Step documents a person must act on: each shows in its responsible's "My tasks" (approvals
# show in the approver's as approval tasks).
ACTED_ON = ("first_contact", "proposal", "meeting")


def definition(kind: str) -> ProcessDef:
    try:
        return PROCESSES[kind]
    except KeyError:
        raise NotFound("process kind", kind) from None


class StepNotAllowed(Conflict):
    """The current step does not lead to the one asked for; ``allowed`` lists those it does."""

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message)
        self.allowed = allowed


def allowed_now(process: ProcessDef, state: str, current: str, current_open: bool) -> list[str]:
    """Steps an employee may take next: main ones once the current document is completed."""
    if state != ACTIVE:
        return []
    allowed = []
    for name in process.step(current).next:
        step = process.step(name)
        if not step.manual:
            continue
        if step.kind == MAIN and current_open:
            continue  # the current document is completed first: its required fields are checked
        if step.while_open and not current_open:
            continue
        allowed.append(name)
    return allowed


def check_continuation(
    process: ProcessDef, state: str, current: str, current_open: bool, step: str
) -> StepDef:
    """The definition of ``step`` if it may follow now; StepNotAllowed (409) otherwise."""
    target = process.step(step)
    allowed = allowed_now(process, state, current, current_open)
    if step in allowed:
        return target
    if state != ACTIVE:
        raise StepNotAllowed(f"the process is {state}: no step may follow", allowed)
    if step in process.step(current).next and target.manual:
        when = "is completed" if target.kind == MAIN else "is open"
        raise StepNotAllowed(f"{step} may follow {current} only while its document {when}", allowed)
    raise StepNotAllowed(f"{step} may not follow {current}", allowed)


def check_performer(step: StepDef, role: Role) -> None:
    if role not in PERFORMERS[step.performer]:
        raise Forbidden(f"role {role} may not act on a {step.name}")


@cache
def ranks(process: ProcessDef) -> dict[str, int]:
    """Each step's layer in a flowchart: the longest path to it from the start."""
    incoming: dict[str, list[str]] = {s.name: [] for s in process.steps}
    for source, target in process.edges():
        incoming[target].append(source)

    def rank(name: str) -> int:
        return max((rank(src) + 1 for src in incoming[name]), default=0)

    return {s.name: rank(s.name) for s in process.steps}
