"""Phone numbers as the telephone exchange and the CRM's records write them, made comparable.

Numbers are kept as typed ("(044) 123-45-67", "+380 44 123 4567"); matching a call to a
customer compares their E.164 form, parsed by Google's libphonenumber rules. A number
written without a country code is read in the company's region (``PHONE_REGION``).
"""

from __future__ import annotations

from collections.abc import Iterable

import phonenumbers


def e164(raw: str | None, region: str) -> str | None:
    """``raw`` in E.164 (``+380441234567``), or None when it is not a phone number."""
    if not raw or not raw.strip():
        return None
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    elif text[0].isdigit() and len(text) > 10 and not text.startswith("0"):
        # Exchanges often send international numbers without the "+" (380441234567).
        text = "+" + text
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def all_e164(raws: Iterable[str | None], region: str) -> set[str]:
    return {n for n in (e164(raw, region) for raw in raws) if n}
