"""Selection points models: the bundled model, field-named errors, exact scoring, weight stability."""

from __future__ import annotations

from decimal import Decimal

import pytest

from scoring_rules.loader import RuleSetError
from scoring_rules.selection import (bundled_selection_path, load_selection_model, score_applicant,
                                     weight_stability)

D = Decimal


@pytest.fixture(scope="module")
def model():
    return load_selection_model(bundled_selection_path("craftsman-selection").read_text(encoding="utf-8"))


def test_bundled_model_reads_with_its_departments_and_weights(model):
    assert [c.code for c in model.criteria] == ["skill", "contest", "innovation", "contribution"]
    assert sum(model.weights) == 1
    assert model.departments == ("总工会", "人社局", "科技局")


def test_scoring_is_capped_exact_and_lists_its_reasons(model):
    evidence = [("skill:4", "技师"), ("contest:1", "A赛 第1名"), ("honour:provincial", "省五一劳动奖章"),
                ("honour:national", "全国技术能手"), ("patent:enterprise", "专利"), ("service:city", "服务单")]
    result = score_applicant(model, evidence)
    by_code = {c.code: c for c in result.criteria}
    assert by_code["skill"].score == D("80.00")
    # 30 + 60 + 100 = 190, capped at 100.
    assert by_code["contest"].points == D(100) and by_code["contest"].score == D("100.00")
    assert [label for label, _ in by_code["contest"].items] == ["A赛 第1名", "省五一劳动奖章", "全国技术能手"]
    assert by_code["innovation"].score == D("40.00")  # patent:* matches any level
    assert by_code["contribution"].score == D("10.00")
    assert result.total == D("0.25") * 80 + D("0.35") * 100 + D("0.25") * 40 + D("0.15") * 10
    assert score_applicant(model, []).total == 0


@pytest.mark.parametrize("mutate, path, reason", [
    (lambda t: t.replace('"honour:city" = 35', '"honor:city" = 35'), "criteria[1].points.'honor:city'",
     "unknown evidence kind 'honor'"),
    (lambda t: t.replace('"skill:5" = 100', '"skill:6" = 100'), "criteria[0].points.'skill:6'", "1 to 5"),
    (lambda t: t.replace('"qc:city" = 25', '"qc:county" = 25'), "criteria[2].points.'qc:county'", "unknown level"),
    (lambda t: t.replace("weight = 0.15", "weight = 0.25"), "criteria", "add up to 1.10"),
    (lambda t: t.replace("cap = 100\n[criteria.points]\n\"contest:1\"", "cap = 0\n[criteria.points]\n\"contest:1\""),
     "criteria[1].cap", "greater than 0"),
    (lambda t: t.replace('departments = ["总工会", "人社局", "科技局"]', 'departments = ["总工会", "总工会"]'),
     "review.departments", "listed twice"),
    (lambda t: t.replace('code = "innovation"', 'code = "skill"'), "criteria", "used more than once"),
])
def test_a_wrong_model_names_the_field_and_why(model, mutate, path, reason):
    text = mutate(bundled_selection_path("craftsman-selection").read_text(encoding="utf-8"))
    with pytest.raises(RuleSetError) as caught:
        load_selection_model(text, source="bad.toml")
    assert any(e.path == path and reason in e.reason for e in caught.value.errors), caught.value.errors


def test_a_dominant_leader_is_stable_and_a_near_tie_is_not():
    weights = (D("0.5"), D("0.5"))
    scores = {"a": (D(90), D(90)), "b": (D(60), D(50)), "c": (D(50), D(60)), "d": (D(10), D(10))}
    stability = weight_stability(scores, weights, top_n=2)
    assert stability.weightings == 9
    places = {p.applicant: p for p in stability.places}
    assert places["a"].best == places["a"].worst == 1 and places["a"].in_top_share == 1
    # b and c tie under the published weights; moving either weight by 10% separates them either way.
    assert places["b"].rank == places["c"].rank == 2
    assert {places["b"].best, places["b"].worst} == {2, 3}
    assert places["b"].in_top_share == pytest.approx(6 / 9)  # tie (3 settings) or ahead (3 of the other 6)
    # The published top (a, b, c tied) recurs only when both weights move alike: 3 of 9 settings.
    assert stability.same_top_set == pytest.approx(3 / 9)
    assert places["d"].worst == places["d"].best == 4


def test_moving_no_weight_changes_nothing():
    scores = {i: (D(i), D(100 - i), D(i % 7)) for i in range(20)}
    stability = weight_stability(scores, (D("0.2"), D("0.3"), D("0.5")), top_n=5, spread=0.0)
    assert stability.same_top_set == stability.same_top_order == 1
    assert all(p.best == p.worst == p.rank for p in stability.places)


def test_stability_matches_brute_force_reranking():
    import itertools
    import random
    rng = random.Random(7)
    scores = {i: tuple(D(rng.randint(0, 100)) for _ in range(3)) for i in range(30)}
    weights = (D("0.5"), D("0.3"), D("0.2"))
    stability = weight_stability(scores, weights, top_n=5)
    worst = {i: 0 for i in scores}
    for move in itertools.product((D("0.9"), D(1), D("1.1")), repeat=3):
        moved = [w * m for w, m in zip(weights, move)]
        totals = {i: sum(w * s for w, s in zip(moved, sc)) / sum(moved) for i, sc in scores.items()}
        for i in scores:
            worst[i] = max(worst[i], 1 + sum(totals[j] > totals[i] for j in scores))
    assert {p.applicant: p.worst for p in stability.places} == worst
