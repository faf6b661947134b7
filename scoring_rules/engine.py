"""Score one contestant's sheet against a rule set.

The engine is pure: a ``Sheet`` (raw inputs) goes in, a ``SheetResult`` comes out, and the
same inputs always give the same result. Live boards call it once per changed contestant;
a replay calls it once per contestant.

Rules in one place:
- An aspect with no input, an incomplete panel, or a panel whose spread breaks the rule (and
  has no chief-referee override) has no marks yet: it counts 0 and the sheet is incomplete.
- Aspect marks are rounded to the aspect's places; sums are exact; the total is rounded to
  the rule set's total places. Rounding is half-up unless the rule set says otherwise.
- Stages are cleared in order: a stage is cleared when it is finished within its time limit
  plus the allowed overrun and its score reaches the pass mark. A stage after one that is not
  cleared is locked: its marks do not count.
- Deductions subtract ``per_occurrence × count`` up to ``cap`` from their stage or the total;
  scores never go below 0. A disqualifying deduction ranks the contestant last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from statistics import median
from typing import Any

from .model import Aspect, JudgementAspect, MeasurementAspect, ObjectiveAspect, RuleSet

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN}


class MarkError(ValueError):
    """A raw input that this aspect cannot score; the message says which aspect and why."""

    def __init__(self, code: str, reason: str):
        self.code = code
        self.reason = reason
        super().__init__(f"{code}: {reason}")


@dataclass(frozen=True)
class Override:
    """A chief referee's resolution of a blocked panel: accept the marks, or set a panel score."""

    reason: str
    score: Decimal | None = None


@dataclass(frozen=True)
class StageRun:
    elapsed_s: int | None = None
    finished: bool = False


@dataclass
class Sheet:
    """Raw inputs for one contestant: aspect code → value, panel scores or answer."""

    aspects: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Override] = field(default_factory=dict)
    deductions: dict[str, int] = field(default_factory=dict)
    stages: dict[str, StageRun] = field(default_factory=dict)


@dataclass(frozen=True)
class AspectResult:
    code: str
    marks: Decimal | None
    status: str  # scored | overridden | missing | incomplete | blocked | locked
    spread: int | None = None


@dataclass(frozen=True)
class StageResult:
    code: str
    status: str  # not_started | in_progress | cleared | failed | locked
    score: Decimal
    max: Decimal
    elapsed_s: int | None
    overrun_penalty: Decimal


@dataclass(frozen=True)
class DimensionResult:
    marks: Decimal
    max: Decimal
    percent: Decimal


@dataclass(frozen=True)
class SheetResult:
    total: Decimal
    dimensions: dict[str, DimensionResult]
    criteria: dict[str, Decimal]
    aspects: dict[str, AspectResult]
    stages: tuple[StageResult, ...]
    deductions: Decimal
    disqualified: bool
    complete: bool
    flags: tuple[str, ...]
    stages_cleared: int
    clear_time_s: int
    composite: Decimal
    rank_key: tuple

    def as_json(self) -> dict:
        """Return a JSON-ready dict; Decimals become strings so no digit is lost."""
        return {
            "total": str(self.total),
            "complete": self.complete,
            "disqualified": self.disqualified,
            "deductions": str(self.deductions),
            "composite": str(self.composite),
            "dimensions": {
                code: {"marks": str(d.marks), "max": str(d.max), "percent": str(d.percent)}
                for code, d in self.dimensions.items()
            },
            "criteria": {code: str(m) for code, m in self.criteria.items()},
            "aspects": {
                code: {"marks": None if a.marks is None else str(a.marks), "status": a.status,
                       **({"spread": a.spread} if a.spread is not None else {})}
                for code, a in self.aspects.items()
            },
            "stages": [
                {"code": s.code, "status": s.status, "score": str(s.score), "max": str(s.max),
                 "elapsed_s": s.elapsed_s, "overrun_penalty": str(s.overrun_penalty)}
                for s in self.stages
            ],
            "stages_cleared": self.stages_cleared,
            "clear_time_s": self.clear_time_s,
            "flags": list(self.flags),
            "rank_key": [str(k) for k in self.rank_key],
        }


