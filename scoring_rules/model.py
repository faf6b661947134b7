"""The compiled form of a rule set: frozen dataclasses the engine scores against.

Every number is a ``Decimal``: rule files are parsed with ``parse_float=Decimal`` so that
``0.1`` in a file is exactly one tenth, never a binary float.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from typing import Literal

RoundingMode = Literal["half_up", "half_even", "down"]
Aggregation = Literal["mean", "median", "trimmed_mean"]
MeasurementMethod = Literal["tolerance", "per_unit", "levels", "pass_fail"]
ItemType = Literal["single", "multiple", "true_false", "numeric"]
PartialRule = Literal["all_or_nothing", "fixed_partial", "per_option", "net_proportional"]


@dataclass(frozen=True)
class Rounding:
    aspect_places: int = 2
    total_places: int = 2
    mode: RoundingMode = "half_up"


@dataclass(frozen=True)
class Dimension:
    code: str
    name: str
    name_en: str
    weight: Decimal


@dataclass(frozen=True)
class ToleranceBand:
    within: Decimal
    marks: Decimal


@dataclass(frozen=True)
class Level:
    label: str
    marks: Decimal


@dataclass(frozen=True)
class Aspect:
    """One line of the marking scheme; ``kind`` says how a raw input becomes marks."""

    code: str
    name: str
    kind: Literal["measurement", "judgement", "objective"]
    max: Decimal
    dimension: str | None
    places: int | None
    # Filled in by the loader so the engine never walks the tree to find them.
    criterion: str = ""
    sub_criterion: str = ""
    stage: str | None = None


@dataclass(frozen=True)
class MeasurementAspect(Aspect):
    method: MeasurementMethod = "tolerance"
    target: Decimal | None = None
    unit: str = ""
    bands: tuple[ToleranceBand, ...] = ()
    free: Decimal = Decimal(0)
    step: Decimal = Decimal(1)
    deduct: Decimal = Decimal(0)
    levels: tuple[Level, ...] = ()


@dataclass(frozen=True)
class JudgementAspect(Aspect):
    scale_max: int = 3
    descriptors: tuple[str, ...] = ()
    panel_size: int = 3
    aggregation: Aggregation = "mean"
    trim: int = 0
    max_spread: int | None = None


@dataclass(frozen=True)
class ObjectiveAspect(Aspect):
    item: ItemType = "single"
    question: str = ""
    options: tuple[str, ...] = ()
    answer: str | bool | Decimal | tuple[str, ...] = ""
    tolerance: Decimal = Decimal(0)
    partial: PartialRule = "all_or_nothing"
    partial_marks: Decimal = Decimal(0)


@dataclass(frozen=True)
class SubCriterion:
    code: str
    name: str
    max: Decimal
    aspects: tuple[Aspect, ...]


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    max: Decimal
    stage: str | None
    sub_criteria: tuple[SubCriterion, ...]


@dataclass(frozen=True)
class Deduction:
    code: str
    name: str
    per_occurrence: Decimal
    cap: Decimal | None
    disqualify: bool
    stage: str | None


@dataclass(frozen=True)
class Stage:
    code: str
    name: str
    time_limit_s: int
    pass_mark: Decimal
    overrun_step_s: int
    overrun_deduct: Decimal
    overrun_max_s: int


@dataclass(frozen=True)
class RuleSet:
    code: str
    name: str
    name_en: str
    version: str
    trade: str
    total: Decimal
    rounding: Rounding
    dimensions: tuple[Dimension, ...]
    criteria: tuple[Criterion, ...]
    deductions: tuple[Deduction, ...]
    stages: tuple[Stage, ...]
    tie_break: tuple[str, ...]
    aspects: dict[str, Aspect] = field(default_factory=dict)

    def aspect(self, code: str) -> Aspect:
        """Return the aspect with this code; raise ``KeyError`` naming it when absent."""
        try:
            return self.aspects[code]
        except KeyError:
            raise KeyError(f"unknown aspect {code!r}") from None

    def stage_index(self, code: str) -> int:
        for index, stage in enumerate(self.stages):
            if stage.code == code:
                return index
        raise KeyError(f"unknown stage {code!r}")

    @cached_property
    def deductions_by_code(self) -> dict[str, Deduction]:
        return {d.code: d for d in self.deductions}

    @cached_property
    def judgement_codes(self) -> frozenset[str]:
        return frozenset(code for code, a in self.aspects.items() if isinstance(a, JudgementAspect))

    @cached_property
    def memo(self) -> dict:
        """Scores of aspect inputs already seen: scoring is pure, and a panel of three on a
        0–3 scale has only 20 distinct score sets, so a replay mostly looks results up."""
        return {}
