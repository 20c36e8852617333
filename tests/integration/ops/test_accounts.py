"""Access from the console: the first admin's token, and rotating an employee's tokens."""

from __future__ import annotations

from services.crm.handlers.employees import authenticate
from tests import factories


def authenticated(sessions, token: str) -> int | None:
    with sessions() as session:
        actor = authenticate(session, token)
        return actor.id if actor else None


def test_create_admin_prints_a_token_that_authenticates_an_admin(ops, sessions, clean_db):
    token = ops("create-admin", "--email", "boss@example.com").stdout.strip()
    with sessions() as session:
        assert authenticate(session, token).role == "admin"
    assert "already taken" in ops("create-admin", "--email", "boss@example.com", code=1).output


def test_rotating_tokens_revokes_the_old_ones_and_the_new_one_works(ops, sessions, clean_db):
    employee_id, old = factories.employee(sessions, "manager", email="ann@example.com")
    email, revoked, new = ops("rotate-tokens", "ann@example.com").stdout.strip().split("\t")
    assert (email, revoked) == ("ann@example.com", "revoked 1")
    assert authenticated(sessions, old) is None
    assert authenticated(sessions, new) == employee_id
