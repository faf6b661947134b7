"""Craftsman selection (工匠遴选) points models: published lookup tables and weights, as a file.

A selection model is a TOML file beside the contest rule sets (``rulesets/selection/``). It lists
criteria (技能等级, 竞赛荣誉, 创新成果, 岗位贡献 …); each criterion has a lookup table from an
*evidence key* to points, a cap, and a weight. Evidence keys name one item of a worker's record:

- ``skill:<1-5>``                  the worker's vocational skill level (职业技能等级);
- ``contest:<rank>``               a placing in a finalized contest (1, 2, 3 …);
- ``<kind>:<level>``               an honour, innovation result or contribution of the resume,
  ``kind`` one of ``EVIDENCE_KINDS`` and ``level`` one of ``LEVELS`` or ``*`` for any level.

A criterion's points are the sum of its table over the worker's evidence, capped; its score is
those points as a percentage of the cap; the total is the weighted sum of the criterion scores,
exact decimals rounded as the model says. Everything here is pure: the profiles package collects
the evidence and keeps the applications.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from marshmallow import Schema, fields, validate

from .loader import FieldError, RuleSetError, parse_toml
from .schema import CODE, NON_NEGATIVE, POSITIVE

SELECTION_DIR = Path(__file__).parent / "rulesets" / "selection"
EVIDENCE_KINDS = ("honour", "patent", "method", "qc", "contribution", "service")
LEVELS = ("national", "provincial", "city", "enterprise")
HUNDRED = Decimal(100)


class _CriterionSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    name_en = fields.String(load_default="")
    weight = fields.Decimal(required=True, allow_nan=False, validate=NON_NEGATIVE)
    cap = fields.Decimal(required=True, allow_nan=False, validate=POSITIVE)
    points = fields.Dict(keys=fields.String(), values=fields.Decimal(allow_nan=False, validate=NON_NEGATIVE),
                         required=True, validate=validate.Length(min=1, error="a criterion needs at least one entry"))


class _HeaderSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    name_en = fields.String(load_default="")
    version = fields.String(required=True, validate=validate.Length(min=1))
    window_years = fields.Integer(load_default=5, validate=validate.Range(1, 50))
    places = fields.Integer(load_default=2, validate=validate.Range(0, 6))
    top_n = fields.Integer(load_default=10, validate=validate.Range(min=1))


class _ReviewSchema(Schema):
    departments = fields.List(fields.String(validate=validate.Length(min=1, max=50)), required=True,
                              validate=validate.Length(min=1, error="at least one reviewing department"))


class _ModelSchema(Schema):
    model = fields.Nested(_HeaderSchema, required=True)
    review = fields.Nested(_ReviewSchema, required=True)
    criteria = fields.List(fields.Nested(_CriterionSchema), required=True,
                           validate=validate.Length(min=1, error="at least one criterion"))


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    name_en: str
    weight: Decimal
    cap: Decimal
    points: dict[str, Decimal]

    def points_for(self, key: str) -> Decimal | None:
        """This table's points for one evidence key: the exact key, else ``kind:*``; None if absent."""
        if key in self.points:
            return self.points[key]
        return self.points.get(key.split(":", 1)[0] + ":*")


@dataclass(frozen=True)
class SelectionModel:
    code: str
    name: str
    name_en: str
    version: str
    window_years: int
    places: int
    top_n: int
    departments: tuple[str, ...]
    criteria: tuple[Criterion, ...]

    @property
    def weights(self) -> tuple[Decimal, ...]:
        return tuple(c.weight for c in self.criteria)


@dataclass(frozen=True)
class CriterionScore:
    code: str
    points: Decimal  # capped
    score: Decimal  # percentage of the cap, 0..100
    items: tuple[tuple[str, Decimal], ...]  # (evidence label, points) that counted, as the reasons


@dataclass(frozen=True)
class PointsResult:
    total: Decimal
    criteria: tuple[CriterionScore, ...]


def _check_key(key: str) -> str | None:
    """Why an evidence key is not understood, or None."""
    kind, sep, level = key.partition(":")
    if not sep:
        return "an evidence key is '<kind>:<level>', e.g. 'honour:provincial'"
    if kind == "skill":
        return None if level in {"1", "2", "3", "4", "5"} else "a skill level is 1 to 5"
    if kind == "contest":
        return None if level.isdigit() and int(level) >= 1 else "a contest placing is a rank: 1, 2, 3 …"
    if kind not in EVIDENCE_KINDS:
        return f"unknown evidence kind {kind!r}; expected skill, contest or one of {', '.join(EVIDENCE_KINDS)}"
    if level != "*" and level not in LEVELS:
        return f"unknown level {level!r}; expected one of {', '.join(LEVELS)} or '*'"
    return None


