"""Codes and enumerations of RULES.md (sections 2, 6, 11, 12 and 13)."""

from __future__ import annotations

from enum import StrEnum


class RejectionCode(StrEnum):
    """Section 13, rejection codes."""

    RES_ALREADY_PAID = "RES_ALREADY_PAID"
    RES_PERIOD_NOT_OPEN = "RES_PERIOD_NOT_OPEN"
    RES_PERIOD_CLOSED = "RES_PERIOD_CLOSED"
    WAIT_BEYOND_YEAR_END = "WAIT_BEYOND_YEAR_END"
    FLEX_MONTHLY_NOT_ALLOWED = "FLEX_MONTHLY_NOT_ALLOWED"
    FLEX_PARTIAL_YEAR_NOT_ALLOWED = "FLEX_PARTIAL_YEAR_NOT_ALLOWED"
    RESIDENT_PAID_SAME_YEAR = "RESIDENT_PAID_SAME_YEAR"
    COVER_RANGE_INVALID = "COVER_RANGE_INVALID"
    COVER_OVERLAPS_HISTORY = "COVER_OVERLAPS_HISTORY"
    BACKPAY_WINDOW_CLOSED = "BACKPAY_WINDOW_CLOSED"
    BACKPAY_NOT_ALLOWED = "BACKPAY_NOT_ALLOWED"
    ENROLMENT_YEAR_ENDED = "ENROLMENT_YEAR_ENDED"
    NOT_ENROLLED_IN_YEAR = "NOT_ENROLLED_IN_YEAR"


class WarningCode(StrEnum):
    """Section 13, warning codes."""

    NO_BENEFIT_THIS_YEAR = "NO_BENEFIT_THIS_YEAR"
    REPAIR_LIMITED = "REPAIR_LIMITED"
    WAITING_CARRIED_OVER = "WAITING_CARRIED_OVER"
    CONTINUITY_RESET = "CONTINUITY_RESET"
    BACKPAY_NO_BENEFIT = "BACKPAY_NO_BENEFIT"
    RESIDENT_SUSPENDED = "RESIDENT_SUSPENDED"


class Treatment(StrEnum):
    """The treatment that decided an accepted action (6.7 candidates, section 7, 9, 11)."""

    ORDINARY = "ordinary"
    SW_1 = "SW-1"
    RES_9A = "RES-9a"
    RES_9B = "RES-9b"
    RES_9C = "RES-9c"
    RES_10 = "RES-10"
    RES_11_MEDICAL_ASSISTANCE = "RES-11-medical_assistance"
    RES_11_CLERGY = "RES-11-clergy"
    RES_12 = "RES-12"
    RES_13 = "RES-13"
    EMP_5 = "EMP-5"
    EMP_6 = "EMP-6"
    FLEXIBLE_ENROLMENT = "flexible_enrollment"
    CI_CAP = "ci_cap"


class ActionKind(StrEnum):
    """FORMAT.md action kinds."""

    RESIDENT_PAYMENT = "resident_payment"
    EMPLOYEE_PAYMENT = "employee_payment"
    FLEXIBLE_ENROLLMENT = "flexible_enrollment"
    CI_CAP = "ci_cap"


class Category(StrEnum):
    """Section 2, premium categories (``resident.premium.<category>``)."""

    ORDINARY = "ordinary"
    FIXED_SUBSIDY = "fixed_subsidy"
    FULL_SUBSIDY = "full_subsidy"
    STUDENT = "student"


class EventKind(StrEnum):
    """Section 6, special-group events (``birth`` is not an event kind)."""

    VETERAN_DISCHARGE = "veteran_discharge"
    VETERAN_FAMILY = "veteran_family"
    MEDICAL_ASSISTANCE = "medical_assistance"
    CLERGY = "clergy"
    MOVED_IN = "moved_in"
    RETURNED_FROM_ABROAD = "returned_from_abroad"
    RELEASED_FROM_PRISON = "released_from_prison"
    GRADUATE_RETURNED = "graduate_returned"


VETERAN_EVENTS = frozenset({EventKind.VETERAN_DISCHARGE, EventKind.VETERAN_FAMILY})
"""RES-10 event kinds."""

MOVE_EVENTS = frozenset(
    {
        EventKind.MOVED_IN,
        EventKind.RETURNED_FROM_ABROAD,
        EventKind.RELEASED_FROM_PRISON,
        EventKind.GRADUATE_RETURNED,
    }
)
"""RES-13 event kinds."""


class Scheme(StrEnum):
    """Section 2, history schemes."""

    RESIDENT = "resident"
    EMPLOYEE = "employee"
    MILITARY = "military"


class EmployeeKind(StrEnum):
    """Employee insurance kinds (section 1)."""

    UNIT = "unit"
    FLEXIBLE = "flexible"


class Frequency(StrEnum):
    """EMP-1 payment frequency."""

    ANNUAL = "annual"
    MONTHLY = "monthly"


class InPeriodAfterYearStart(StrEnum):
    """RES-2 (C4)."""

    YEAR_START = "YEAR_START"
    NEXT_DAY = "NEXT_DAY"
    PAYMENT_DATE = "PAYMENT_DATE"


class LatePremiumMode(StrEnum):
    """RES-3 (C10)."""

    INDIVIDUAL = "INDIVIDUAL"
    FULL_COST = "FULL_COST"


class WaitUnit(StrEnum):
    """``resident.fixed_wait_unit`` (C8)."""

    MONTHS = "MONTHS"
    DAYS = "DAYS"


class VariableWaitBasis(StrEnum):
    """RES-6 (C1)."""

    EACH_BREAK_YEAR = "EACH_BREAK_YEAR"
    EACH_BREAK_YEAR_AFTER_FIRST = "EACH_BREAK_YEAR_AFTER_FIRST"


class RepairPriceBasis(StrEnum):
    """RES-7 repair price (Q2)."""

    ORDINARY_PREMIUM = "ORDINARY_PREMIUM"
    OWN_PREMIUM = "OWN_PREMIUM"


class InpatientAnchor(StrEnum):
    """RES-8b / CLM-1: the only value RULES.md names."""

    ADMISSION_DATE = "ADMISSION_DATE"


class WaitGranularity(StrEnum):
    """DATE-6 (Q7)."""

    MONTH = "MONTH"
    DAY = "DAY"


class BackpayLongGap(StrEnum):
    """EMP-6 (C7)."""

    ALLOWED_NO_BENEFIT = "ALLOWED_NO_BENEFIT"
    NOT_ALLOWED = "NOT_ALLOWED"


class PaymentFrequencyRule(StrEnum):
    """EMP-1 ``flexible.payment_frequency``."""

    ANNUAL_ONLY = "ANNUAL_ONLY"
    ANY = "ANY"


class ClaimReason(StrEnum):
    """Reason codes of a CLM-1 decision."""

    IN_BENEFIT_PERIOD = "IN_BENEFIT_PERIOD"
    IN_RETRO_WINDOW = "IN_RETRO_WINDOW"
    BEFORE_BENEFITS = "BEFORE_BENEFITS"
    IN_WAITING_PERIOD = "IN_WAITING_PERIOD"
    AFTER_BENEFIT_END = "AFTER_BENEFIT_END"
    NO_BENEFITS = "NO_BENEFITS"
    ADMITTED_BEFORE_BENEFITS = "ADMITTED_BEFORE_BENEFITS"
