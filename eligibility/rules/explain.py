"""Short human explanations of a result, in Chinese (first) and English.

Built only from the result: its treatment, reason codes, warnings, dates and amounts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from .codes import ActionKind, RejectionCode, Treatment, WaitUnit, WarningCode
from .result import Result, WaitDetail, round_money

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

REJECTION_TEXTS: dict[RejectionCode, dict[Lang, str]] = {
    RejectionCode.RES_ALREADY_PAID: {
        "zh": "该年度的居民医保费已经缴纳，不能重复缴费。",
        "en": "The resident premium for this year has already been paid.",
    },
    RejectionCode.RES_PERIOD_NOT_OPEN: {
        "zh": "该年度的缴费期尚未开始。",
        "en": "The payment period for this year has not opened yet.",
    },
    RejectionCode.RES_PERIOD_CLOSED: {
        "zh": "该年度的缴费期已经结束，不能再缴费（不补缴往年欠费）。",
        "en": "The payment period for this year has closed; missed years cannot be paid afterwards.",
    },
    RejectionCode.WAIT_BEYOND_YEAR_END: {
        "zh": "等待期将延续到年度结束之后，本年度内不能享受待遇，本地不受理此类缴费。",
        "en": "The waiting period would run past 31 December, and this region does not accept "
        "payments that give no benefit in the year.",
    },
    RejectionCode.FLEX_MONTHLY_NOT_ALLOWED: {
        "zh": "灵活就业人员须按年缴费，不能按月缴费。",
        "en": "Flexible workers must pay annually; monthly payment is not allowed.",
    },
    RejectionCode.FLEX_PARTIAL_YEAR_NOT_ALLOWED: {
        "zh": "灵活就业人员须缴至当年12月。",
        "en": "Flexible workers must pay up to December of the year.",
    },
    RejectionCode.RESIDENT_PAID_SAME_YEAR: {
        "zh": "您已缴纳当年居民医保费，当年不能再以灵活就业人员身份参保，可从下一年度起参保。",
        "en": "You have paid the resident premium for this year, so you cannot enrol as a flexible "
        "worker for the same year; you may enrol from next year.",
    },
    RejectionCode.COVER_RANGE_INVALID: {
        "zh": "缴费所属期的截止月早于缴费月份。",
        "en": "The period paid for ends before the month of payment.",
    },
    RejectionCode.COVER_OVERLAPS_HISTORY: {
        "zh": "缴费所属期与已有的参保记录重叠。",
        "en": "The months paid for overlap months already covered.",
    },
    RejectionCode.BACKPAY_WINDOW_CLOSED: {
        "zh": "补缴期已过，不能补缴中断期间的费用，须设等待期。",
        "en": "The back-payment window has closed: the interruption cannot be back-paid.",
    },
    RejectionCode.BACKPAY_NOT_ALLOWED: {
        "zh": "此情形下不允许补缴（首次参保、中断超过规定月数或连续参保不足规定年限）。",
        "en": "Back pay is not allowed here (first enrolment, a long interruption, or too short "
        "a continuous enrolment before switching).",
    },
    RejectionCode.ENROLMENT_YEAR_ENDED: {
        "zh": "该参保年度已经结束，不能再办理参保登记。",
        "en": "The enrolment year has ended.",
    },
    RejectionCode.NOT_ENROLLED_IN_YEAR: {
        "zh": "您未缴纳该年度的居民医保费，无大病保险待遇。",
        "en": "No resident premium was paid for this year, so there is no critical-illness cover.",
    },
}

WARNING_TEXTS: dict[WarningCode, dict[Lang, str]] = {
    WarningCode.NO_BENEFIT_THIS_YEAR: {
        "zh": "待遇在本年度内不能开始，但本次缴费计入连续参保。",
        "en": "Benefits cannot start within the year, but the premium still counts for continuity.",
    },
    WarningCode.REPAIR_LIMITED: {
        "zh": "申请的修复年限超过可修复上限，超出部分不予受理、不收费。",
        "en": "Fewer repair years were applied than requested; the refused years are not charged.",
    },
    WarningCode.WAITING_CARRIED_OVER: {
        "zh": "上一年度的等待期延续到本年度，待遇起始日期以上一年度为准。",
        "en": "The previous year's waiting period carries over and decides when benefits start.",
    },
    WarningCode.CONTINUITY_RESET: {
        "zh": "此前参保曾中断（断保），连续参保年限重新计算，零报销奖励清零。",
        "en": "Earlier coverage was interrupted: continuous years restart and zero-claim credit is lost.",
    },
    WarningCode.BACKPAY_NO_BENEFIT: {
        "zh": "补缴的月份只计入累计缴费年限，不享受中断期间的待遇。",
        "en": "The back-paid months count for cumulative contribution years only, not for benefits.",
    },
    WarningCode.RESIDENT_SUSPENDED: {
        "zh": "职工医保待遇开始后，当年居民医保关系暂停，已缴居民医保费不予退还。",
        "en": "Resident benefits end when employee benefits start; the resident premium is not refunded.",
    },
}

TREATMENT_TEXTS: dict[Treatment, dict[Lang, str]] = {
    Treatment.ORDINARY: {
        "zh": "您于{paid}在集中征缴期内缴费，无等待期，{benefits}起享受待遇。",
        "en": "You paid on {paid}, within the centralized collection period: no waiting period applies; "
        "benefits start on {benefits}.",
    },
    Treatment.SW_1: {
        "zh": "您于{paid}缴费，在职工医保与居民医保之间转换，连续参保已满规定年限且中断未超过规定月数，"
        "无等待期，{benefits}起享受待遇。",
        "en": "You paid on {paid} when switching between employee and resident insurance after the required "
        "continuous enrolment and a short interruption: no waiting period; benefits start on {benefits}.",
    },
    Treatment.RES_9A: {
        "zh": "新生儿于出生后规定天数内（{paid}）参保缴费，自出生之日起享受待遇（{benefits}起）。",
        "en": "The newborn was enrolled on {paid}, within the days allowed after birth: covered from birth "
        "(from {benefits}).",
    },
    Treatment.RES_9B: {
        "zh": "新生儿于满周岁前（{paid}）参保缴费，无等待期，{benefits}起享受待遇。",
        "en": "The newborn was enrolled on {paid}, before the first birthday: no waiting period; "
        "benefits start on {benefits}.",
    },
    Treatment.RES_9C: {
        "zh": "享受参保资助的新生儿在资助年度内于{paid}缴费，无等待期，{benefits}起享受待遇。",
        "en": "A subsidized newborn paid on {paid}, within the subsidy years: no waiting period; "
        "benefits start on {benefits}.",
    },
    Treatment.RES_10: {
        "zh": "退役军人（或其随军未就业家属）于退役后规定期限内（{paid}）缴费，无等待期，{benefits}起享受待遇。",
        "en": "A veteran (or the veteran's family member) paid on {paid}, within the window after discharge: "
        "no waiting period; benefits start on {benefits}.",
    },
    Treatment.RES_11_MEDICAL_ASSISTANCE: {
        "zh": "医疗救助对象于{paid}缴费，不设等待期，{benefits}起享受待遇。",
        "en": "A medical-assistance recipient paid on {paid}: no waiting period; benefits start on {benefits}.",
    },
    Treatment.RES_11_CLERGY: {
        "zh": "宗教教职人员于{paid}缴费，不设等待期，{benefits}起享受待遇。",
        "en": "Religious personnel paid on {paid}: no waiting period; benefits start on {benefits}.",
    },
    Treatment.RES_12: {
        "zh": "您的职工医保中断未超过规定月数，于{paid}缴纳居民医保，无等待期，{benefits}起享受待遇。",
        "en": "Your employee insurance was interrupted only briefly; you paid the resident premium on {paid}: "
        "no waiting period; benefits start on {benefits}.",
    },
    Treatment.RES_13: {
        "zh": "您在户口迁入、回国、刑满释放或毕业返乡后规定天数内（{paid}）缴费，无等待期，{benefits}起享受待遇。",
        "en": "You paid on {paid}, within the days allowed after moving in, returning from abroad, release "
        "or returning home after graduation: no waiting period; benefits start on {benefits}.",
    },
    Treatment.EMP_5: {
        "zh": "您于{paid}缴费，未中断或中断未超过规定月数，自缴费当月起（{benefits}）享受待遇，连续参保不中断。",
        "en": "You paid on {paid} without an interruption or after a short one: coverage takes effect in the "
        "month of payment (from {benefits}) and continuity is kept.",
    },
    Treatment.EMP_6: {
        "zh": "您于{paid}缴费，属首次参保、中断超过规定月数或转入时连续参保不足规定年限，"
        "设等待期，{benefits}起享受待遇。",
        "en": "You paid on {paid} after a first enrolment, a long interruption or too short a continuous "
        "enrolment: a waiting period applies; benefits start on {benefits}.",
    },
    Treatment.FLEXIBLE_ENROLMENT: {
        "zh": "您可以于{paid}以灵活就业人员身份办理参保登记。",
        "en": "You may enrol as a flexible worker (application of {paid}).",
    },
    Treatment.CI_CAP: {
        "zh": "您已连续参保{n}年，本年度大病保险最高支付限额为{cap}元。",
        "en": "You have {n} continuous years of enrolment; this year's critical-illness cap is {cap} yuan.",
    },
}

ORDINARY_WAIT_TEXTS: dict[str, dict[Lang, str]] = {
    "late": {
        "zh": "您于{paid}在集中征缴期后缴费，设{wait}，{benefits}起享受待遇。",
        "en": "You paid on {paid}, after the centralized collection period: {wait}; benefits start on {benefits}.",
    },
    "break": {
        "zh": "您于{paid}在集中征缴期内缴费，但此前断保{breaks}年，设{wait}，{benefits}起享受待遇。",
        "en": "You paid on {paid}, within the centralized collection period but after {breaks} break year(s): "
        "{wait}; benefits start on {benefits}.",
    },
    "carried": {
        "zh": "您于{paid}缴费，上一年度的等待期延续至{waiting_end}，{benefits}起享受待遇。",
        "en": "You paid on {paid}; the previous year's waiting period runs on to {waiting_end}; "
        "benefits start on {benefits}.",
    },
}

SENTENCE_TEXTS: dict[str, dict[Lang, str]] = {
    "retro": {
        "zh": "{retro_from}至{retro_to}期间的医疗费用可追溯报销。",
        "en": "Services from {retro_from} to {retro_to} may be claimed retroactively.",
    },
    "waiting": {
        "zh": "等待期为{waiting_start}至{waiting_end}。",
        "en": "The waiting period runs from {waiting_start} to {waiting_end}.",
    },
    "repair": {
        "zh": "已受理修复{repair}年。",
        "en": "{repair} repair year(s) applied.",
    },
    "premium": {
        "zh": "应缴金额{premium}元。",
        "en": "Amount due: {premium} yuan.",
    },
    "continuous": {
        "zh": "连续参保年限{n}年。",
        "en": "Continuous years: {n}.",
    },
}


def format_date(d: date, lang: Lang) -> str:
    """``2025年3月1日`` / ``1 March 2025``."""
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def _money(amount: Decimal) -> str:
    return f"{round_money(amount):,}"


def _wait_phrase(wait: WaitDetail, lang: Lang) -> str:
    if lang == "zh":
        unit = "个月" if wait.fixed_unit is WaitUnit.MONTHS else "天"
        text = f"{wait.fixed}{unit}固定等待期"
        if wait.variable_months:
            text += f"和{wait.variable_months}个月变动等待期"
        if wait.repair_months:
            text += f"（修复后减少{wait.repair_months}个月）"
        return text
    unit = "months" if wait.fixed_unit is WaitUnit.MONTHS else "days"
    if wait.variable_months:
        text = (
            f"a fixed waiting period of {wait.fixed} {unit} and a variable waiting period of "
            f"{wait.variable_months} months apply"
        )
    else:
        text = f"a fixed waiting period of {wait.fixed} {unit} applies"
    if wait.repair_months:
        text += f", shortened by {wait.repair_months} months of repair"
    return text


def _lead(result: Result, lang: Lang, values: dict[str, str]) -> str:
    treatment = result.treatment
    if WarningCode.WAITING_CARRIED_OVER in result.warnings:
        return ORDINARY_WAIT_TEXTS["carried"][lang].format(**values)
    if (
        treatment is Treatment.ORDINARY
        and result.wait is not None
        and result.action_kind is ActionKind.RESIDENT_PAYMENT
    ):
        key = "late" if result.late else "break"
        return ORDINARY_WAIT_TEXTS[key][lang].format(wait=_wait_phrase(result.wait, lang), **values)
    if treatment is None:
        return ""
    return TREATMENT_TEXTS[treatment][lang].format(**values)


def explain(result: Result, lang: Lang = "zh") -> str:
    """A short explanation of ``result`` built from its reason codes, warnings and dates."""
    if lang not in LANGS:
        raise ValueError(f"unsupported language {lang!r}")
    sep = "" if lang == "zh" else " "
    if not result.accepted:
        return "" if result.rejection_code is None else REJECTION_TEXTS[result.rejection_code][lang]
    values = _values(result, lang)
    parts = [_lead(result, lang, values)]
    carried = WarningCode.WAITING_CARRIED_OVER in result.warnings
    if result.waiting_start is not None and result.wait is None and not carried:
        parts.append(SENTENCE_TEXTS["waiting"][lang].format(**values))
    if result.retro_from is not None:
        parts.append(SENTENCE_TEXTS["retro"][lang].format(**values))
    if result.repair_years_applied:
        parts.append(SENTENCE_TEXTS["repair"][lang].format(**values))
    if result.premium_due is not None:
        parts.append(SENTENCE_TEXTS["premium"][lang].format(**values))
    if result.continuous_years is not None and result.treatment is not Treatment.CI_CAP:
        parts.append(SENTENCE_TEXTS["continuous"][lang].format(**values))
    parts.extend(WARNING_TEXTS[w][lang] for w in result.warnings)
    return sep.join(p for p in parts if p)


def _values(result: Result, lang: Lang) -> dict[str, str]:
    def d(value: date | None) -> str:
        return "" if value is None else format_date(value, lang)

    return {
        "paid": d(result.as_of),
        "benefits": d(result.benefits_from),
        "retro_from": d(result.retro_from),
        "retro_to": d(result.retro_to),
        "waiting_start": d(result.waiting_start),
        "waiting_end": d(result.waiting_end),
        "breaks": str(result.break_years or 0),
        "repair": str(result.repair_years_applied or 0),
        "n": str(result.continuous_years or 0),
        "premium": "" if result.premium_due is None else _money(result.premium_due),
        "cap": "" if result.ci_cap is None else _money(result.ci_cap),
    }