def quantize(value: Decimal, places: int, mode: str = "half_up") -> Decimal:
    """Round ``value`` to ``places`` decimals with the named mode (half-up by default, as Excel)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=_ROUNDING[mode])


def to_decimal(code: str, value: Any) -> Decimal:
    if isinstance(value, bool):
        raise MarkError(code, f"expected a number, got {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise MarkError(code, f"expected a number, got {value!r}") from None
    if not result.is_finite():
        raise MarkError(code, f"expected a finite number, got {value!r}")
    return result


# --- aspects -----------------------------------------------------------------------------

def panel_scores(aspect: JudgementAspect, raw: Any) -> list[int]:
    """Return the panel's scores as whole numbers on the aspect's scale, or raise ``MarkError``."""
    values = list(raw.values()) if isinstance(raw, dict) else list(raw)
    if len(values) > aspect.panel_size:
        raise MarkError(aspect.code, f"{len(values)} scores for a panel of {aspect.panel_size}")
    scale_max = aspect.scale_max
    if all(type(v) is int and 0 <= v <= scale_max for v in values):
        return values  # the usual case, as stored in the log
    scores = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
            raise MarkError(aspect.code, f"a judgement score is a whole number 0..{aspect.scale_max}, got {value!r}")
        number = to_decimal(aspect.code, value)
        if number != number.to_integral_value() or not 0 <= number <= aspect.scale_max:
            raise MarkError(aspect.code, f"a judgement score is a whole number 0..{aspect.scale_max}, got {value}")
        scores.append(int(number))
    return scores


def aggregate(aspect: JudgementAspect, scores: list[int]) -> Decimal:
    """Combine a complete panel's scores with the aspect's aggregation rule."""
    if aspect.aggregation == "median":
        return Decimal(str(median(scores)))
    if aspect.aggregation == "trimmed_mean":
        scores = sorted(scores)[aspect.trim: len(scores) - aspect.trim]
    return Decimal(sum(scores)) / Decimal(len(scores))


def _judgement(aspect: JudgementAspect, raw: Any, override: Override | None) -> tuple[Decimal | None, str, int | None]:
    scores = panel_scores(aspect, raw) if raw is not None else []
    spread = max(scores) - min(scores) if scores else None
    if override is not None and override.score is not None:
        score = to_decimal(aspect.code, override.score)
        if not ZERO <= score <= aspect.scale_max:
            raise MarkError(aspect.code, f"an override score is on the scale 0..{aspect.scale_max}")
        return score / aspect.scale_max * aspect.max, "overridden", spread
    if len(scores) < aspect.panel_size:
        return None, ("missing" if not scores else "incomplete"), spread
    if aspect.max_spread is not None and spread > aspect.max_spread and override is None:
        return None, "blocked", spread
    status = "overridden" if override is not None else "scored"
    return aggregate(aspect, scores) / aspect.scale_max * aspect.max, status, spread


def _measurement(aspect: MeasurementAspect, raw: Any) -> Decimal:
    if aspect.method == "pass_fail":
        if not isinstance(raw, bool):
            raise MarkError(aspect.code, f"pass/fail takes true or false, got {raw!r}")
        return aspect.max if raw else ZERO
    if aspect.method == "levels":
        for level in aspect.levels:
            if level.label == raw:
                return level.marks
        raise MarkError(aspect.code, f"{raw!r} is not a level; levels are {[lv.label for lv in aspect.levels]}")
    deviation = abs(to_decimal(aspect.code, raw) - aspect.target)
    if aspect.method == "tolerance":
        for band in aspect.bands:
            if deviation <= band.within:
                return band.marks
        return ZERO
    # per_unit: every started step beyond the free allowance costs ``deduct``.
    excess = deviation - aspect.free
    if excess <= 0:
        return aspect.max
    steps = math.ceil(excess / aspect.step)
    return max(ZERO, aspect.max - steps * aspect.deduct)


def _labels(aspect: ObjectiveAspect, raw: Any) -> set[str]:
    code = aspect.code
    if isinstance(raw, str):
        parts = raw.replace(",", " ").replace("，", " ").replace("、", " ").split()
        single_letters = all(len(o.split(".", 1)[0].strip()) == 1 for o in aspect.options)
        if len(parts) == 1 and single_letters:
            parts = list(parts[0])  # "ABD" on a paper-style sheet means A, B and D
        raw = parts
    if not isinstance(raw, (list, tuple, set)) or not all(isinstance(x, str) for x in raw):
        raise MarkError(code, f"a multiple-choice answer is a list of option labels, got {raw!r}")
    return {x.strip().upper() for x in raw}


def _objective(aspect: ObjectiveAspect, raw: Any) -> Decimal:
    if aspect.item == "single":
        if not isinstance(raw, str):
            raise MarkError(aspect.code, f"a single-choice answer is one option label, got {raw!r}")
        return aspect.max if raw.strip().upper() == aspect.answer.upper() else ZERO
    if aspect.item == "true_false":
        if not isinstance(raw, bool):
            raise MarkError(aspect.code, f"a true/false answer is true or false, got {raw!r}")
        return aspect.max if raw is aspect.answer else ZERO
    if aspect.item == "numeric":
        return aspect.max if abs(to_decimal(aspect.code, raw) - aspect.answer) <= aspect.tolerance else ZERO
    chosen = _labels(aspect, raw)
    correct = {a.upper() for a in aspect.answer}
    right, wrong = len(chosen & correct), len(chosen - correct)
    if chosen == correct:
        return aspect.max
    if aspect.partial == "fixed_partial":
        return aspect.partial_marks if right and not wrong else ZERO
    if aspect.partial == "per_option":
        return aspect.max * right / len(correct) if not wrong else ZERO
    if aspect.partial == "net_proportional":
        return aspect.max * max(0, right - wrong) / len(correct)
    return ZERO


def score_aspect(ruleset: RuleSet, aspect: Aspect, raw: Any, override: Override | None = None) -> AspectResult:
    """Score one aspect from its raw input; raise ``MarkError`` if the input is not valid for it."""
    memo_key = None
    if override is None and raw is not None:
        values = raw.values() if isinstance(raw, dict) else raw
        if isinstance(values, (str, bool, int, Decimal)):
            memo_key = (aspect.code, type(values), values)
        elif all(type(v) is int for v in values) or all(type(v) is str for v in values):
            memo_key = (aspect.code, list, tuple(sorted(values)))
        if memo_key is not None:
            hit = ruleset.memo.get(memo_key)
            if hit is not None:
                return hit
    result = _score_aspect(ruleset, aspect, raw, override)
    if memo_key is not None:
        if len(ruleset.memo) > 200_000:
            ruleset.memo.clear()
        ruleset.memo[memo_key] = result
    return result


def _score_aspect(ruleset: RuleSet, aspect: Aspect, raw: Any, override: Override | None) -> AspectResult:
    spread = None
    if isinstance(aspect, JudgementAspect):
        marks, status, spread = _judgement(aspect, raw, override)
    elif raw is None:
        marks, status = None, "missing"
    elif isinstance(aspect, MeasurementAspect):
        marks, status = _measurement(aspect, raw), "scored"
    else:
        marks, status = _objective(aspect, raw), "scored"
    if marks is not None:
        places = aspect.places if aspect.places is not None else ruleset.rounding.aspect_places
        marks = quantize(marks, places, ruleset.rounding.mode)
    return AspectResult(aspect.code, marks, status, spread)


# --- the sheet ---------------------------------------------------------------------------

def _deduction_amounts(ruleset: RuleSet, sheet: Sheet) -> tuple[dict[str | None, Decimal], bool]:
    """Return deducted marks per stage (``None`` = the total) and whether any disqualifies."""
    by_stage: dict[str | None, Decimal] = {}
    disqualified = False
    known = ruleset.deductions_by_code
    for code, count in sheet.deductions.items():
        if code not in known:
            raise MarkError(code, "is not a deduction of this rule set")
        if count <= 0:
            continue
        deduction = known[code]
        disqualified |= deduction.disqualify
        amount = deduction.per_occurrence * count
        if deduction.cap is not None:
            amount = min(amount, deduction.cap)
        by_stage[deduction.stage] = by_stage.get(deduction.stage, ZERO) + amount
    return by_stage, disqualified


def _stage_results(ruleset, sheet, criterion_marks, deducted) -> tuple[list[StageResult], set[str]]:
    results, locked = [], set()
    previous_cleared = True
    for stage in ruleset.stages:
        stage_max = sum((c.max for c in ruleset.criteria if c.stage == stage.code), ZERO)
        if not previous_cleared:
            locked.add(stage.code)
            results.append(StageResult(stage.code, "locked", ZERO, stage_max, None, ZERO))
            continue
        run = sheet.stages.get(stage.code)
        elapsed = run.elapsed_s if run else None
        overrun = ZERO
        if elapsed is not None and elapsed > stage.time_limit_s:
            # Beyond the allowed overrun the stage fails; the penalty stops growing there.
            over = min(elapsed - stage.time_limit_s, stage.overrun_max_s or elapsed)
            overrun = math.ceil(over / stage.overrun_step_s) * stage.overrun_deduct
        raw = sum((criterion_marks[c.code] for c in ruleset.criteria if c.stage == stage.code), ZERO)
        score = max(raw - deducted.get(stage.code, ZERO) - overrun, ZERO)
        if run is None:
            status = "not_started"
        elif not run.finished:
            status = "in_progress"
        elif elapsed is not None and elapsed > stage.time_limit_s + stage.overrun_max_s:
            status = "failed"
        else:
            status = "cleared" if score >= stage.pass_mark else "failed"
        previous_cleared = status == "cleared"
        results.append(StageResult(stage.code, status, score, stage_max, elapsed, overrun))
    return results, locked


def score_sheet(ruleset: RuleSet, sheet: Sheet) -> SheetResult:
    """Score a whole sheet; raise ``MarkError`` for the first input an aspect cannot take."""
    return assemble(ruleset, sheet, score_aspects(ruleset, sheet))


def score_aspects(ruleset: RuleSet, sheet: Sheet) -> dict[str, AspectResult]:
    """Score every aspect on its own, before stages lock any (the cacheable part of a sheet)."""
    for code in sheet.aspects:
        if code not in ruleset.aspects:
            raise MarkError(code, "is not an aspect of this rule set")
    return {
        code: score_aspect(ruleset, aspect, sheet.aspects.get(code), sheet.overrides.get(code))
        for code, aspect in ruleset.aspects.items()
    }


def assemble(ruleset: RuleSet, sheet: Sheet, aspect_results: dict[str, AspectResult]) -> SheetResult:
    """Combine per-aspect results into the sheet's result: sums, stages, deductions, rank key.

    ``aspect_results`` is not modified, so a caller may keep it and rescore one aspect later.
    """
    aspect_results = dict(aspect_results)
    rounding = ruleset.rounding
    zero = Decimal(0).scaleb(-rounding.aspect_places)  # "0.00": sums show the places they carry
    criterion_marks: dict[str, Decimal] = {}
    for criterion in ruleset.criteria:
        total = zero
        for sub in criterion.sub_criteria:
            for aspect in sub.aspects:
                marks = aspect_results[aspect.code].marks
                if marks is not None:
                    total += marks
        criterion_marks[criterion.code] = total

    deducted, disqualified = _deduction_amounts(ruleset, sheet)
    stage_results, locked = _stage_results(ruleset, sheet, criterion_marks, deducted)
    if locked:
        for code, result in list(aspect_results.items()):
            if ruleset.aspects[code].stage in locked:
                aspect_results[code] = AspectResult(code, None, "locked", result.spread)
        for criterion in ruleset.criteria:
            if criterion.stage in locked:
                criterion_marks[criterion.code] = zero

    if ruleset.stages:
        raw_total = sum((s.score for s in stage_results), ZERO)
    else:
        raw_total = sum(criterion_marks.values(), ZERO)
    # A locked stage's deductions never reach the total, so they are not reported either.
    total_deducted = sum((v for k, v in deducted.items() if k not in locked), ZERO)
    total = quantize(max(ZERO, raw_total - deducted.get(None, ZERO)), rounding.total_places, rounding.mode)

    dimension_marks = {d.code: zero for d in ruleset.dimensions}
    dimension_max = {d.code: ZERO for d in ruleset.dimensions}
    for aspect in ruleset.aspects.values():
        if aspect.dimension is not None:
            dimension_max[aspect.dimension] += aspect.max
            got = aspect_results[aspect.code].marks
            if got is not None:
                dimension_marks[aspect.dimension] += got
    dimensions = {}
    for code, marks in dimension_marks.items():
        dmax = dimension_max[code]
        percent = quantize(marks / dmax * HUNDRED, rounding.total_places, rounding.mode) if dmax else ZERO
        dimensions[code] = DimensionResult(marks, quantize(dmax, rounding.aspect_places), percent)
    # The portrait's composite: dimension percentages weighted as the rule set declares.
    composite = quantize(sum((d.weight * dimensions[d.code].percent for d in ruleset.dimensions), ZERO),
                         rounding.total_places, rounding.mode)

    flags = []
    for result in aspect_results.values():
        if result.status == "blocked":
            flags.append(f"spread_breach:{result.code}")
        elif result.status == "overridden":
            flags.append(f"overridden:{result.code}")
    if disqualified:
        flags.append("disqualified")
    complete = all(r.status in ("scored", "overridden", "locked") for r in aspect_results.values())
    cleared = [s for s in stage_results if s.status == "cleared"]
    clear_time = sum(s.elapsed_s or 0 for s in cleared)
    result = SheetResult(
        total=total, dimensions=dimensions, criteria=criterion_marks, aspects=aspect_results,
        stages=tuple(stage_results), deductions=total_deducted, disqualified=disqualified,
        complete=complete, flags=tuple(flags), stages_cleared=len(cleared), clear_time_s=clear_time,
        composite=composite, rank_key=(),
    )
    object.__setattr__(result, "rank_key", rank_key(ruleset, result))
    return result


def rank_key(ruleset: RuleSet, result: SheetResult) -> tuple:
    """Return the sort key (ascending = better) the rule set's tie-break order defines.

    Disqualified contestants sort after everyone. Then, for each tie-break in order: total,
    dimension and criterion marks and stages cleared rank higher-first; clear time lower-first.
    """
    key: list = [1 if result.disqualified else 0]
    for item in ruleset.tie_break:
        kind, _, code = item.partition(":")
        if item == "total":
            key.append(-result.total)
        elif item == "stages_cleared":
            key.append(-result.stages_cleared)
        elif item == "clear_time":
            key.append(result.clear_time_s)
        elif kind == "dimension":
            key.append(-result.dimensions[code].marks)
        elif kind == "criterion":
            key.append(-result.criteria[code])
    return tuple(key)
