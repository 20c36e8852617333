"""Request and response bodies of the sales process: documents, orders, process instances."""

from __future__ import annotations

from marshmallow import fields, validate

from services.crm.adapters.sales import ACCOUNTING
from services.crm.domain import documents as doc_rules
from services.crm.domain.orders import line_amount, total
from services.crm.domain.process import INBOUND_SALES, PROCESSES, STATES
from services.crm.entrypoints.api.fields import Day, Instant
from services.crm.entrypoints.api.schemas import PHONE, Email, Id, Name, QueryId, Schema
from shared.contracts import SUBJECT_KINDS

Text = lambda n=10000, **kw: fields.String(validate=validate.Length(max=n), **kw)  # noqa: E731
Subject = lambda: fields.String(validate=validate.OneOf(SUBJECT_KINDS), allow_none=True)  # noqa: E731
MANUAL_STEPS = [s.name for s in INBOUND_SALES.steps if s.manual and s.name != INBOUND_SALES.start]
ALL_STEPS = sorted({s.name for p in PROCESSES.values() for s in p.steps})


class ContactRowSchema(Schema):
    contact_person_id = Id(allow_none=True)
    presentation = Text(300, allow_none=True)
    phone = fields.String(validate=PHONE, allow_none=True)
    email = Email(allow_none=True)


class AttachmentSchema(Schema):
    name = Name(required=True)
    url = fields.Url(allow_none=True, require_tld=False)
    file_id = Id(
        allow_none=True,
        metadata={"description": "A file kept by the CRM (an e-mail's): GET /api/files/<id>."},
    )
    content_type = Text(200, allow_none=True)
    size = fields.Integer(strict=True, validate=validate.Range(min=0), allow_none=True)


class _DocumentFields(Schema):
    """What an employee may fill in on an interaction of the process."""

    topic = Name(allow_none=True)
    subject_kind = Subject()
    subject_id = Id(allow_none=True)
    contacts = fields.List(
        fields.Nested(ContactRowSchema),
        metadata={"description": "The whole table: each row a person and a phone or e-mail."},
    )
    content = Text(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema))
    responsible_id = Id(allow_none=True)
    started_at = Instant(allow_none=True, metadata={"description": "Meetings only."})
    ended_at = Instant(allow_none=True, metadata={"description": "Meetings only."})


class DocumentPatchSchema(_DocumentFields):
    transferred_to_id = Id(allow_none=True)
    approver_id = Id(allow_none=True, metadata={"description": "Of an order's approval event."})
    needs_approval = fields.Boolean()


class DocumentSchema(DocumentPatchSchema):
    id = fields.Integer()
    missing = fields.Method(
        "_missing",
        metadata={
            "description": "Required fields still empty (each with why): the document is a "
            "draft until they are filled in, and completing it is refused (422) before."
        },
    )
    process_id = fields.Integer()
    step = fields.String()
    kind = fields.String()
    direction = fields.String()
    state = fields.String()
    outcome = fields.String(allow_none=True)
    refusal_reason_id = fields.Integer(allow_none=True)
    task_id = fields.Integer(allow_none=True)
    basis_kind = fields.String(allow_none=True)
    basis_id = fields.Integer(allow_none=True)
    approval = fields.String(allow_none=True)
    created_at = Instant()

    def _missing(self, doc) -> dict[str, str]:
        if doc.state not in doc_rules.OPEN_STATES:
            return {}
        required = INBOUND_SALES.step(doc.step).required
        return doc_rules.missing(required, {n: getattr(doc, n, None) for n in required})


class DocumentQuerySchema(Schema):
    process_id = QueryId()
    step = fields.String(validate=validate.OneOf(ALL_STEPS))
    responsible_id = QueryId()
    approver_id = QueryId()
    state = fields.String(
        validate=validate.OneOf(("planned", "in_progress", "completed", "cancelled"))
    )


class DocumentCompletionSchema(Schema):
    outcome = fields.String(
        validate=validate.Length(max=32),
        metadata={"description": "approved/rejected for approvals; otherwise the default."},
    )


