"""Amounts in Chinese capital numerals (大写金额) as the bill-filling rules write them."""

from decimal import Decimal

import pytest

from payments.money import amount_in_chinese_capitals


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("0.00", "零元整"),
        ("0.05", "伍分"),
        ("0.50", "伍角"),
        ("10.00", "壹拾元整"),  # a leading ten keeps its 壹
        ("15.00", "壹拾伍元整"),
        ("110.00", "壹佰壹拾元整"),
        ("400.00", "肆佰元整"),
        ("1070.00", "壹仟零柒拾元整"),
        ("2523.60", "贰仟伍佰贰拾叁元陆角"),  # no 整 after 角
        ("10005.00", "壹万零伍元整"),  # one 零 for a run of zeros
        ("100000.00", "壹拾万元整"),
        ("1000000.00", "壹佰万元整"),
        ("100000001.00", "壹亿零壹元整"),
        ("100010000.00", "壹亿零壹万元整"),
        # The examples of the People's Bank rules for filling in bills:
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),  # jiao zero, fen not: 零 after 元
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ],
)
def test_amount_in_chinese_capitals(amount, capitals):
    assert amount_in_chinese_capitals(Decimal(amount)) == capitals


def test_an_amount_with_fewer_places_reads_the_same():
    assert amount_in_chinese_capitals(Decimal("400")) == amount_in_chinese_capitals(Decimal("400.00"))


@pytest.mark.parametrize("amount", ["-1.00", "1.005", "1000000000000.00", "NaN", "Infinity"])
def test_amounts_that_cannot_be_written_are_refused(amount):
    with pytest.raises(ValueError):
        amount_in_chinese_capitals(Decimal(amount))


def test_a_float_is_refused():
    with pytest.raises(ValueError):
        amount_in_chinese_capitals(400.0)  # type: ignore[arg-type]
