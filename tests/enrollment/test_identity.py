import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from enrollment.identity import build_id_number, normalize_id_number, parse_id_number

TODAY = datetime.date(2026, 11, 23)
# A published test number (GB 11643 example layout): area 110105, born 1949-12-31, check digit X.
VALID_WITH_X = "11010519491231002X"


def error_code(raw: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse_id_number(raw, today=TODAY)
    return info.value.code


def test_valid_number_gives_birth_date_gender_and_place():
    parsed = parse_id_number("360102199003071236", today=TODAY)

    assert parsed.number == "360102199003071236"
    assert parsed.birth_date == datetime.date(1990, 3, 7)
    assert parsed.gender == "male"  # sequence 123 is odd
    assert parsed.area_code == "360102"
    assert parsed.birth_place == "江西省东湖区"
    assert parsed.warnings == ()


def test_even_sequence_is_female():
    number = build_id_number(area_code="360102", birth_date=datetime.date(1985, 6, 1), sequence=124)
    assert parse_id_number(number, today=TODAY).gender == "female"


def test_wrong_check_digit_is_rejected():
    assert error_code("360102199003071232") == "checksum"


def test_impossible_birth_date_is_rejected():
    body = "36010219900230123"  # 30 February
    number = body + "0"
    with pytest.raises(ValidationError) as info:
        parse_id_number(number, today=TODAY)
    assert info.value.code == "birth_date"
    assert "19900230" in str(info.value.message % info.value.params)


def test_birth_date_after_today_is_rejected():
    number = build_id_number(area_code="360102", birth_date=datetime.date(2026, 11, 24), sequence=101)
    assert error_code(number) == "birth_date"


def test_birth_date_today_is_accepted():
    number = build_id_number(area_code="360102", birth_date=TODAY, sequence=101)
    assert parse_id_number(number, today=TODAY).birth_date == TODAY


def test_lower_case_x_is_accepted_as_upper_case():
    parsed = parse_id_number(VALID_WITH_X.lower(), today=TODAY)
    assert parsed.number == VALID_WITH_X


def test_full_width_characters_and_spaces_are_normalised():
    full_width = "３６０１０２ １９９００３０７ １２３６"
    assert normalize_id_number(full_width) == "360102199003071236"
    assert parse_id_number(full_width, today=TODAY).number == "360102199003071236"


def test_fifteen_digit_first_generation_number_is_rejected_with_its_own_message():
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as info:
            parse_id_number("360102900307123", today=TODAY)
        message = str(info.value.messages[0])
    assert info.value.code == "first_generation"
    assert "15位" in message and "18位" in message


@pytest.mark.parametrize("raw", ["36010219900307123", "3601021990030712361", "1"])
def test_other_lengths_are_rejected(raw):
    assert error_code(raw) == "length"


@pytest.mark.parametrize("raw", ["36010219900307123A", "X60102199003071231"])
def test_letters_other_than_a_final_x_are_rejected(raw):
    assert error_code(raw) == "format"


def test_empty_is_rejected():
    assert error_code("  ") == "required"


def test_unknown_area_code_is_only_a_warning():
    # 361003 (Dongxiang district, Fuzhou) was created in 2017: the table does not know it for a 1990 birth.
    number = build_id_number(area_code="361003", birth_date=datetime.date(1990, 5, 5), sequence=201)

    parsed = parse_id_number(number, today=TODAY)

    assert parsed.birth_place is None
    assert len(parsed.warnings) == 1 and "361003" in parsed.warnings[0]


def test_build_id_number_makes_numbers_that_validate():
    for sequence in range(101, 140):
        number = build_id_number(area_code="520102", birth_date=datetime.date(1970, 1, 31), sequence=sequence)
        assert parse_id_number(number, today=TODAY).number == number


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh-hans", "校验"), ("en", "check digit")],
)
def test_messages_follow_the_active_language(language, expected):
    with translation.override(language):
        with pytest.raises(ValidationError) as info:
            parse_id_number("360102199003071232", today=TODAY)
        assert expected in str(info.value.messages[0])


@pytest.mark.parametrize("area_code", ["361099", "361010"])
def test_area_codes_the_table_lists_without_a_county_are_only_a_warning(area_code):
    number = build_id_number(area_code=area_code, birth_date=datetime.date(1990, 5, 5), sequence=201)
    parsed = parse_id_number(number, today=TODAY)
    assert parsed.birth_place is None and area_code in parsed.warnings[0]
