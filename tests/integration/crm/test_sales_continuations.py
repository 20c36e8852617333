"""Continuations are enforced: from each step only the steps the process allows, 409 otherwise
with the allowed next steps in the body; roles and the fields a step takes are checked too."""

from __future__ import annotations

from typing import Any

from services.crm.entrypoints.api.sales_schemas import MANUAL_STEPS
from tests.integration.crm.sales_world import world_fixture  # noqa: F401
from tests.integration.crm.support import field_errors


def _registered(w):
    return w.register()["id"]


def _first_contact(w):
    return w.at_first_contact()


def _first_contact_done(w):
    return w.at_first_contact(completed=True)


def _proposal(w):
    return w.at_proposal()[0]


def _proposal_done(w):
    return w.at_proposal(completed=True)[0]


def _meeting(w):
    return w.at_meeting()[0]


def _meeting_done(w):
    return w.at_meeting(completed=True)[0]


def _order_draft(w):
    return w.at_order()[0]


def _closed(w):
    pid, order = w.at_order()
    w.manager.post(f"/api/orders/{order}/post")
    return pid


def _refused(w):
    pid = w.at_first_contact()
    w.took(pid, "refusal", refusal_reason_id=w.reason["id"])
    return pid


ALLOWED = [
    (_registered, []),
    (_first_contact, ["assignment", "refusal"]),
    (_first_contact_done, ["assignment", "proposal", "meeting", "order", "refusal"]),
    (_proposal, ["proposal_approval", "refusal"]),
    (_proposal_done, ["meeting", "order", "refusal"]),
    (_meeting, ["refusal"]),
    (_meeting_done, ["order", "refusal"]),
    (_order_draft, []),
    (_closed, []),
    (_refused, []),
]


def test_every_step_the_current_one_does_not_allow_is_refused_with_the_allowed_ones(world):
    wrong: list[tuple[Any, ...]] = []
    for reach, allowed in ALLOWED:
        pid = reach(world)
        view = world.view(pid)
        if view["allowed_next"] != allowed:
            wrong.append((reach.__name__, "view", view["allowed_next"]))
        for step in MANUAL_STEPS:
            if step in allowed:
                continue
            r = world.step(pid, step)
            if r.status_code != 409 or r.json.get("allowed") != allowed:
                wrong.append((reach.__name__, step, r.status_code, r.json))
        if world.view(pid)["steps"] != view["steps"]:
            wrong.append((reach.__name__, "a refused step changed the instance"))
    assert wrong == []


def test_a_refused_continuation_says_why(world):
    pid = world.at_first_contact()
    r = world.step(pid, "proposal", content="x")
    assert r.status_code == 409
    assert (
        r.json["message"]
        == "proposal may follow first_contact only while its document is completed"
    )
    r = world.step(world.register()["id"], "refusal")
    assert r.json["message"] == "refusal may not follow registration"


def test_a_step_takes_only_its_own_fields(world):
    pid = world.at_first_contact(completed=True)
    assert field_errors(world.step(pid, "meeting", needs_approval=True)) == {
        "needs_approval": ["not a field of a meeting"]
    }
    assert "shipping_date" in field_errors(world.step(pid, "proposal", shipping_date="2030-01-01"))
    assert "content" in field_errors(world.step(pid, "order", content="x"))
    assert "kind" in field_errors(world.step(pid, "proposal", kind="call"))
    assert "direction" in field_errors(world.step(pid, "proposal", direction="incoming"))
    assert "step" in field_errors(world.step(pid, "registration"))
    first = world.view(pid)["steps"][1]["document_id"]
    for name, value in (("approver_id", world.approver.id), ("needs_approval", True)):
        r = world.manager.patch(f"/api/documents/{first}", json={name: value})
        assert field_errors(r) == {name: ["not a field of a first_contact"]}


def test_each_role_takes_only_its_own_steps(world):
    assert world.executor.post("/api/processes", json={}).status_code == 403
    pid = world.at_first_contact(completed=True)
    assert world.step(pid, "proposal", world.secretary, content="x").status_code == 403
    first = world.view(pid)["steps"][1]["document_id"]
    assert world.secretary.post(f"/api/documents/{first}/start").status_code == 403
    _, order = world.at_order()
    assert world.executor.post(f"/api/orders/{order}/post").status_code == 403
    assert world.executor.patch(f"/api/orders/{order}", json={"source": "x"}).status_code == 403


def test_documents_of_the_calling_loop_are_not_process_documents(world, sessions):
    from services.crm.adapters.work import Interaction
    from shared.db import transaction

    with transaction(sessions) as session:
        call = Interaction(kind="call", direction="outgoing", state="completed")
        session.add(call)
        session.flush()
        call_id = call.id
    assert world.manager.get(f"/api/documents/{call_id}").status_code == 404
    assert world.manager.get("/api/processes/999").status_code == 404
    assert world.step(999, "proposal").status_code == 404
