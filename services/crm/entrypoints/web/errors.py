"""What a page shows when a rule refuses: the reason in the reader's language, never a trace."""

from __future__ import annotations

import redis
from flask_wtf.csrf import CSRFError

from services.crm.domain.errors import Conflict, DomainError, Forbidden, NotFound
from services.crm.domain.process import StepNotAllowed
from services.crm.entrypoints.web.base import bp, render, t, unavailable
from shared.i18n import _


@bp.errorhandler(NotFound)
def not_found(exc: NotFound):
    return render("error.html", 404, message=t(_("There is no such page, or it is not yours.")))


@bp.errorhandler(Forbidden)
def forbidden(exc: Forbidden):
    return render("error.html", 403, message=t(_("Your role does not allow this.")))


@bp.errorhandler(StepNotAllowed)
def step_not_allowed(exc: StepNotAllowed):
    return render("error.html", 409, message=t(str(exc)), allowed=exc.allowed)


@bp.errorhandler(Conflict)
def conflict(exc: Conflict):
    return render("error.html", 409, message=t(str(exc)))


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    return render("error.html", 422, message=t(str(exc)))


@bp.errorhandler(CSRFError)
def expired_form(exc: CSRFError):
    message = t(_("The form has expired. Reload the page and send it again."))
    return render("error.html", 400, message=message)


@bp.errorhandler(redis.RedisError)
def sessions_away(exc: redis.RedisError):
    # Redis went away during the request (the sign-in rate limit, a logout everywhere).
    return unavailable()
