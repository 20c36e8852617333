"""Every write about a customer x every role x whose customer it is, through the HTTP API.

The rule (services/crm/domain/access.py): a manager changes their own customers and the
sales pool, a head of sales also their department's, admins everything; the others change
no customer. A customer the employee may not even read answers 404, one they may read but
not change 403, and a refused write leaves the database as it was.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import text

from services.crm.adapters.work import Task
from services.crm.handlers import calls
from services.crm.handlers.tasks import open_task
from shared.db import transaction, utcnow
from shared.messages import CallPlanned
from tests import factories
from tests.integration.crm.conftest import Client
from tests.integration.crm.sales_world import CONTACT, PDF
from tests.integration.crm.support import created

ROLES = ("admin", "head_of_sales", "manager", "secretary", "executor", "head_of_execution")
RELATIONS = ("own", "same_department", "other_department", "pool")
LATER = "2030-01-15T10:00:00+00:00"
WARM = 2
OK = "ok"

# What each role gets, by whose customer it is: the tables a sales department would expect.
CHANGE = {
    "admin": (OK, OK, OK, OK),
    "head_of_sales": (OK, OK, 404, OK),
    "manager": (OK, 403, 404, OK),
    "secretary": (403, 403, 403, 403),
    "executor": (403, 403, 403, 403),
    "head_of_execution": (403, 403, 403, 403),
}
# A note for oneself about a customer's document: whoever may read the customer.
READ = {
    "admin": (OK, OK, OK, OK),
    "head_of_sales": (OK, OK, 404, OK),
    "manager": (OK, OK, 404, OK),
    "secretary": (OK, OK, OK, OK),
    "executor": (OK, OK, OK, OK),
    "head_of_execution": (OK, OK, OK, OK),
}
# A call the calling loop gave: its assignee completes it and re-plans it, whoever they are.
GIVEN = {role: (OK, OK, OK, OK) for role in ROLES}
# A task one set oneself: its customer is no secret to its assignee, so a refusal is a 403.
OWN_TASK = {role: tuple(403 if v == 404 else v for v in row) for role, row in CHANGE.items()}
RULES: dict[str, dict[str, Any]] = {
    "change": CHANGE,
    "read": READ,
    "given": GIVEN,
    "own task": OWN_TASK,
}

# Everything a write about a customer may touch; api_tokens and employees are left out.
TABLES = [
    "leads",
    "counterparties",
    "partners",
    "contact_persons",
    "partner_links",
    "status_assignments",
    "call_plans",
    "tasks",
    "interactions",
    "reminders",
    "notifications",
    "orders",
    "order_lines",
    "process_instances",
    "process_steps",
    "phone_numbers",
    "outbox",
]
_plan_ids = itertools.count(100_000)


@dataclass
class World:
    """One employee of each role in the North department, and the others a case needs."""

    people: dict[str, Client]
    colleague: int  # a manager of the North department
    stranger: int  # a manager of the South department
    heir: int  # whom a customer is handed to
    sessions: Any
    item: dict

    @property
    def admin(self) -> Client:
        return self.people["admin"]

    def owner(self, role: str, relation: str) -> int | None:
        return {
            "own": self.people[role].id,
            "same_department": self.colleague,
            "other_department": self.stranger,
            "pool": None,
        }[relation]

    def lead(self, owner: int | None) -> int:
        return created(self.admin, "/api/leads", name="Stark", responsible_id=owner)["id"]

    def partner(self, owner: int | None) -> int:
        return created(self.admin, "/api/partners", name="Acme", responsible_id=owner)["id"]

    def counterparty(self, owner: int | None) -> int:
        body = {"name": "Acme LLC", "kind": "legal_entity", "responsible_id": owner}
        return created(self.admin, "/api/counterparties", partner_id=self.partner(owner), **body)[
            "id"
        ]

    def planned(self, kind: str, subject_id: int, owner: int | None) -> int:
        """A live call plan of the subject, as the scheduler's CallPlanned would store it."""
        data = {
            "plan_id": next(_plan_ids),
            "subject_kind": kind,
            "subject_id": subject_id,
            "responsible_id": owner,
            "status_id": 1,
            "next_call_at": utcnow(),
            "state": "planned",
            "revision": 1,
        }
        with transaction(self.sessions) as session:
            calls.apply_call_planned(session, CallPlanned(**data))
        return subject_id

    def task(self, subject_id: int, assignee: int, author: int | None) -> int:
        """A call task about a lead: set by ``author`` by hand, or by the system (None)."""
        with transaction(self.sessions) as session:
            return open_task(
                session,
                Task(
                    kind="call",
                    title="Call Stark",
                    assignee_id=assignee,
                    author_id=author,
                    subject_kind="lead",
                    subject_id=subject_id,
                    due_at=utcnow(),
                ),
            ).id

    def first_contact(self, counterparty: int, *, completed: bool = False) -> tuple[int, int]:
        """A sales process at its first contact about the counterparty: (process, document)."""
        body = {"contacts": [CONTACT], "transferred_to_id": self.admin.id}
        process = created(self.admin, "/api/processes", **body)
        registration = process["current_document"]["id"]
        assert (
            self.admin.post(f"/api/documents/{registration}/complete", json={}).status_code == 200
        )
        doc = self.admin.get(f"/api/processes/{process['id']}").json["current_document"]["id"]
        about = {"subject_kind": "counterparty", "subject_id": counterparty}
        assert self.admin.patch(f"/api/documents/{doc}", json=about).status_code == 200
        if completed:
            assert self.admin.post(f"/api/documents/{doc}/complete", json={}).status_code == 200
        return process["id"], doc

    def order(self, counterparty: int) -> int:
        """A draft order for the counterparty, filled in enough to be posted."""
        pid, _ = self.first_contact(counterparty, completed=True)
        contract = created(
            self.admin, "/api/contracts", number=f"C-{pid}", counterparty_id=counterparty
        )
        fields = {
            "contract_id": contract["id"],
            "shipping_date": "2030-03-01",
            "lines": [{"item_id": self.item["id"], "quantity": 1, "price": "10.00"}],
            "responsible_id": self.item["responsible_id"],
            "source": "incoming call",
            "requires_approval": False,
        }
        return created(self.admin, f"/api/processes/{pid}/steps", step="order", **fields)[
            "document"
        ]["id"]