class RegistrationSchema(_DocumentFields):
    kind = fields.String(load_default="call", validate=validate.OneOf(("call", "email")))
    transferred_to_id = Id(
        allow_none=True, metadata={"description": "The employee the call was transferred to."}
    )


class LineSchema(Schema):
    line_no = fields.Integer(dump_only=True)
    item_id = Id(required=True)
    # Bounded by their columns (numeric(14, 3) and (14, 2)).
    quantity = fields.Decimal(
        required=True,
        places=3,
        as_string=True,
        validate=validate.Range(min=0, max=10**10, min_inclusive=False),
    )
    price = fields.Decimal(
        required=True, places=2, as_string=True, validate=validate.Range(min=0, max=10**11)
    )
    department = fields.String(dump_only=True)
    responsible_id = fields.Integer(dump_only=True)
    planned_cost = fields.Decimal(as_string=True, dump_only=True, allow_none=True)
    planned_hours = fields.Decimal(as_string=True, dump_only=True, allow_none=True)
    amount = fields.Method("_amount", dump_only=True)

    def _amount(self, line) -> str:
        return str(line_amount(line.quantity, line.price))


class OrderPatchSchema(Schema):
    counterparty_id = Id(allow_none=True)
    contract_id = Id(allow_none=True)
    shipping_date = Day(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))
    responsible_id = Id(
        allow_none=True,
        metadata={"description": "An executor, or the head of execution (or deputy)."},
    )
    source = Text(200, allow_none=True)
    requires_approval = fields.Boolean(allow_none=True)
    comment = Text(allow_none=True)
    loyalty_card_id = Id(allow_none=True, metadata={"description": "The holder's loyalty card"})


class OrderSchema(OrderPatchSchema):
    id = fields.Integer()
    process_id = fields.Integer(allow_none=True)
    basis_kind = fields.String(allow_none=True)
    basis_id = fields.Integer(allow_none=True)
    status = fields.String()
    author_id = fields.Integer(allow_none=True)
    executor_id = fields.Integer(allow_none=True)
    contacts = fields.List(fields.Dict())
    accounting = fields.String(
        allow_none=True, metadata={"description": "grey or white, from the items of its lines"}
    )
    total = fields.Method("_total")
    missing = fields.Dict(
        metadata={
            "description": "An order step makes a draft (status draft): the fields posting "
            "still needs, each with why; empty once it may be posted."
        },
    )
    posted_at = Instant(allow_none=True)
    approved_at = Instant(allow_none=True)
    routed_at = Instant(allow_none=True)
    taken_at = Instant(allow_none=True)
    created_at = Instant()

    def _total(self, order) -> str:
        return str(total(order.lines))


class OrderQuerySchema(Schema):
    process_id = QueryId()
    status = fields.String(validate=validate.OneOf(("draft", "open", "approved", "rejected")))
    counterparty_id = QueryId()
    executor_id = QueryId()


class ExecutorSchema(Schema):
    executor_id = Id(required=True)


class StepRequestSchema(OrderPatchSchema, _DocumentFields):
    """The next step and the fields of the document it makes (only those that step takes)."""

    step = fields.String(required=True, validate=validate.OneOf(MANUAL_STEPS))
    kind = fields.String(validate=validate.OneOf(("call", "email", "meeting")))
    direction = fields.String(validate=validate.OneOf(("incoming", "outgoing")))
    needs_approval = fields.Boolean(metadata={"description": "A proposal sent only once approved."})
    assignee_id = Id(
        metadata={"description": "Assignment: an employee of the execution department."}
    )
    item_id = Id(
        metadata={
            "description": "Assignment: the work or service (its grey or white, planned cost "
            "and time go on the assignment)."
        }
    )
    approver_id = Id(metadata={"description": "Proposal approval: the approving head."})
    due_at = Instant(metadata={"description": "Assignment or approval task: when it is due."})
    refusal_reason_id = Id(metadata={"description": "Refusal: why the client refused."})
    responsible_id = Id(
        allow_none=True,
        metadata={
            "description": "Of the document; of an order: an executor or a head of execution."
        },
    )


