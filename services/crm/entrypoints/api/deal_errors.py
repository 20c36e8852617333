"""Error bodies of deals: a move the kind forbids (409 with the allowed ones), missing fields
(422 naming each)."""

from __future__ import annotations

from flask_smorest import Blueprint

from services.crm.domain.deals import Incomplete, MoveNotAllowed
from services.crm.entrypoints.api.errors import body


def register(blp: Blueprint) -> None:
    @blp.errorhandler(Incomplete)
    def incomplete(exc: Incomplete):
        return body(422, str(exc), errors={"json": {f: [r] for f, r in exc.missing.items()}})

    @blp.errorhandler(MoveNotAllowed)
    def not_allowed(exc: MoveNotAllowed):
        return body(409, str(exc), allowed=exc.allowed)
