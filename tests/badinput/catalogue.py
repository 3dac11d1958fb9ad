"""Hostile values that every form and endpoint of the agency must refuse or store harmlessly.

One shared table, so a new kind of attack is added once and reaches every entry point's test. Each
value has an id (the pytest id) and is plain text: the tests post it wherever a user could type.
"""

from stdnum.cn import ric

SQL_OR = "' OR 1=1 --"
SQL_DROP = "'; DROP TABLE enrollment_person; --"
SCRIPT = "<script>alert(1)</script>"
IMG_ONERROR = '"><img src=x onerror=alert(1)>'
NUL = "\x00"
LONG = "9" * 10_000
FULL_WIDTH_DIGITS = "３６０１０２１９９００３０７１２３"
EMOJI = "😀👍🏽🇨🇳"

# Wrong check digits: 360102199003071231 itself, and the same 17 digits with every other wrong last character.
_ID_BODY = "36010219900307123"
_RIGHT = ric.calc_check_digit(_ID_BODY + "0")
WRONG_CHECKSUMS = [_ID_BODY + last for last in "0123456789X" if last != _RIGHT]
assert "360102199003071231" in WRONG_CHECKSUMS  # the number named in the issue is indeed wrong

# Values that are wrong for every field (text, number, date, choice, ID number).
HOSTILE_TEXT = {
    "sql_or": SQL_OR,
    "sql_drop": SQL_DROP,
    "script": SCRIPT,
    "img_onerror": IMG_ONERROR,
    "nul": NUL,
    "long": LONG,
    "full_width_digits": FULL_WIDTH_DIGITS,
    "emoji": EMOJI,
    "empty": "",
    "whitespace": " \t\n ",
}
BAD_DATES = {"feb_30": "2025-02-30", "month_13": "2025-13-01", "slashes": "2025/03/01", "words": "yesterday"}
BAD_AMOUNTS = {
    "minus_one": "-1",
    "minus_cent": "-0.01",
    "overflow_float": "1e309",
    "huge": "99999999999999999999.99",
    "nan": "NaN",
    "infinity": "Infinity",
    "three_decimals": "1.001",
}

# Wrong for any typed field that is not free text (numbers, dates, phone numbers).
ANY_FIELD = {**HOSTILE_TEXT, **BAD_DATES, **BAD_AMOUNTS}
# Everything, for ID numbers (which also get every wrong check digit).
ALL_VALUES = {
    **ANY_FIELD,
    **{f"checksum_{number[-1]}": number for number in WRONG_CHECKSUMS},
}


def cases(table: dict[str, str]) -> list[tuple[str, str]]:
    """(id, value) pairs for pytest.mark.parametrize(..., ids=...)."""
    return list(table.items())


def ids(table: dict[str, str]) -> list[str]:
    return list(table)
