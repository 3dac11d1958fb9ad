"""Resident identity numbers (居民身份证号码, GB 11643-1999).

The 18-character number is six digits of area code, eight of birth date, three of sequence (odd
for men, even for women) and an ISO 7064 MOD 11-2 check character. The length, the birth date and
the check character are hard errors; an area code the division table does not know for the birth
year is only a warning: districts are created and renamed (361003 Dongxiang dates from 2017), and a
number once issued stays valid.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

ID_NUMBER_LENGTH = 18
FIRST_GENERATION_LENGTH = 15
EARLIEST_BIRTH_YEAR = 1900


class Gender:
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: datetime.date
    gender: str
    area_code: str
    birth_place: str | None
    warnings: tuple[str, ...]


def mask_id_number(id_number: str) -> str:
    """360102199003071234 → 360102********1234: the area stays readable, the birth date does not."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


# Whole ID numbers and mainland mobile numbers inside a text (a user name, a note, a file's cell),
# not inside a longer run of digits or letters.
_ID_NUMBER_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_identifiers_in(text: str) -> str:
    """The text with every ID number and mobile number in it masked (a resident's user name is their
    ID number: `360102199003071234` → `360102********1234`)."""
    text = _ID_NUMBER_IN_TEXT.sub(lambda match: mask_id_number(match.group(0)), text)
    return _MOBILE_IN_TEXT.sub(lambda match: mask_phone(match.group(0)), text)


def mask_name(name: str) -> str:
    """张三丰 → 张**: enough for a clerk on the phone to confirm, not enough to identify."""
    return name[:1] + "*" * (len(name) - 1)


def normalize_id_number(raw: str) -> str:
    """Full-width digits and letters (common on phone keyboards) become ASCII; spaces and hyphens go."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if ch not in " -\t\n").upper()


def parse_id_number(raw: str, *, today: datetime.date) -> ResidentId:
    """Validate a resident ID number and return what it says; raises ValidationError (code given)."""
    number = normalize_id_number(raw)
    if not number:
        raise ValidationError(_("Enter the resident ID number."), code="required")
    if len(number) == FIRST_GENERATION_LENGTH and number.isdigit():
        raise ValidationError(
            _(
                "15-digit resident ID numbers (first generation, issued before 1999) are no longer accepted; "
                "enter the 18-digit number."
            ),
            code="first_generation",
        )
    if len(number) != ID_NUMBER_LENGTH:
        raise ValidationError(
            _("A resident ID number has 18 characters; %(length)d were entered."),
            code="length",
            params={"length": len(number)},
        )
    if not (number[:-1].isascii() and number[:-1].isdigit()) or not (number[-1].isdigit() or number[-1] == "X"):
        raise ValidationError(_("The first 17 characters must be digits and the last one a digit or X."), code="format")
    birth_text = number[6:14]
    try:
        birth_date = ric.get_birth_date(number)
    except InvalidComponent:
        raise ValidationError(
            _("The birth date in the ID number (%(value)s) is not a real date."),
            code="birth_date",
            params={"value": birth_text},
        ) from None
    if birth_date > today or birth_date.year < EARLIEST_BIRTH_YEAR:
        raise ValidationError(
            _("The birth date in the ID number (%(value)s) is not possible."),
            code="birth_date",
            params={"value": birth_date.isoformat()},
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise ValidationError(
            _("The check digit (the last character) does not match the other 17; please check the number."),
            code="checksum",
        )
    warnings: list[str] = []
    try:
        place = ric.get_birth_place(number)
        birth_place: str | None = f"{place.get('province', '')}{place.get('county', '')}"
    except (InvalidComponent, KeyError):  # the table has codes without a county entry (361099, 361010)
        birth_place = None
        warnings.append(
            str(
                _(
                    "The area code %(code)s is not in the administrative division table; "
                    "please check it (it may be a district created after the holder was born)."
                )
                % {"code": number[:6]}
            )
        )
    sequence = int(number[14:17])
    return ResidentId(
        number=number,
        birth_date=birth_date,
        gender=Gender.MALE if sequence % 2 else Gender.FEMALE,
        area_code=number[:6],
        birth_place=birth_place,
        warnings=tuple(warnings),
    )


def build_id_number(*, area_code: str, birth_date: datetime.date, sequence: int) -> str:
    """A valid number for demo data and tests: area code, birth date, 3-digit sequence, check digit."""
    body = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    # calc_check_digit ignores the last character of what it is given: pass a placeholder.
    return body + ric.calc_check_digit(body + "0")
