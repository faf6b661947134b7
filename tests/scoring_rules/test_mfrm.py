"""The many-facet Rasch model: published estimates reproduced, severity recovered across sites,
fair scores that undo a harsh panel, and designs that cannot tell severity from ability refused.

The reference study (372 students × 21 raters, Wind & Hua, CC0) is read from ../shared, never
copied into the repository; its published estimates are TAM 3.7-16's (``tam.mml.mfr``)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from scoring_rules import mfrm

MFRM = Path(__file__).resolve().parents[3] / "shared" / "data" / "mfrm"
DOMAINS = ("style", "org", "conv", "sent_form")
TAM_NODES = np.linspace(-6, 6, 21)  # tam.mml's default quadrature, which the book used


def _data(name: str) -> list[dict]:
    path = MFRM / name
    if not path.exists():
        pytest.skip(f"the MFRM reference data was not found at {path} (it is read from ../shared, never copied)")
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _published(example: str, facet: str) -> dict[str, float]:
    return {row["element"]: float(row["estimate_logit"]) for row in _data("published_estimates_tam.csv")
            if row["example"] == example and row["facet"] == facet}


def _writing():
    persons, items, raters, scores = [], [], [], []
    for row in _data("writing.csv"):
        for domain in DOMAINS:
            persons.append(int(row["student"]))
            items.append(domain)
            raters.append(f"rater_{row['rater']}")
            scores.append(int(row[domain]))
    return persons, {"item": items, "rater": raters}, scores


def _style():
    persons, raters, languages, scores = [], [], [], []
    for row in _data("style_ratings.csv"):
        for k in range(1, 22):
            persons.append(int(row["student"]))
            raters.append(f"rater_{k}")
            languages.append(f"language{row['language']}")
            scores.append(int(row[f"rater_{k}"]))
    return persons, {"rater": raters, "language": languages}, scores


def _compare(fitted: dict[str, mfrm.Measure], published: dict[str, float]) -> tuple[float, float, float]:
    """Correlation, largest difference after centring, and slope of ours on theirs."""
    keys = sorted(published)
    ours = np.array([fitted[k].estimate for k in keys])
    theirs = np.array([published[k] for k in keys])
    difference = np.abs((ours - ours.mean()) - (theirs - theirs.mean())).max()
    return float(np.corrcoef(ours, theirs)[0, 1]), float(difference), float(np.polyfit(theirs, ours, 1)[0])


def test_partial_credit_fit_reproduces_the_published_rater_and_domain_measures():
    persons, facets, scores = _writing()
    fit = mfrm.fit(persons, facets, scores, max_score=3, steps_by="item", quadrature=TAM_NODES)
    correlation, difference, _ = _compare(fit.facets["rater"], _published("writing_pcm", "rater"))
    assert correlation >= 0.9999 and difference <= 0.01
    domains = _published("writing_pcm", "domain")
    assert sorted(DOMAINS, key=lambda d: fit.facets["item"][d].estimate) == sorted(DOMAINS, key=domains.get)
    assert max(abs(fit.facets["item"][d].estimate - domains[d]) for d in DOMAINS) <= 0.01
    steps = _published("writing_pcm", "threshold")
    for domain in DOMAINS:
        ours = fit.thresholds[domain]
        theirs = [steps[f"{domain}:step{k}"] for k in (1, 2, 3)]
        assert list(ours) == sorted(ours)  # ordered steps: each category is the most likely somewhere
        assert max(abs(a - b) for a, b in zip(ours, theirs)) <= 0.05
    assert fit.facets["rater"]["rater_9"].estimate == max(m.estimate for m in fit.facets["rater"].values())
    assert abs(sum(m.estimate for m in fit.facets["rater"].values())) < 1e-9  # sum-to-zero, as TAM's constraint
    assert 0.03 < fit.facets["rater"]["rater_1"].se < 0.07


def test_the_default_fine_grid_agrees_with_tam_up_to_its_coarser_scale():
    """TAM integrates abilities over 21 nodes 0.6 logit apart; a student rated 84 times has a
    likelihood far sharper than that. The default grid (0.1 logit) gives the same order of raters
    on a scale about 2% wider, and a deviance below TAM's (a better fit of the same model)."""
    persons, facets, scores = _writing()
    fit = mfrm.fit(persons, facets, scores, max_score=3, steps_by="item")
    correlation, difference, slope = _compare(fit.facets["rater"], _published("writing_pcm", "rater"))
    assert correlation >= 0.9999 and 1.0 <= slope <= 1.05 and difference <= 0.03
    assert fit.deviance < 46111.6  # TAM's printed deviance


def test_rating_scale_fit_with_a_language_facet_matches_the_published_raters():
    persons, facets, scores = _style()
    with pytest.raises(mfrm.DisconnectedDesign, match="language facet falls apart into 2 groups"):
        mfrm.fit(persons, facets, scores, max_score=3)  # language is a property of the student
    fit = mfrm.fit(persons, facets, scores, max_score=3, quadrature=TAM_NODES, assume_equal_groups=True)
    correlation, difference, slope = _compare(fit.facets["rater"], _published("style_rsm", "rater"))
    assert correlation >= 0.9999 and difference <= 0.05 and 1.0 <= slope <= 1.08
    assert fit.facets["language"]["language2"].estimate > 0 > fit.facets["language"]["language1"].estimate
    assert len(fit.groups) == 2
    steps = fit.thresholds[None]
    published = [float(v) for v in _published("style_rsm", "threshold").values()]
    assert list(steps) == sorted(steps) and max(abs(a - b) for a, b in zip(steps, published)) <= 0.25
    # The book's "too predictable" rater: the lowest outfit of all.
    outfits = {name: m.outfit for name, m in fit.facets["rater"].items()}
    assert min(outfits, key=outfits.get) == "rater_1" and outfits["rater_1"] < 0.6


