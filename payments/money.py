"""Money as it is written on Chinese receipts: the amount in capital numerals (大写金额).

The rules are those of the People's Bank of China for filling in bills and vouchers (正确填写票据和
结算凭证的基本规定): 壹贰叁… with 拾佰仟万亿; 整 after 元 when there are no jiao and fen; no 整 after
角 or 分; one 零 for a run of zeros inside the number; 零 after 元 when the jiao digit is zero and
the fen digit is not (¥325.04 → 叁佰贰拾伍元零肆分) and, where the rules allow either form, the
form with 零 after a zero yuan digit (¥1,680.32 → 壹仟陆佰捌拾元零叁角贰分), which is the harder one
to alter. A leading ten keeps its 壹 (壹拾元整), again so that nothing can be written in front of it.
"""

from decimal import Decimal

DIGITS = "零壹贰叁肆伍陆柒捌玖"
# Positions inside a group of four digits, highest first.
POSITIONS = ((1000, "仟"), (100, "佰"), (10, "拾"), (1, ""))
# Groups of four digits, lowest first: units, ten-thousands (万), hundred-millions (亿).
GROUP_UNITS = ("", "万", "亿")
LIMIT = 10**12  # 万亿 and beyond would need compound group units; no receipt comes near it.
CENT = Decimal("0.01")


def _group(number: int) -> str:
    """1..9999 in capitals, one 零 for inner zeros, none for trailing ones (1070 → 壹仟零柒拾)."""
    text, zero_pending = "", False
    for value, unit in POSITIONS:
        digit = number // value % 10
        if digit == 0:
            zero_pending = bool(text)
            continue
        if zero_pending:
            text += "零"
            zero_pending = False
        text += DIGITS[digit] + unit
    return text


def _yuan(number: int) -> str:
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text, zero_pending = "", False
    for index in reversed(range(len(groups))):
        group = groups[index]
        if group == 0:
            zero_pending = bool(text)
            continue
        # A gap before this group (a zero group, or fewer than four digits in it) is one 零.
        if text and (zero_pending or group < 1000):
            text += "零"
        text += _group(group) + GROUP_UNITS[index]
        zero_pending = False
    return text


def amount_in_chinese_capitals(amount: Decimal) -> str:
    """¥2,523.60 → 贰仟伍佰贰拾叁元陆角; ¥400.00 → 肆佰元整; ¥0.00 → 零元整.

    Raises ValueError for a negative amount, for fractions of a fen and for 10^12 yuan or more:
    a receipt never rounds money silently.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"not a finite Decimal amount: {amount!r}")
    if amount < 0:
        raise ValueError(f"negative amount: {amount}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"an amount has at most two decimal places: {amount}")
    if amount >= LIMIT:
        raise ValueError(f"amount too large: {amount}")
    cents = int(amount * 100)
    if cents == 0:
        return "零元整"
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    text = _yuan(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return text + "整"
    if jiao:
        if yuan and yuan % 10 == 0:
            text += "零"
        text += DIGITS[jiao] + "角"
    elif yuan:
        text += "零"
    if fen:
        text += DIGITS[fen] + "分"
    return text
