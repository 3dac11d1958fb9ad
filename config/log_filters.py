"""Personal data never reaches a log line.

Logs leave the agency's control (log shippers, a developer's terminal, an error tracker), so
every record passes through `PersonalDataFilter` before any handler writes it: resident ID
numbers and mobile phone numbers are masked the way the screens mask them, in the message, its
arguments and the traceback of an exception (a validation error or a failing query may quote
them). Code should log person ids (primary keys), not identifiers; this filter is the net for the
line that forgot.
"""

from __future__ import annotations

import logging
import re

# 18-character resident ID numbers (last character a digit or X) and 11-digit mainland mobile
# numbers, not inside a longer run of digits (a payment reference or an amount stays as it is).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def mask_personal_data(text: str) -> str:
    """The text with ID numbers as `360102********1234` and phones as `138****5678`."""
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
