"""Personal data never reaches a log line.

Logs leave the agency's control (log shippers, a developer's terminal, an error tracker), so
every record passes through `PersonalDataFilter` before any handler writes it: resident ID
numbers, mobile phone numbers and the search terms of logged URLs are masked the way the screens
mask them, in the message, its
arguments and the traceback of an exception (a validation error or a failing query may quote
them). Code should log person ids (primary keys), not identifiers; this filter is the net for the
line that forgot.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote_plus

# 18-character resident ID numbers (last character a digit or X) and 11-digit mainland mobile
# numbers, not inside a longer run of digits (a payment reference or an amount stays as it is).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# Search terms in a logged URL (runserver's request lines, a 404 warning): the admin's `q` and the
# API's `name` may be a person's name, which no pattern recognises, so the value itself is masked.
SEARCH_PARAMETER = re.compile(r"(?P<key>[?&](?:q|name|search)=)(?P<value>[^&\s\"'#]+)")


def _mask_search_term(match: re.Match[str]) -> str:
    term = unquote_plus(match.group("value"))
    if ID_NUMBER.fullmatch(term) or MOBILE.fullmatch(term):
        return match.group("key") + term  # masked below, the way every ID or phone number is
    # As the screens mask a name (张三丰 → 张**): the first character only.
    return match.group("key") + term[:1] + "*" * (len(term) - 1)


def mask_personal_data(text: str) -> str:
    """The text with ID numbers as `360102********1234`, phones as `138****5678` and the search terms
    of URLs (`?q=张三丰`) as `张**`."""
    text = SEARCH_PARAMETER.sub(_mask_search_term, text)
    text = ID_NUMBER.sub(lambda match: f"{match.group(1)}{'*' * 8}{match.group(2)[-4:]}", text)
    return MOBILE.sub(r"\1****\2", text)


class PersonalDataFilter(logging.Filter):
    """Rewrites each record's message (and traceback) with personal identifiers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed format string: logging would report it; keep the raw text, masked.
            message = str(record.msg)
        record.msg = mask_personal_data(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_personal_data(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True