def load_selection_model(text: str, source: str = "") -> SelectionModel:
    """Parse and check a points model; raise ``RuleSetError`` naming every bad field and why."""
    data = parse_toml(text, _ModelSchema(), source)
    errors: list[FieldError] = []
    criteria = []
    for i, c in enumerate(data["criteria"]):
        for key in c["points"]:
            reason = _check_key(key)
            if reason:
                errors.append(FieldError(f"criteria[{i}].points.{key!r}", reason))
        criteria.append(Criterion(c["code"], c["name"], c["name_en"], c["weight"], c["cap"], dict(c["points"])))
    codes = [c.code for c in criteria]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        errors.append(FieldError("criteria", f"code {code!r} is used more than once"))
    weights = sum((c.weight for c in criteria), Decimal(0))
    if weights != 1:
        errors.append(FieldError("criteria", f"weights add up to {weights}, they must add up to 1"))
    departments = data["review"]["departments"]
    if len(set(departments)) != len(departments):
        errors.append(FieldError("review.departments", "a department is listed twice"))
    if errors:
        raise RuleSetError(errors, source)
    header = data["model"]
    return SelectionModel(header["code"], header["name"], header["name_en"], header["version"],
                          header["window_years"], header["places"], header["top_n"], tuple(departments),
                          tuple(criteria))


def bundled_selection_path(code: str) -> Path:
    path = SELECTION_DIR / f"{code}.toml"
    if not path.exists():
        known = sorted(p.stem for p in SELECTION_DIR.glob("*.toml"))
        raise FileNotFoundError(f"no bundled selection model {code!r}; known: {known}")
    return path


def score_applicant(model: SelectionModel, evidence: list[tuple[str, str]],
                    weights: tuple[Decimal, ...] | None = None) -> PointsResult:
    """Score one applicant from ``(evidence key, label)`` pairs; ``weights`` overrides the model's
    (the stability check moves them)."""
    quantum = Decimal(1).scaleb(-model.places)
    scores = []
    total = Decimal(0)
    for criterion, weight in zip(model.criteria, weights or model.weights):
        items = []
        for key, label in evidence:
            points = criterion.points_for(key)
            if points:
                items.append((label, points))
        points = min(criterion.cap, sum((p for _, p in items), Decimal(0)))
        score = (points / criterion.cap * HUNDRED).quantize(quantum, ROUND_HALF_UP)
        scores.append(CriterionScore(criterion.code, points, score, tuple(items)))
        total += weight * score
    return PointsResult(total.quantize(quantum, ROUND_HALF_UP), tuple(scores))


# --- how stable the top places are when the weights move ----------------------------------------

@dataclass(frozen=True)
class PlaceStability:
    applicant: object
    rank: int  # under the published weights
    best: int  # best and worst rank over all moved weightings
    worst: int
    in_top_share: float  # share of weightings that keep this applicant in the top n


@dataclass(frozen=True)
class Stability:
    spread: float
    weightings: int
    top_n: int
    same_top_set: float  # share of weightings whose top n are the same people
    same_top_order: float  # … in the same order
    places: tuple[PlaceStability, ...]


def _ranks(totals: dict) -> dict:
    """Competition ranks, highest total first; equal totals share a place."""
    order = sorted(totals, key=lambda a: -totals[a])
    ranks, previous = {}, None
    for position, a in enumerate(order, start=1):
        ranks[a] = ranks[previous] if previous is not None and totals[previous] == totals[a] else position
        previous = a
    return ranks


def weight_stability(criterion_scores: dict[object, tuple[Decimal, ...]], weights: tuple[Decimal, ...],
                     top_n: int, spread: float = 0.10) -> Stability:
    """Move every weight up or down by ``spread`` (each of the 3^k combinations of -, 0, + for up
    to 7 criteria; one at a time beyond that), renormalise so they add up to 1 again, re-rank, and
    report how often the top ``top_n`` stay the same and each applicant's range of ranks."""
    k = len(weights)
    if k <= 7:
        moves = list(itertools.product((-1, 0, 1), repeat=k))
    else:
        moves = [tuple(s if j == i else 0 for j in range(k)) for i in range(k) for s in (-1, 1)] + [(0,) * k]
    base = _ranks({a: sum(w * s for w, s in zip(weights, scores)) for a, scores in criterion_scores.items()})
    base_top = sorted((a for a in base if base[a] <= top_n), key=lambda a: base[a])
    best = dict(base)
    worst = dict(base)
    in_top = dict.fromkeys(base, 0)
    same_set = same_order = 0
    factor = Decimal(str(spread))
    for move in moves:
        moved = [w * (1 + s * factor) for w, s in zip(weights, move)]
        norm = sum(moved)
        moved = [w / norm for w in moved]
        ranks = _ranks({a: sum(w * s for w, s in zip(moved, scores)) for a, scores in criterion_scores.items()})
        top = sorted((a for a in ranks if ranks[a] <= top_n), key=lambda a: ranks[a])
        same_set += set(top) == set(base_top)
        same_order += [ranks[a] for a in base_top] == [base[a] for a in base_top] and set(top) == set(base_top)
        for a, r in ranks.items():
            best[a] = min(best[a], r)
            worst[a] = max(worst[a], r)
            in_top[a] += r <= top_n
    places = tuple(PlaceStability(a, base[a], best[a], worst[a], in_top[a] / len(moves))
                   for a in sorted(base, key=lambda a: base[a]))
    return Stability(spread, len(moves), top_n, same_set / len(moves), same_order / len(moves), places)
