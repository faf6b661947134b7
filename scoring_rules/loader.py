"""Read a rule-set file into a ``RuleSet``, or report every error with its field path.

Rule sets are TOML, read with ``parse_float=Decimal`` so marks like ``0.1`` are exact.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from marshmallow import ValidationError

from .model import (
    Aspect,
    Criterion,
    Deduction,
    Dimension,
    JudgementAspect,
    Level,
    MeasurementAspect,
    ObjectiveAspect,
    Rounding,
    RuleSet,
    Stage,
    SubCriterion,
    ToleranceBand,
)
from .schema import RuleSetSchema

BUNDLED_DIR = Path(__file__).parent / "rulesets"


@dataclass(frozen=True)
class FieldError:
    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class RuleSetError(ValueError):
    """A rule set that cannot be used; ``errors`` lists every problem found, by field path."""

    def __init__(self, errors: list[FieldError], source: str = ""):
        self.errors = errors
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(str(e) for e in errors))


def ruleset_digest(text: str) -> str:
    """Return the SHA-256 of a rule-set file's text: the identity a contest freezes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_ruleset_file(path: str | Path) -> RuleSet:
    path = Path(path)
    return load_ruleset(path.read_text(encoding="utf-8"), source=str(path))


def bundled_ruleset_path(code: str) -> Path:
    """Return the path of a rule set shipped in ``scoring_rules/rulesets/``."""
    path = BUNDLED_DIR / f"{code}.toml"
    if not path.exists():
        known = sorted(p.stem for p in BUNDLED_DIR.glob("*.toml"))
        raise FileNotFoundError(f"no bundled rule set {code!r}; known: {known}")
    return path


def parse_toml(text: str, schema, source: str = "") -> dict:
    """TOML (decimals exact) checked by a marshmallow schema; ``RuleSetError`` by field path."""
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise RuleSetError([FieldError("(file)", f"not valid TOML: {exc}")], source) from None
    try:
        return schema.load(raw)
    except ValidationError as exc:
        raise RuleSetError(flatten_messages(exc.messages), source) from None


def load_ruleset(text: str, source: str = "") -> RuleSet:
    """Parse, validate and compile a rule-set text; raise ``RuleSetError`` listing all errors."""
    data = parse_toml(text, RuleSetSchema(), source)
    errors: list[FieldError] = []
    ruleset = _build(data, errors)
    if errors:
        raise RuleSetError(errors, source)
    return ruleset


def flatten_messages(messages, prefix: str = "") -> list[FieldError]:
    """Turn marshmallow's nested error dict into ``path: reason`` lines."""
    out: list[FieldError] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix or "(file)"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                out.extend(FieldError(path, str(m)) for m in _as_list(value))
            else:
                out.extend(flatten_messages(value, path))
    else:
        out.extend(FieldError(prefix or "(file)", _reason(m)) for m in _as_list(messages))
    return out


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _reason(message) -> str:
    text = str(message)
    if text == "Unknown field.":
        return ("unknown field: check the spelling, and remember that in TOML every key after a "
                "[[table]] header belongs to that table")
    return text


def _build(data: dict, errors: list[FieldError]) -> RuleSet:
    header = data["ruleset"]
    rounding = Rounding(**data["rounding"])
    dimensions = tuple(Dimension(**d) for d in data["dimensions"])
    dimension_codes = {d.code for d in dimensions}
    stages = tuple(Stage(**s) for s in data["stages"])
    stage_codes = [s.code for s in stages]

    _check_unique(errors, "dimensions", [d.code for d in dimensions])
    _check_unique(errors, "stages", stage_codes)
    _check_unique(errors, "deductions", [d["code"] for d in data["deductions"]])
    if dimensions:
        weights = sum((d.weight for d in dimensions), Decimal(0))
        if weights != 1:
            errors.append(FieldError("dimensions", f"weights add up to {weights}, they must add up to 1"))

    aspects: dict[str, Aspect] = {}
    criteria = []
    criteria_total = Decimal(0)
    for ci, c in enumerate(data["criteria"]):
        cpath = f"criteria[{ci}]"
        if stages and c["stage"] is None:
            errors.append(FieldError(f"{cpath}.stage", f"criterion {c['code']} must name its stage: one of {stage_codes}"))
        elif c["stage"] is not None and c["stage"] not in stage_codes:
            errors.append(FieldError(f"{cpath}.stage", f"{c['stage']!r} is not a stage; stages are {stage_codes}"))
        subs = []
        criterion_sum = Decimal(0)
        for si, s in enumerate(c["sub_criteria"]):
            spath = f"{cpath}.sub_criteria[{si}]"
            built = []
            for ai, a in enumerate(s["aspects"]):
                apath = f"{spath}.aspects[{ai}]"
                aspect = _build_aspect(a, c["code"], s["code"], c["stage"], apath, errors)
                if aspect.code in aspects:
                    errors.append(FieldError(f"{apath}.code", f"aspect code {aspect.code!r} is used twice"))
                if dimensions and aspect.dimension is None:
                    errors.append(FieldError(f"{apath}.dimension", f"aspect {aspect.code} must name its dimension"))
                elif aspect.dimension is not None and aspect.dimension not in dimension_codes:
                    errors.append(FieldError(
                        f"{apath}.dimension",
                        f"{aspect.dimension!r} is not a dimension; dimensions are {sorted(dimension_codes)}",
                    ))
                aspects[aspect.code] = aspect
                built.append(aspect)
            aspect_sum = sum((a.max for a in built), Decimal(0))
            sub_max = s["max"] if s["max"] is not None else aspect_sum
            if aspect_sum != sub_max:
                errors.append(FieldError(
                    f"{spath}.max", f"aspect marks of {s['code']} add up to {aspect_sum}, declared {sub_max}"
                ))
            criterion_sum += sub_max
            subs.append(SubCriterion(s["code"], s["name"], sub_max, tuple(built)))
        criterion_max = c["max"] if c["max"] is not None else criterion_sum
        if criterion_sum != criterion_max:
            errors.append(FieldError(
                f"{cpath}.max", f"sub-criteria marks of {c['code']} add up to {criterion_sum}, declared {criterion_max}"
            ))
        criteria_total += criterion_max
        criteria.append(Criterion(c["code"], c["name"], criterion_max, c["stage"], tuple(subs)))
    _check_unique(errors, "criteria", [c.code for c in criteria])
    if criteria_total != header["total"]:
        errors.append(FieldError(
            "ruleset.total", f"criteria marks add up to {criteria_total}, declared total is {header['total']}"
        ))

    deductions = []
    for di, d in enumerate(data["deductions"]):
        if d["stage"] is not None and d["stage"] not in stage_codes:
            errors.append(FieldError(f"deductions[{di}].stage", f"{d['stage']!r} is not a stage"))
        deductions.append(Deduction(**d))

    for si, stage in enumerate(stages):
        stage_max = sum((c.max for c in criteria if c.stage == stage.code), Decimal(0))
        if stage.pass_mark > stage_max:
            errors.append(FieldError(
                f"stages[{si}].pass_mark", f"pass mark {stage.pass_mark} is above the stage's {stage_max} marks"
            ))

    tie_break = tuple(header["tie_break"])
    _check_tie_break(tie_break, dimension_codes, {c.code for c in criteria}, bool(stages), errors)
    return RuleSet(
        code=header["code"], name=header["name"], name_en=header["name_en"], version=header["version"],
        trade=header["trade"], total=header["total"], rounding=rounding, dimensions=dimensions,
        criteria=tuple(criteria), deductions=tuple(deductions), stages=stages, tie_break=tie_break,
        aspects=aspects,
    )


