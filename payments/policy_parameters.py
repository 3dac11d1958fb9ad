"""What each policy parameter is, for the people who read and edit it (RULES.md section 12).

The rules engine (`eligibility.rules.profile.GROUPS`) knows how to parse a parameter; this table
says what it means: its label, its unit and a help text, in the groups section 12 uses. The
policy form, the diff against last year and the preview all name parameters through it.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from eligibility.rules.profile import GROUPS


class Kind(StrEnum):
    DATE = "date"
    AMOUNT = "amount"  # yuan, two decimals
    RATE = "rate"  # a share, e.g. 0.065
    COUNT = "count"  # a whole number (months, days, years)
    YEAR = "year"  # a calendar year
    CHOICE = "choice"
    FLAG = "flag"


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Kind
    label: str | Promise
    unit: str | Promise
    help: str | Promise
    nullable: bool
    choices: tuple[str, ...] | None
    moves_with_year: bool = False
    """A date of the coverage year's calendar (collection and back-payment windows): a roll-over
    moves it one year on. Other dates (a policy's cut-off such as the newborn subsidy's first
    birth date) stay as they are."""

    @property
    def group(self) -> str:
        return self.name.partition(".")[0]


YUAN, MONTHS, DAYS, YEARS, SHARE = _("yuan"), _("months"), _("days"), _("years"), _("share (0–1)")
NONE = ""

GROUP_TITLES: dict[str, str | Promise] = {
    "resident": _("Resident insurance (城乡居民医保)"),
    "exemptions": _("Special groups exempt from waiting periods"),
    "employee": _("Employee insurance: gaps, waiting and switching"),
    "flexible": _("Flexible workers (灵活就业人员)"),
    "ci": _("Critical-illness insurance (大病保险)"),
}

_TABLE: list[tuple[str, Kind, str | Promise, str | Promise, str | Promise, bool]] = [
    # name, kind, label, unit, help, moves with the year
    (
        "resident.cp_start",
        Kind.DATE,
        _("collection period opens"),
        NONE,
        _("First day of the centralized collection period (集中征缴期), usually in the autumn before the year."),
        True,
    ),
    (
        "resident.cp_end",
        Kind.DATE,
        _("collection period closes"),
        NONE,
        _("Last day of the centralized period; it ends on or after 1 January of the coverage year."),
        True,
    ),
    (
        "resident.late_window_end",
        Kind.DATE,
        _("last day to pay the year"),
        NONE,
        _("Late payments (零星征缴) are accepted up to this day, which lies in the coverage year."),
        True,
    ),
    (
        "resident.in_period_after_year_start",
        Kind.CHOICE,
        _("benefits of a January–February payment"),
        NONE,
        _("RES-2: a payment in the period on or after 1 January covers from the year start or from the next day."),
        False,
    ),
    ("resident.premium.ordinary", Kind.AMOUNT, _("premium, ordinary residents"), YUAN, _("个人缴费标准."), False),
    (
        "resident.premium.fixed_subsidy",
        Kind.AMOUNT,
        _("premium, fixed-subsidy groups"),
        YUAN,
        _("定额资助 (低保, at-risk and monitored groups); empty = not offered."),
        False,
    ),
    (
        "resident.premium.full_subsidy",
        Kind.AMOUNT,
        _("premium, full-subsidy groups"),
        YUAN,
        _("全额资助 (特困, orphans); empty = not offered."),
        False,
    ),
    (
        "resident.premium.student",
        Kind.AMOUNT,
        _("premium, university students"),
        YUAN,
        _("Empty = not offered."),
        False,
    ),
    (
        "resident.premium.newborn_subsidized",
        Kind.AMOUNT,
        _("premium, subsidized newborns"),
        YUAN,
        _("RES-1; empty = no newborn subsidy (then the two parameters below are empty too)."),
        False,
    ),
    (
        "resident.newborn_subsidy_born_from",
        Kind.DATE,
        _("newborn subsidy for births from"),
        NONE,
        _("A policy cut-off, not a window of the year: a roll-over keeps it."),
        False,
    ),
    (
        "resident.newborn_subsidy_natural_years",
        Kind.COUNT,
        _("newborn subsidy years"),
        YEARS,
        _("Natural years of the subsidy, counting the birth year."),
        False,
    ),
    ("resident.subsidy", Kind.AMOUNT, _("public subsidy per person"), YUAN, _("财政补助; used by FULL_COST."), False),
    (
        "resident.late_premium_mode",
        Kind.CHOICE,
        _("premium of a late payment"),
        NONE,
        _("RES-3: the individual premium, or the full cost (premium + subsidy)."),
        False,
    ),
    (
        "resident.fixed_wait",
        Kind.COUNT,
        _("fixed waiting period"),
        NONE,
        _("F (固定待遇等待期), in the unit below."),
        False,
    ),
    ("resident.fixed_wait_unit", Kind.CHOICE, _("unit of the fixed waiting period"), NONE, _("Months or days."), False),
    (
        "resident.wait_applies_in_period_with_break",
        Kind.FLAG,
        _("waiting in the period after a break"),
        NONE,
        _("RES-5(b): a payment in the period after a break year still waits."),
        False,
    ),
    (
        "resident.variable_wait_basis",
        Kind.CHOICE,
        _("basis of the variable waiting period"),
        NONE,
        _("RES-6: how break years are counted."),
        False,
    ),
    (
        "resident.variable_wait_months_per_break_year",
        Kind.COUNT,
        _("variable waiting per break year"),
        MONTHS,
        _("V months per counted break year."),
        False,
    ),
    (
        "resident.repair_months_per_year",
        Kind.COUNT,
        _("months removed per repair year"),
        MONTHS,
        _("RES-7: a repair (修复) year removes this many months of V; at least 1."),
        False,
    ),
    ("resident.repair_price_basis", Kind.CHOICE, _("price of a repair year"), NONE, _("RES-7."), False),
    (
        "resident.long_break_threshold_years",
        Kind.COUNT,
        _("long break from"),
        YEARS,
        _("RES-7: break years from which the minimum total wait applies."),
        False,
    ),
    (
        "resident.long_break_min_total_wait_months",
        Kind.COUNT,
        _("minimum total wait after a long break"),
        MONTHS,
        _("RES-7."),
        False,
    ),
    (
        "resident.break_year_count_from",
        Kind.YEAR,
        _("count break years from"),
        NONE,
        _("4.4: the first calendar year that counts as a break year; empty = no limit."),
        False,
    ),
    (
        "resident.first_time_enrolee_has_break_years",
        Kind.FLAG,
        _("first-time enrolees have break years"),
        NONE,
        _("4.4; needs the year above."),
        False,
    ),
    (
        "resident.waiting_carries_across_years",
        Kind.FLAG,
        _("waiting carries into the next year"),
        NONE,
        _("RES-8a."),
        False,
    ),
    (
        "resident.allow_payment_without_current_year_benefit",
        Kind.FLAG,
        _("accept a payment whose benefits start next year"),
        NONE,
        _("RES-8a."),
        False,
    ),
    (
        "resident.inpatient_anchor",
        Kind.CHOICE,
        _("day a hospital stay is judged on"),
        NONE,
        _("RES-8b, CLM-1: the admission date, or each service date."),
        False,
    ),
    (
        "exemptions.newborn_from_birth_days",
        Kind.COUNT,
        _("newborns: covered from birth if paid within"),
        DAYS,
        _("RES-9a; empty = off."),
        False,
    ),
    (
        "exemptions.newborn_next_day_months",
        Kind.COUNT,
        _("newborns: covered from the next day up to"),
        MONTHS,
        _("RES-9b; empty = off."),
        False,
    ),
    (
        "exemptions.subsidized_newborn_no_wait",
        Kind.FLAG,
        _("subsidized newborns do not wait"),
        NONE,
        _("RES-9c."),
        False,
    ),
    (
        "exemptions.veteran_window_months",
        Kind.COUNT,
        _("veterans: no wait if paid within"),
        MONTHS,
        _("RES-10; empty = off."),
        False,
    ),
    (
        "exemptions.medical_assistance",
        Kind.FLAG,
        _("medical-assistance recipients do not wait"),
        NONE,
        _("RES-11."),
        False,
    ),
    ("exemptions.clergy", Kind.FLAG, _("clergy do not wait"), NONE, _("RES-11."), False),
    (
        "exemptions.event_window_days",
        Kind.COUNT,
        _("other events: no wait if paid within"),
        DAYS,
        _("RES-13; empty = off."),
        False,
    ),
    (
        "exemptions.employee_gap_max_months",
        Kind.COUNT,
        _("from employee insurance: longest gap without wait"),
        MONTHS,
        _("RES-12; empty = off."),
        False,
    ),
    (
        "exemptions.employee_gap_min_continuous_months",
        Kind.COUNT,
        _("from employee insurance: minimum continuous months"),
        MONTHS,
        _("RES-12."),
        False,
    ),
    (
        "employee.no_wait_max_gap",
        Kind.COUNT,
        _("longest gap without waiting"),
        MONTHS,
        _("Section 4, EMP-5: the grace; a longer gap is an interruption (断缴)."),
        False,
    ),
    (
        "employee.wait_after_long_gap_months",
        Kind.COUNT,
        _("waiting after a long gap"),
        MONTHS,
        _("EMP-6 W."),
        False,
    ),
    ("employee.wait_granularity", Kind.CHOICE, _("waiting counted by"), NONE, _("DATE-6."), False),
    ("employee.backpay_long_gap", Kind.CHOICE, _("back payment after a long gap"), NONE, _("EMP-6."), False),
    (
        "employee.switch_min_continuous_months",
        Kind.COUNT,
        _("switching: minimum continuous months"),
        MONTHS,
        _("SW-1."),
        False,
    ),
    ("flexible.payment_frequency", Kind.CHOICE, _("payment frequency"), NONE, _("EMP-1."), False),
    (
        "flexible.block_if_resident_paid_same_year",
        Kind.FLAG,
        _("refused when resident insurance is paid for the year"),
        NONE,
        _("EMP-3."),
        False,
    ),
    (
        "flexible.contribution_base",
        Kind.AMOUNT,
        _("monthly contribution base"),
        YUAN,
        _("缴费基数, EMP-4."),
        False,
    ),
    ("flexible.rate", Kind.RATE, _("contribution rate"), SHARE, _("The rate of the tier in force, e.g. 0.065."), False),
    (
        "flexible.large_amount_monthly",
        Kind.AMOUNT,
        _("large-amount medical fee per month"),
        YUAN,
        _("大额医疗."),
        False,
    ),
    (
        "flexible.backpay_window_start",
        Kind.DATE,
        _("back-payment window opens"),
        NONE,
        _("EMP-7 (补缴期), in the coverage year; both empty = no window."),
        True,
    ),
    (
        "flexible.backpay_window_end",
        Kind.DATE,
        _("back-payment window closes"),
        NONE,
        _("EMP-7, in the coverage year."),
        True,
    ),
    ("ci.base_cap", Kind.AMOUNT, _("critical-illness base cap"), YUAN, _("原封顶线."), False),
    (
        "ci.continuity_increment",
        Kind.AMOUNT,
        _("increase per continuous year"),
        YUAN,
        _("INC-2."),
        False,
    ),
    ("ci.zero_claim_increment", Kind.AMOUNT, _("increase per year without claims"), YUAN, _("INC-3."), False),
    ("ci.threshold_years", Kind.COUNT, _("continuous years before increases"), YEARS, _("INC-2."), False),
    ("ci.max_increase_ratio", Kind.RATE, _("largest increase"), SHARE, _("INC-4: a share of the base cap."), False),
    (
        "ci.count_years_before_2025",
        Kind.FLAG,
        _("years before 2025 count"),
        NONE,
        _("INC-1."),
        False,
    ),
    ("ci.employee_years_count", Kind.FLAG, _("employee years count"), NONE, _("INC-1."), False),
    ("ci.zero_reset_on_break", Kind.FLAG, _("a break resets the claim-free years"), NONE, _("INC-3."), False),
    ("ci.break_reduction", Kind.RATE, _("reduction after a break"), SHARE, _("INC-4."), False),
]

PARAMETERS: dict[str, Parameter] = {
    name: Parameter(
        name=name,
        kind=kind,
        label=label,
        unit=unit,
        help=help_text,
        nullable=GROUPS[name.partition(".")[0]][name.partition(".")[2]].nullable,
        choices=GROUPS[name.partition(".")[0]][name.partition(".")[2]].choices,
        moves_with_year=moves,
    )
    for name, kind, label, unit, help_text, moves in _TABLE
}


def parameters_of(group: str) -> list[Parameter]:
    return [parameter for parameter in PARAMETERS.values() if parameter.group == group]
