"""Demo data for `make run`: a small sales department and its customers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.crm import demo_deals
from services.crm.adapters.orm import Employee, InteractionStatus
from services.crm.domain.roles import Actor, Role
from services.crm.handlers.catalogue import create_contract, create_item
from services.crm.handlers.counterparties import create_counterparty
from services.crm.handlers.employees import create_employee, issue_token
from services.crm.handlers.leads import create_lead
from services.crm.handlers.partners import add_contact, create_partner
from shared.config import Settings

ADMIN_EMAIL = "admin@demo.example"

EMPLOYEES = (
    ("Alex Admin", ADMIN_EMAIL, Role.ADMIN, None, "UTC"),
    ("Sam Secretary", "secretary@demo.example", Role.SECRETARY, "Sales", "Europe/Berlin"),
    ("Maria Manager", "maria@demo.example", Role.MANAGER, "Sales", "Europe/Berlin"),
    ("Mark Manager", "mark@demo.example", Role.MANAGER, "Sales", "America/New_York"),
    ("Helen Head", "helen@demo.example", Role.HEAD_OF_SALES, "Sales", "Europe/Berlin"),
    ("Eric Executor", "eric@demo.example", Role.EXECUTOR, "Execution", "Europe/Berlin"),
    ("Ella Head", "ella@demo.example", Role.HEAD_OF_EXECUTION, "Execution", "Europe/Berlin"),
)

LEADS = (
    ("Northwind Traders", "web form", "Hot", "maria@demo.example"),
    ("Blue Lagoon Hotel", "incoming call", "Warm", "maria@demo.example"),
    ("Acme Garden Supply", "exhibition", "Cold", "mark@demo.example"),
    ("Riverside Bakery", "referral", None, "mark@demo.example"),
)

ITEMS = (
    ("Installation of equipment", "Execution", "eric@demo.example"),
    ("Annual maintenance", "Execution", "eric@demo.example"),
    ("Consultation of a potential client", "Execution", "ella@demo.example"),
)

CUSTOMERS = (
    ("Contoso Group", "Contoso LLC", "legal_entity", "7701000001", "Warm", "maria@demo.example"),
    ("Fabrikam", "Fabrikam Industries", "legal_entity", "7701000002", "Hot", "mark@demo.example"),
    ("Jane Doe", "Jane Doe", "individual", None, "Hopeless", "maria@demo.example"),
)


def load(session: Session, settings: Settings) -> str:
    """Load the demo once; on later runs only issue a fresh admin token. Returns the token."""
    admin = session.scalar(select(Employee).where(Employee.email == ADMIN_EMAIL))
    if admin is None:
        admin = _load_all(session, settings)
    return issue_token(session, None, admin.id, "make run")


def _load_all(session: Session, settings: Settings) -> Employee:
    people = {}
    for name, email, role, department, tz in EMPLOYEES:
        people[email] = create_employee(
            session,
            None,
            {
                "name": name,
                "email": email,
                "role": role,
                "department": department,
                "timezone": tz,
            },
            settings,
        )
    admin = people[ADMIN_EMAIL]
    actor = Actor(admin.id, Role.ADMIN)
    statuses = {s.name: s.id for s in session.scalars(select(InteractionStatus))}
    for name, source, status, manager in LEADS:
        create_lead(
            session,
            actor,
            {
                "name": name,
                "source": source,
                "responsible_id": people[manager].id,
                "phones": ["+49 30 1234567"],
                "emails": [f"info@{name.split()[0].lower()}.example"],
                **({"status_id": statuses[status]} if status else {}),
            },
            settings,
        )
    for partner_name, name, kind, tax_id, status, manager in CUSTOMERS:
        partner = create_partner(
            session, actor, {"name": partner_name, "responsible_id": people[manager].id}
        )
        add_contact(
            session,
            actor,
            partner.id,
            {
                "name": f"Buyer at {partner_name}",
                "job_title": "Purchasing manager",
                "phones": ["+1 555 0100"],
                "emails": [f"buyer@{partner_name.split()[0].lower()}.example"],
            },
            settings.phone_region,
        )
        counterparty = create_counterparty(
            session,
            actor,
            {
                "name": name,
                "kind": kind,
                "tax_id": tax_id,
                "partner_id": partner.id,
                "responsible_id": people[manager].id,
                "status_id": statuses[status],
            },
            settings,
        )
        contract = {"number": f"C-{counterparty.id:04d}", "counterparty_id": counterparty.id}
        create_contract(session, actor, contract)
    for name, department, responsible in ITEMS:
        item = {"name": name, "department": department, "responsible_id": people[responsible].id}
        create_item(session, actor, item)
    demo_deals.load(session, actor, people, settings)
    return admin
