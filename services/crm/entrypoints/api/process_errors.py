"""Error bodies of the sales process: every missing field at once, and the steps allowed now."""

from __future__ import annotations

from flask_smorest import Blueprint

from services.crm.domain.documents import Incomplete
from services.crm.domain.process import StepNotAllowed
from services.crm.entrypoints.api.errors import body


def register(blp: Blueprint) -> None:
    """Answer a document completed too early with 422 naming each field, a step out of turn with 409."""

    @blp.errorhandler(Incomplete)
    def incomplete(exc: Incomplete):
        return body(422, str(exc), errors={"json": {f: [r] for f, r in exc.missing.items()}})

    @blp.errorhandler(StepNotAllowed)
    def not_allowed(exc: StepNotAllowed):
        return body(409, str(exc), allowed=exc.allowed)