@dataclass(frozen=True)
class Op:
    """One write: ``setup`` makes its target for an owner, ``send`` asks as the client."""

    name: str
    setup: Callable[[World, int | None, Client], Any]
    send: Callable[[Client, Any, World], Any]
    answers: int
    rule: str = "change"  # a key of RULES


def _on(name: str, customer: str, method: str, path: str, body: dict, answers: int) -> Op:
    """A write of ``body`` to ``path`` (``{}`` is the id) about a new ``customer``."""
    return Op(
        name,
        lambda w, owner, _: getattr(w, customer)(owner),
        lambda c, t, _: getattr(c, method)(path.format(t), json=body),
        answers,
    )


def _subject_ops(kind: str, collection: str) -> tuple[Op, ...]:
    """The writes a lead and a counterparty share: its manager, its status, its call."""

    def made(w, owner, _):
        return getattr(w, kind)(owner)

    def planned(w, owner, _):
        return w.planned(kind, made(w, owner, _), owner)

    url = f"/api/{collection}/{{}}"
    return (
        Op(
            f"{kind}.change_responsible",
            made,
            lambda c, t, w: c.patch(url.format(t), json={"responsible_id": w.heir}),
            200,
        ),
        Op(
            f"{kind}.assign_status",
            made,
            lambda c, t, _: c.post(f"{url.format(t)}/status", json={"status_id": WARM}),
            200,
        ),
        Op(
            f"{kind}.reschedule_call",
            planned,
            lambda c, t, _: c.post(f"{url.format(t)}/reschedule-call", json={"due_at": LATER}),
            202,
        ),
    )


def _contact(w, owner, _):
    return created(w.admin, f"/api/partners/{w.partner(owner)}/contacts", name="Ann")["id"]


def _call_back(c, task, _):
    body = {"outcome": "call_back_later", "result": "busy", "call_back_at": LATER}
    return c.post(f"/api/tasks/{task}/complete", json=body)


