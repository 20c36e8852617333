"""Every word a person reads, in English, Russian or Ukrainian, through gettext catalogues.

Source strings are English and marked with :func:`_` where they are written, so
``pybabel extract`` finds them; they are translated with :func:`translate` in the reader's
language where the text is made for a person (a task title, a notification, an e-mail).
The catalogues live in ``shared/locale/<lang>/LC_MESSAGES/messages.po`` and are compiled by
the install step.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

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
