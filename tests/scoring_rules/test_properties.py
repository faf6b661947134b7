"""Property tests: aggregation, tolerance bands, rounding and tie-breaks hold for any input."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from hypothesis import given, strategies as st

from scoring_rules import competition_ranks, load_ruleset, quantize
from scoring_rules.engine import aggregate, score_aspect
from scoring_rules.model import JudgementAspect

scores_of = st.lists(st.integers(0, 3), min_size=5, max_size=5)


def panel(aggregation: str, trim: int = 0, size: int = 5) -> JudgementAspect:
    return JudgementAspect(code="J", name="J", kind="judgement", max=Decimal(6), dimension=None, places=None,
                           descriptors=("0", "1", "2", "3"), panel_size=size, aggregation=aggregation, trim=trim)


@given(scores_of, st.sampled_from(["mean", "median", "trimmed_mean"]))
def test_aggregate_lies_between_lowest_and_highest_score(scores, aggregation):
    value = aggregate(panel(aggregation, trim=1 if aggregation == "trimmed_mean" else 0), scores)
    assert min(scores) <= value <= max(scores)


@given(scores_of, st.sampled_from(["mean", "median", "trimmed_mean"]), st.randoms())
def test_aggregate_ignores_the_order_of_the_panel(scores, aggregation, rnd):
    aspect = panel(aggregation, trim=1 if aggregation == "trimmed_mean" else 0)
    shuffled = list(scores)
    rnd.shuffle(shuffled)
    assert aggregate(aspect, scores) == aggregate(aspect, shuffled)


@given(scores_of, st.integers(0, 3))
def test_trimmed_mean_is_unmoved_by_one_extreme_judge(scores, extreme):
    """Dropping the top and bottom score: changing the single highest judge to 3 moves nothing."""
    aspect = panel("trimmed_mean", trim=1)
    ordered = sorted(scores)
    raised = ordered[:-1] + [3]
    assert aggregate(aspect, ordered) == aggregate(aspect, raised)


@given(scores_of)
def test_mean_is_exact(scores):
    assert aggregate(panel("mean"), scores) * 5 == sum(scores)


TOLERANCE = load_ruleset("""
[ruleset]
code = "t"
name = "t"
version = "1"
total = 5
[[criteria]]
code = "A"
name = "A"
  [[criteria.sub_criteria]]
  code = "A1"
  name = "A1"
    [[criteria.sub_criteria.aspects]]
    code = "m"
    name = "m"
    kind = "measurement"
    method = "tolerance"
    target = 10.0
    max = 5
    bands = [ { within = 0.1, marks = 5 }, { within = 0.5, marks = 3 }, { within = 1.0, marks = 1 } ]
""")
readings = st.decimals(min_value=-100, max_value=100, places=3, allow_nan=False, allow_infinity=False)


@given(readings, readings)
def test_tolerance_marks_never_rise_as_the_deviation_grows(a, b):
    aspect = TOLERANCE.aspects["m"]
    near, far = sorted([a, b], key=lambda x: abs(x - aspect.target))
    assert score_aspect(TOLERANCE, aspect, near).marks >= score_aspect(TOLERANCE, aspect, far).marks


@given(st.decimals(min_value=0, max_value=5, places=3))
def test_tolerance_marks_are_symmetric_about_the_target(deviation):
    aspect = TOLERANCE.aspects["m"]
    above = score_aspect(TOLERANCE, aspect, aspect.target + deviation).marks
    below = score_aspect(TOLERANCE, aspect, aspect.target - deviation).marks
    assert above == below


@given(st.decimals(min_value=-10**6, max_value=10**6, places=6, allow_nan=False, allow_infinity=False),
       st.integers(0, 4))
def test_half_up_rounding_matches_the_schoolbook_rule(value, places):
    """Round half away from zero, as Excel's ROUND does: |x|·10^p + ½, floored, sign restored."""
    scale = Decimal(10) ** places
    magnitude = (abs(value) * scale + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR) / scale
    expected = magnitude if value >= 0 else -magnitude
    assert quantize(value, places) == expected


keys = st.lists(st.tuples(st.integers(0, 1), st.integers(-5, 0), st.integers(0, 3)), min_size=1, max_size=30)


@given(keys)
def test_ranks_share_places_for_equal_keys_and_count_strictly_better_ones(key_list):
    ranked = competition_ranks(list(enumerate(key_list)))
    rank = dict(ranked)
    for ident, key in enumerate(key_list):
        assert rank[ident] == 1 + sum(1 for other in key_list if other < key)
    assert [r for _, r in ranked] == sorted(r for _, r in ranked)


@given(keys, st.randoms())
def test_ranks_do_not_depend_on_input_order(key_list, rnd):
    pairs = list(enumerate(key_list))
    shuffled = list(pairs)
    rnd.shuffle(shuffled)
    assert dict(competition_ranks(pairs)) == dict(competition_ranks(shuffled))
