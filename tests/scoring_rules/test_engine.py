"""Scoring each kind of aspect, stages, deductions and ranking, on worked examples."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from scoring_rules import MarkError, Override, Sheet, StageRun, load_ruleset, score_sheet
from scoring_rules.engine import score_aspect
from tests.factories import SMALL_RULESET



@pytest.fixture(scope="module")
def ea():
    from scoring_rules import load_ruleset_file
    from scoring_rules.loader import bundled_ruleset_path

    return load_ruleset_file(bundled_ruleset_path("electrical-assembly"))


@pytest.fixture(scope="module")
def mini():
    return load_ruleset(SMALL_RULESET)


def marks(ruleset, code, raw, override=None):
    return score_aspect(ruleset, ruleset.aspects[code], raw, override).marks


@pytest.mark.parametrize("reading, expected", [
    ("2.0", "4.00"), ("2.5", "4.00"), ("1.49", "2.00"), ("3.0", "2.00"), ("3.01", "1.00"), ("4.0", "1.00"),
    ("4.01", "0.00"),
])
def test_tolerance_band_gives_marks_of_the_tightest_band_that_holds_the_deviation(ea, reading, expected):
    assert marks(ea, "A2.1", reading) == D(expected)


@pytest.mark.parametrize("reading, expected", [
    ("1500", "4.00"), ("1510", "4.00"), ("1511", "3.50"), ("1520", "3.50"), ("1521", "3.00"), ("1400", "0.00"),
])
def test_per_unit_deduction_counts_every_started_step_beyond_the_free_allowance(ea, reading, expected):
    assert marks(ea, "B2.2", reading) == D(expected)


def test_levels_and_pass_fail(ea):
    assert marks(ea, "B1.1", "2–10 MΩ") == D("2.00")
    assert marks(ea, "B2.1", True) == D("4.00") and marks(ea, "B2.1", False) == D("0.00")
    with pytest.raises(MarkError, match="is not a level"):
        marks(ea, "B1.1", "很好")
    with pytest.raises(MarkError, match="true or false"):
        marks(ea, "B2.1", "yes")


def test_judgement_mean_is_scaled_to_the_aspect_max_and_rounded_half_up(ea):
    # mean (2+3+2)/3 = 2.333…; 2.333…/3 × 5 = 3.888… → 3.89
    assert marks(ea, "A1.3", [2, 3, 2]) == D("3.89")


def test_judgement_median_and_trimmed_mean(ea):
    assert marks(ea, "A2.2", [1, 2, 2]) == D("4.00")  # median 2 of 3 → 6 × 2/3
    # trimmed mean of 5 dropping 1 high and 1 low: [1,2,2,3,3] → (2+2+3)/3 = 2.333… → 6 × 0.777… = 4.67
    assert marks(ea, "D2.2", [3, 1, 2, 3, 2]) == D("4.67")


def test_spread_breach_blocks_the_aspect_until_overridden(ea):
    blocked = score_aspect(ea, ea.aspects["A1.3"], [0, 2, 1])
    assert blocked.marks is None and blocked.status == "blocked" and blocked.spread == 2
    accepted = score_aspect(ea, ea.aspects["A1.3"], [0, 2, 1], Override("复核确认"))
    assert accepted.status == "overridden" and accepted.marks == D("1.67")
    set_score = score_aspect(ea, ea.aspects["A1.3"], [0, 2, 1], Override("复核后定为2", D(2)))
    assert set_score.marks == D("3.33")


def test_incomplete_panel_has_no_marks_yet(ea):
    result = score_aspect(ea, ea.aspects["A1.3"], {"7": 2, "8": 2})
    assert result.marks is None and result.status == "incomplete"


@pytest.mark.parametrize("bad", [[4], [-1], [1.5], ["x"], [True], [1, 1, 1, 1]])
def test_judgement_scores_outside_the_scale_are_refused(ea, bad):
    with pytest.raises(MarkError):
        score_aspect(ea, ea.aspects["A1.3"], bad)


@pytest.mark.parametrize("answer, expected", [
    (["A", "B", "C"], "3.00"), (["A", "B"], "1.50"), ("AB", "1.50"), ("a,c", "1.50"), (["A", "D"], "0.00"), ([], "0.00"),
])
def test_multiple_choice_fixed_partial_credit(ea, answer, expected):
    assert marks(ea, "E1.2", answer) == D(expected)


@pytest.mark.parametrize("answer, expected", [
    (["A", "B", "D"], "3.00"), (["A", "B"], "2.00"), (["A"], "1.00"), (["A", "C"], "0.00"),
])
def test_multiple_choice_per_option_credit_and_any_wrong_option_scores_nothing(ea, answer, expected):
    assert marks(ea, "E1.5", answer) == D(expected)


def test_single_true_false_numeric(ea):
    assert marks(ea, "E1.1", " c ") == D("3.00") and marks(ea, "E1.1", "B") == D("0.00")
    assert marks(ea, "E1.3", False) == D("3.00") and marks(ea, "E1.3", True) == D("0.00")
    assert marks(ea, "E1.4", "5.05") == D("3.00") and marks(ea, "E1.4", "5.06") == D("0.00")


def test_deductions_are_capped_and_disqualification_ranks_last(ea):
    full = {"E1.1": "C"}
    capped = score_sheet(ea, Sheet(aspects=full, deductions={"SAFETY": 9}))
    assert capped.deductions == D(10) and capped.total == D("0.00")  # 3 − 10 floors at 0
    dq = score_sheet(ea, Sheet(aspects={"E1.1": "C", "E1.3": False}, deductions={"DQ": 1}))
    clean = score_sheet(ea, Sheet(aspects={}))
    assert dq.disqualified and "disqualified" in dq.flags
    assert dq.total > clean.total and dq.rank_key > clean.rank_key


def test_unknown_aspect_or_deduction_is_refused(ea):
    with pytest.raises(MarkError, match="not an aspect"):
        score_sheet(ea, Sheet(aspects={"Z9": 1}))
    with pytest.raises(MarkError, match="not a deduction"):
        score_sheet(ea, Sheet(deductions={"LATE": 1}))


def test_sums_per_criterion_and_dimension(ea):
    result = score_sheet(ea, Sheet(aspects={"A1.1": "0", "A1.2": "60", "E1.1": "C"}))
    assert result.criteria["A"] == D("8.00") and result.criteria["E"] == D("3.00")
    assert result.dimensions["wiring"].marks == D("8.00") and result.dimensions["wiring"].percent == D("32.00")
    assert result.total == D("11.00") and not result.complete


def test_stage_locks_the_next_until_cleared(mini):
    sheet = Sheet(aspects={"M1": "24", "J1": [3, 3, 3], "Q1": "B", "P1": True},
                  stages={"S1": StageRun(300, True), "S2": StageRun(None, False)})
    result = score_sheet(mini, sheet)
    assert [s.status for s in result.stages] == ["cleared", "in_progress"]
    assert result.total == D("20.00")
    failed = score_sheet(mini, Sheet(aspects={"M1": "26", "J1": [0, 0, 0], "Q1": "B"},
                                     stages={"S1": StageRun(300, True)}))
    assert [s.status for s in failed.stages] == ["failed", "locked"]
    assert failed.aspects["Q1"].status == "locked" and failed.total == D("0.00")


def test_overrun_costs_marks_per_started_step_and_fails_beyond_the_allowance(mini):
    base = {"M1": "24", "J1": [3, 3, 3]}
    late = score_sheet(mini, Sheet(aspects=base, stages={"S1": StageRun(661, True)}))
    assert late.stages[0].overrun_penalty == D(2) and late.stages[0].status == "cleared"
    assert late.stages[0].score == D("8.00")
    too_late = score_sheet(mini, Sheet(aspects=base, stages={"S1": StageRun(600 + 121, True)}))
    assert too_late.stages[0].status == "failed"
    assert too_late.stages[0].overrun_penalty == D(2)  # capped at the allowed 120 s


def test_clear_time_breaks_ties_on_total(mini):
    sheet = {"M1": "24", "J1": [3, 3, 3]}
    fast = score_sheet(mini, Sheet(aspects=sheet, stages={"S1": StageRun(200, True)}))
    slow = score_sheet(mini, Sheet(aspects=sheet, stages={"S1": StageRun(500, True)}))
    assert fast.total == slow.total and fast.rank_key < slow.rank_key


def test_composite_weights_dimension_percentages(mini):
    result = score_sheet(mini, Sheet(aspects={"M1": "24", "J1": [3, 3, 3], "Q1": "B", "P1": True},
                                     stages={"S1": StageRun(1, True), "S2": StageRun(1, True)}))
    assert result.composite == D("100.00")