def _build_aspect(a: dict, criterion: str, sub: str, stage: str | None, path: str,
                  errors: list[FieldError]) -> Aspect:
    common = dict(code=a["code"], name=a["name"], kind=a["kind"], max=a["max"], dimension=a["dimension"],
                  places=a["places"], criterion=criterion, sub_criterion=sub, stage=stage)
    if a["kind"] == "measurement":
        bands = tuple(ToleranceBand(**b) for b in a["bands"])
        levels = tuple(Level(**lv) for lv in a["levels"])
        if a["method"] == "tolerance":
            _check_bands(bands, a["max"], path, errors)
        if a["method"] == "levels":
            best = max(lv.marks for lv in levels)
            if best != a["max"]:
                errors.append(FieldError(f"{path}.levels", f"the best level gives {best}, aspect max is {a['max']}"))
            if any(lv.marks > a["max"] for lv in levels):
                errors.append(FieldError(f"{path}.levels", "a level gives more than the aspect max"))
            _check_unique(errors, f"{path}.levels", [lv.label for lv in levels])
        return MeasurementAspect(**common, method=a["method"], target=a["target"], unit=a["unit"], bands=bands,
                                 free=a["free"], step=a["step"], deduct=a["deduct"], levels=levels)
    if a["kind"] == "judgement":
        return JudgementAspect(**common, scale_max=a["scale_max"], descriptors=tuple(a["descriptors"]),
                               panel_size=a["panel_size"], aggregation=a["aggregation"], trim=a["trim"],
                               max_spread=a["max_spread"])
    answer = a["answer"]
    if a["item"] == "multiple":
        answer = tuple(sorted(answer))
    elif a["item"] == "numeric":
        answer = Decimal(answer)
    if a["partial"] == "fixed_partial" and not (0 < a["partial_marks"] < a["max"]):
        errors.append(FieldError(f"{path}.partial_marks", "must be above 0 and below the item's max"))
    return ObjectiveAspect(**common, item=a["item"], question=a["question"], options=tuple(a["options"]),
                           answer=answer, tolerance=a["tolerance"], partial=a["partial"],
                           partial_marks=a["partial_marks"])


def _check_bands(bands, max_marks, path, errors):
    for i in range(1, len(bands)):
        if bands[i].within <= bands[i - 1].within:
            errors.append(FieldError(f"{path}.bands[{i}].within", "bands must widen: each 'within' above the last"))
        if bands[i].marks > bands[i - 1].marks:
            errors.append(FieldError(f"{path}.bands[{i}].marks", "a wider band cannot give more marks"))
    if bands and bands[0].marks != max_marks:
        errors.append(FieldError(f"{path}.bands[0].marks", f"the tightest band gives {bands[0].marks}, aspect max is {max_marks}"))


def _check_tie_break(tie_break, dimension_codes, criterion_codes, has_stages, errors):
    if not tie_break or tie_break[0] != "total":
        errors.append(FieldError("ruleset.tie_break", "must start with 'total'"))
    for i, key in enumerate(tie_break):
        kind, _, code = key.partition(":")
        if key in ("total",) or (key in ("stages_cleared", "clear_time") and has_stages):
            continue
        if kind == "dimension" and code in dimension_codes:
            continue
        if kind == "criterion" and code in criterion_codes:
            continue
        errors.append(FieldError(
            f"ruleset.tie_break[{i}]",
            f"{key!r} is not a tie-break; use total, dimension:<code>, criterion:<code>"
            + (", stages_cleared, clear_time" if has_stages else ""),
        ))


def _check_unique(errors, path, codes):
    seen = set()
    for i, code in enumerate(codes):
        if code in seen:
            errors.append(FieldError(f"{path}[{i}].code", f"{code!r} is used twice"))
        seen.add(code)