OPS = (
    _on("lead.edit_note", "lead", "patch", "/api/leads/{}", {"note": "ours now"}, 200),
    *_subject_ops("lead", "leads"),
    _on("lead.convert", "lead", "post", "/api/leads/{}/convert", {"kind": "individual"}, 201),
    _on(
        "counterparty.rename",
        "counterparty",
        "patch",
        "/api/counterparties/{}",
        {"name": "Acme Ltd"},
        200,
    ),
    *_subject_ops("counterparty", "counterparties"),
    _on("partner.edit", "partner", "patch", "/api/partners/{}", {"name": "Acme Holding"}, 200),
    _on(
        "partner.add_contact_person",
        "partner",
        "post",
        "/api/partners/{}/contacts",
        {"name": "Bo", "phones": ["+1 555 0102"]},
        201,
    ),
    Op(
        "contact_person.edit_phones",
        _contact,
        lambda c, t, _: c.patch(f"/api/contacts/{t}", json={"phones": ["+1 555 0103"]}),
        200,
    ),
    Op("contact_person.delete", _contact, lambda c, t, _: c.delete(f"/api/contacts/{t}"), 204),
    Op(
        "partner.link",
        lambda w, o, _: (w.partner(o), w.partner(None)),
        lambda c, t, _: c.post(f"/api/partners/{t[0]}/links", json={"related_partner_id": t[1]}),
        201,
    ),
    Op(
        "task.create_for_customer",
        lambda w, o, _: w.lead(o),
        lambda c, t, _: c.post(
            "/api/tasks",
            json={
                "kind": "call",
                "assignee_id": c.id,
                "subject_kind": "lead",
                "subject_id": t,
                "due_at": LATER,
            },
        ),
        201,
    ),
    Op(
        "task.call_back_on_own_task",
        lambda w, o, c: w.task(w.planned("lead", w.lead(o), o), c.id, author=c.id),
        _call_back,
        200,
        "own task",
    ),
    Op(
        "task.call_back_on_a_call_the_loop_gave",
        lambda w, o, c: w.task(w.planned("lead", w.lead(o), o), c.id, author=None),
        _call_back,
        200,
        "given",
    ),
    Op(
        "document.edit",
        lambda w, o, _: w.first_contact(w.counterparty(o))[1],
        lambda c, t, _: c.patch(f"/api/documents/{t}", json={"content": "called back"}),
        200,
    ),
    Op(
        "document.start",
        lambda w, o, _: w.first_contact(w.counterparty(o))[1],
        lambda c, t, _: c.post(f"/api/documents/{t}/start"),
        200,
    ),
    Op(
        "document.complete",
        lambda w, o, _: w.first_contact(w.counterparty(o))[1],
        lambda c, t, _: c.post(f"/api/documents/{t}/complete", json={}),
        200,
    ),
    Op(
        "process.take_proposal_step",
        lambda w, o, _: w.first_contact(w.counterparty(o), completed=True)[0],
        lambda c, t, _: c.post(
            f"/api/processes/{t}/steps",
            json={"step": "proposal", "content": "Our offer", "attachments": [PDF]},
        ),
        201,
    ),
    Op(
        "order.create",
        lambda w, o, _: w.first_contact(w.counterparty(o), completed=True)[0],
        lambda c, t, _: c.post(f"/api/processes/{t}/steps", json={"step": "order"}),
        201,
    ),
    Op(
        "order.edit",
        lambda w, o, _: w.order(w.counterparty(o)),
        lambda c, t, _: c.patch(f"/api/orders/{t}", json={"comment": "rush"}),
        200,
    ),
    Op(
        "order.post",
        lambda w, o, _: w.order(w.counterparty(o)),
        lambda c, t, _: c.post(f"/api/orders/{t}/post"),
        200,
    ),
    Op(
        "reminder.on_a_customers_task",
        lambda w, o, _: w.task(w.lead(o), w.admin.id, author=None),
        lambda c, t, _: c.post(
            "/api/reminders",
            json={
                "recipient_id": c.id,
                "text": "call them",
                "remind_at": LATER,
                "basis_kind": "task",
                "basis_id": t,
            },
        ),
        201,
        "read",
    ),
)

CASES = [
    pytest.param(op, role, relation, id=f"{op.name}-{role}-{relation}")
    for op in OPS
    for role in ROLES
    for relation in RELATIONS
]


@pytest.fixture(scope="module")
def world(app, sessions) -> World:
    def person(role: str, department: str) -> Client:
        return Client(app, *factories.employee(sessions, role, department=department))

    people = {role: person(role, "North") for role in ROLES}
    executor = person("executor", "Execution")
    item = created(
        people["admin"],
        "/api/items",
        name="Installation",
        department="Execution",
        responsible_id=executor.id,
    )
    return World(
        people=people,
        colleague=person("manager", "North").id,
        stranger=person("manager", "South").id,
        heir=person("manager", "North").id,
        sessions=sessions,
        item=item,
    )


def footprint(sessions) -> dict[str, str]:
    """A digest of every row a write about a customer may touch, table by table."""
    digests = " UNION ALL ".join(
        f"SELECT '{t}', md5(coalesce(string_agg(r::text, ',' ORDER BY r::text), '')) FROM crm.{t} r"
        for t in TABLES
    )
    with sessions() as session:
        return dict(session.execute(text(digests)).all())


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [t for t in TABLES if before[t] != after[t]]


@pytest.mark.parametrize(("op", "role", "relation"), CASES)
def test_a_write_about_a_customer_follows_the_ownership_rule(world, sessions, op, role, relation):
    client = world.people[role]
    target = op.setup(world, world.owner(role, relation), client)
    expected = RULES[op.rule][role][RELATIONS.index(relation)]
    before = footprint(sessions)

    response = op.send(client, target, world)

    after = footprint(sessions)
    if expected == OK:
        assert response.status_code == op.answers, response.get_json()
        assert changed(before, after), "an accepted write left no trace"
    else:
        assert response.status_code == expected, response.get_json()
        assert changed(before, after) == [], "a refused write changed something"


def test_the_matrix_covers_every_write_for_every_role_and_relation():
    assert len(CASES) == len(OPS) * len(ROLES) * len(RELATIONS) == 25 * 6 * 4