class StepRowSchema(Schema):
    id = fields.Integer()
    step = fields.String()
    title = fields.String()
    kind = fields.String(metadata={"description": "main, side or end"})
    document_kind = fields.String(allow_none=True)
    document_id = fields.Integer(allow_none=True)
    document_state = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True, metadata={"description": "None: the system."})
    responsible_id = fields.Integer(allow_none=True)
    entered_at = Instant()
    completed_at = Instant(allow_none=True)
    outcome = fields.String(allow_none=True)
    refusal_reason_id = fields.Integer(allow_none=True)


class DocumentRefSchema(Schema):
    kind = fields.String()
    id = fields.Integer()


class ProcessSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    current_step = fields.String()
    subject_kind = fields.String(allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    started_by_id = fields.Integer(allow_none=True)
    started_at = Instant()
    ended_at = Instant(allow_none=True)
    refusal_reason_id = fields.Integer(allow_none=True)


class ProcessViewSchema(ProcessSchema):
    title = fields.String()
    steps = fields.List(fields.Nested(StepRowSchema))
    current_document = fields.Nested(DocumentRefSchema, allow_none=True)
    allowed_next = fields.List(fields.String())


class StepTakenSchema(Schema):
    process = fields.Nested(ProcessViewSchema)
    document = fields.Nested(DocumentRefSchema, allow_none=True)


class ProcessQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(list(PROCESSES)))
    state = fields.String(validate=validate.OneOf(STATES))
    current_step = fields.String(validate=validate.OneOf(ALL_STEPS))
    subject_kind = fields.String(validate=validate.OneOf(SUBJECT_KINDS))
    subject_id = QueryId()


class StepDefSchema(Schema):
    name = fields.String()
    title = fields.String()
    document = fields.String(allow_none=True)
    performer = fields.String()
    kind = fields.String()
    manual = fields.Boolean()
    interaction_kinds = fields.List(fields.String())
    direction = fields.String(allow_none=True)
    topic = fields.String(allow_none=True)
    required = fields.List(fields.String())
    outcomes = fields.List(fields.String())
    next = fields.List(fields.String())


class ProcessDefSchema(Schema):
    kind = fields.String()
    title = fields.String()
    start = fields.String()
    steps = fields.List(fields.Nested(StepDefSchema))


class ItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = Name(required=True)
    department = Text(200, allow_none=True)
    responsible_id = Id(allow_none=True)
    accounting = fields.String(
        load_default="white",
        validate=validate.OneOf(ACCOUNTING),
        metadata={"description": "grey or white: copied to orders and work assignments."},
    )
    planned_cost = fields.Decimal(
        places=2,
        as_string=True,
        allow_none=True,
        validate=validate.Range(min=0, max=10**11),
        metadata={"description": "Planned cost per unit (document 'Planned cost and time')."},
    )
    planned_hours = fields.Decimal(
        places=2,
        as_string=True,
        allow_none=True,
        validate=validate.Range(min=0, max=10**7),
        metadata={"description": "Planned working time per unit, in hours."},
    )
    active = fields.Boolean(load_default=True)
    group_id = Id(allow_none=True, metadata={"description": "Item group (BCG matrix)"})


class ItemQuerySchema(Schema):
    active = fields.Boolean()


class ContractSchema(Schema):
    id = fields.Integer(dump_only=True)
    number = Name(100, required=True)
    counterparty_id = Id(required=True)
    signed_on = Day(allow_none=True)


class ContractQuerySchema(Schema):
    counterparty_id = QueryId()


class _Reached(Schema):
    step = fields.String()
    instances = fields.Integer()


class _Median(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    transitions = fields.Integer()
    median_seconds = fields.Float()


class _Refusals(Schema):
    refusal_reason_id = fields.Integer()
    name = fields.String()
    refused_at_step = fields.String()
    count = fields.Integer()


class StatisticsSchema(Schema):
    kind = fields.String()
    started = fields.Integer()
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    reached = fields.List(fields.Nested(_Reached))
    median_between_steps = fields.List(fields.Nested(_Median))
    refusal_reasons = fields.List(fields.Nested(_Refusals))
