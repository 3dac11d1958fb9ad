"""explain(): short explanations in Chinese and English for every code and treatment."""

from __future__ import annotations

import pytest

from eligibility.rules import RejectionCode, Treatment, WarningCode, explain
from eligibility.rules.explain import (
    ORDINARY_WAIT_TEXTS,
    REJECTION_TEXTS,
    SENTENCE_TEXTS,
    TREATMENT_TEXTS,
    WARNING_TEXTS,
    format_date,
)
from eligibility.rules.testing import resident, resident_years, scenario_result

ADULT = {"birth_date": "1980-05-01", "category": "ordinary"}


@pytest.mark.parametrize(
    ("table", "codes"),
    [(REJECTION_TEXTS, list(RejectionCode)), (WARNING_TEXTS, list(WarningCode)), (TREATMENT_TEXTS, list(Treatment))],
)
def test_every_code_has_both_texts(table: dict, codes: list) -> None:  # type: ignore[type-arg]
    assert set(table) == set(codes)
    for code in codes:
        assert set(table[code]) == {"zh", "en"}
        assert table[code]["zh"] and table[code]["en"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in table[code]["zh"])
        assert table[code]["en"].isascii()


def test_sentence_tables_have_both_languages() -> None:
    for table in (ORDINARY_WAIT_TEXTS, SENTENCE_TEXTS):
        for texts in table.values():
            assert set(texts) == {"zh", "en"}


def test_seed_example_in_both_languages() -> None:
    result = scenario_result(resident(2025, "2025-03-01"), person=ADULT, history=[resident_years(2023, 2024)])
    zh, en = explain(result, "zh"), explain(result, "en")
    assert zh.startswith("您于2025年3月1日在集中征缴期后缴费，设3个月固定等待期，2025年6月1日起享受待遇。")
    assert en.startswith(
        "You paid on 1 March 2025, after the centralized collection period: a fixed waiting period of 3 months "
        "applies; benefits start on 1 June 2025."
    )


def test_chinese_is_the_default_language() -> None:
    result = scenario_result(resident(2025, "2024-11-10"), person=ADULT, history=[resident_years(2024)])
    assert explain(result) == explain(result, "zh")
    with pytest.raises(ValueError):
        explain(result, "fr")  # type: ignore[arg-type]


def test_rejection_and_warning_texts_are_used() -> None:
    rejected = scenario_result(resident(2025, "2026-01-02"), person=ADULT)
    assert explain(rejected, "en") == REJECTION_TEXTS[RejectionCode.RES_PERIOD_CLOSED]["en"]
    limited = scenario_result(resident(2025, "2025-04-01", 4), person=ADULT, history=[resident_years(2018, 2019, 2020)])
    text = explain(limited, "zh")
    assert WARNING_TEXTS[WarningCode.REPAIR_LIMITED]["zh"] in text
    assert WARNING_TEXTS[WarningCode.CONTINUITY_RESET]["zh"] in text
    assert "修复" in text and "4个月变动等待期" in text


def test_retro_window_and_exemption() -> None:
    newborn = scenario_result(resident(2025, "2025-03-01"), person={"birth_date": "2025-01-01", "category": "ordinary"})
    assert "2025年1月1日至2025年2月28日" in explain(newborn, "zh")
    assert "from 1 January 2025 to 28 February 2025" in explain(newborn, "en")


def test_carried_over_waiting() -> None:
    result = scenario_result(
        resident(2026, "2025-11-20"),
        profile="JX-2026",
        person=ADULT,
        history=[resident_years(2025, benefits_from="2026-01-15")],
    )
    assert "2026年1月14日" in explain(result, "zh")
    assert "carries over" in explain(result, "en")


def test_format_date() -> None:
    from datetime import date

    assert format_date(date(2025, 3, 1), "zh") == "2025年3月1日"
    assert format_date(date(2025, 3, 1), "en") == "1 March 2025"
