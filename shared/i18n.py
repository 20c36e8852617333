"""Every word a person reads, in English, Russian or Ukrainian, through gettext catalogues.

Source strings are English and marked with :func:`_` where they are written, so
``pybabel extract`` finds them; they are translated with :func:`translate` in the reader's
language where the text is made for a person (a task title, a notification, an e-mail).
The catalogues live in ``shared/locale/<lang>/LC_MESSAGES/messages.po`` and are compiled by
the install step.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates

LOCALES = ("en", "ru", "uk")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"


def _(message: str) -> str:
    """Mark an English source string for extraction; it is translated where it is shown."""
    return message


@cache
def catalogue(locale: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``locale``; English (the source strings) when there is none."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[locale], fallback=True)


def translate(locale: str | None, message: str, **params: object) -> str:
    """``message`` in ``locale`` (English when unknown), with ``{name}`` placeholders filled.

    Parameters:
      locale: ``en``, ``ru`` or ``uk``; None or anything else means English.
      message: the English source string, as marked with :func:`_`.
      params: values of the message's ``{name}`` placeholders.
    """
    language = locale if locale in LOCALES else DEFAULT_LOCALE
    text = catalogue(language).gettext(message)
    return text.format(**params) if params else text


def format_moment(locale: str | None, timezone: str | None, moment: datetime) -> str:
    """``moment`` as its reader reads it: in their language and time zone (``1 Dec 2026, 10:00``).

    Parameters:
      locale: the reader's language, as for :func:`translate`.
      timezone: the reader's IANA time zone; None or an unknown one means UTC.
      moment: a timezone-aware instant.
    """
    try:
        zone = ZoneInfo(timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    language = locale if locale in LOCALES else DEFAULT_LOCALE
    local = moment.astimezone(zone)
    day = dates.format_date(local, "medium", locale=language)
    return f"{day}, {dates.format_time(local, 'short', locale=language)}"


def translate_for(locale: str | None, timezone: str | None, message: str, **params: object) -> str:
    """``message`` for one reader: in their language, with instants written in their zone.

    Parameters:
      locale: the reader's language, as for :func:`translate`.
      timezone: the reader's IANA time zone, as for :func:`format_moment`.
      message: the English source string, as marked with :func:`_`.
      params: values of the placeholders; timezone-aware datetimes go through
        :func:`format_moment`, anything else is written as it is.
    """
    values = {
        name: format_moment(locale, timezone, value) if isinstance(value, datetime) else value
        for name, value in params.items()
    }
    return translate(locale, message, **values)