def _simulated_contest(seed: int = 7):
    """Three sites; each site's panel of three judges marks its own 40 contestants on 4 aspects
    (0-3); one roving judge marks at every site (the link). Site C's panel is 1 logit harsher."""
    rng = np.random.default_rng(seed)
    severity = {"A1": -0.3, "A2": 0.0, "A3": 0.3, "B1": -0.2, "B2": 0.1, "B3": 0.1,
                "C1": 0.8, "C2": 1.0, "C3": 1.2, "ROV": 0.0}
    difficulty = {"S1": -0.5, "S2": 0.0, "S3": 0.2, "S4": 0.3}
    tau = np.array([-2.0, 0.0, 2.0])
    persons, judges, aspects, scores, ability = [], [], [], [], {}
    for site in "ABC":
        for n in range(40):
            person = f"{site}{n:02d}"
            ability[person] = rng.normal(0.5, 1.2)
            for judge in [f"{site}1", f"{site}2", f"{site}3"] + (["ROV"] if n < 10 else []):
                for aspect, delta in difficulty.items():
                    eta = ability[person] - delta - severity[judge]
                    logits = np.concatenate(([0.0], np.cumsum(eta - tau)))
                    p = np.exp(logits - logits.max())
                    persons.append(person)
                    judges.append(judge)
                    aspects.append(aspect)
                    scores.append(int(rng.choice(4, p=p / p.sum())))
    return persons, {"judge": judges, "aspect": aspects}, scores, severity, ability


def test_severity_is_recovered_across_sites_and_fair_scores_undo_a_harsh_panel():
    persons, facets, scores, severity, ability = _simulated_contest()
    fit = mfrm.fit(persons, facets, scores, max_score=3, steps_by=None, severity_facet="judge")
    judges = sorted(severity)
    estimated = np.array([fit.facets["judge"][j].estimate for j in judges])
    truth = np.array([severity[j] for j in judges])
    assert np.corrcoef(estimated, truth)[0, 1] > 0.95
    assert fit.facets["judge"]["C2"].estimate - fit.facets["judge"]["A2"].estimate > 0.6
    # Raw means punish site C's contestants for their panel; fair scores (an average judge) do not.
    raw = {}
    for person, judge, score in zip(persons, facets["judge"], scores):
        raw.setdefault(person, []).append(score)
    fair = {p: np.mean([fit.fair_score(p, {"aspect": a}) for a in ("S1", "S2", "S3", "S4")]) for p in ability}
    site_gap = lambda values: np.mean([values[p] for p in ability if p[0] == "C"]) - np.mean(
        [values[p] for p in ability if p[0] == "A"])
    true_gap = site_gap({p: ability[p] for p in ability})
    raw_gap = site_gap({p: np.mean(v) for p, v in raw.items()})
    assert raw_gap < site_gap(fair) and abs(site_gap({p: fit.persons[p].estimate for p in ability}) - true_gap) < 0.5
    assert np.corrcoef([fit.persons[p].estimate for p in ability], [ability[p] for p in ability])[0, 1] > 0.9
    assert all(0 <= fair[p] <= 3 for p in fair)


def test_sites_with_no_shared_judge_are_refused_and_named():
    persons, facets, scores, *_ = _simulated_contest()
    keep = [i for i, judge in enumerate(facets["judge"]) if judge != "ROV"]
    pick = lambda column: [column[i] for i in keep]
    with pytest.raises(mfrm.DisconnectedDesign) as refused:
        mfrm.fit(pick(persons), {name: pick(column) for name, column in facets.items()}, pick(scores),
                 max_score=3, severity_facet="judge")
    assert "3 groups" in str(refused.value) and "A1, A2, A3" in str(refused.value)
    assert [elements for elements, _ in refused.value.groups] == [["A1", "A2", "A3"], ["B1", "B2", "B3"],
                                                                   ["C1", "C2", "C3"]]


@pytest.mark.parametrize("change, message", [
    (lambda p, f, s: (p, f, s[:-1]), "one entry per rating"),
    (lambda p, f, s: (p, f, s[:4] + [4] + s[5:]), "rating 5: score 4 above the top category 3"),
    (lambda p, f, s: (p, f, s[:2] + [-1] + s[3:]), "rating 3: a score below 0"),
    (lambda p, f, s: (p, f, [min(x, 2) for x in s]), r"category \[3\] never used"),
    (lambda p, f, s: ([], {"judge": []}, []), "no ratings"),
])
def test_bad_ratings_are_refused_with_the_reason(change, message):
    persons, facets, scores, *_ = _simulated_contest()
    persons, facets, scores = change(persons, facets, scores)
    with pytest.raises(mfrm.DesignError, match=message):
        mfrm.fit(persons, facets, scores, max_score=3, severity_facet="judge" if "judge" in facets else None)
