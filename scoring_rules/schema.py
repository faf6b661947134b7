"""Marshmallow schemas for rule-set files: shape and per-field checks.

Cross-field rules (marks adding up, references between sections) live in ``loader.py``,
which runs after these schemas so every error can name the field path it concerns.
"""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", error="must be letters, digits, '.', '_' or '-'")
POSITIVE = validate.Range(min=0, min_inclusive=False, error="must be greater than 0")
NON_NEGATIVE = validate.Range(min=0, error="must be 0 or more")


def _decimal(**kwargs):
    return fields.Decimal(allow_nan=False, **kwargs)


class RoundingSchema(Schema):
    aspect_places = fields.Integer(load_default=2, validate=validate.Range(0, 6))
    total_places = fields.Integer(load_default=2, validate=validate.Range(0, 6))
    mode = fields.String(load_default="half_up", validate=validate.OneOf(["half_up", "half_even", "down"]))


class DimensionSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    name_en = fields.String(load_default="")
    weight = _decimal(required=True, validate=NON_NEGATIVE)


class _AspectBase(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    kind = fields.String(required=True)
    max = _decimal(required=True, validate=POSITIVE)
    dimension = fields.String(load_default=None)
    places = fields.Integer(load_default=None, validate=validate.Range(0, 6))


class BandSchema(Schema):
    within = _decimal(required=True, validate=NON_NEGATIVE)
    marks = _decimal(required=True, validate=NON_NEGATIVE)


class LevelSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1))
    marks = _decimal(required=True, validate=NON_NEGATIVE)


class MeasurementSchema(_AspectBase):
    method = fields.String(
        required=True, validate=validate.OneOf(["tolerance", "per_unit", "levels", "pass_fail"])
    )
    target = _decimal(load_default=None)
    unit = fields.String(load_default="")
    bands = fields.List(fields.Nested(BandSchema), load_default=list)
    free = _decimal(load_default=0, validate=NON_NEGATIVE)
    step = _decimal(load_default=1, validate=POSITIVE)
    deduct = _decimal(load_default=0, validate=NON_NEGATIVE)
    levels = fields.List(fields.Nested(LevelSchema), load_default=list)

    @validates_schema
    def _method_fields(self, data, **kwargs):
        method = data.get("method")
        if method in ("tolerance", "per_unit") and data.get("target") is None:
            raise ValidationError(f"required for method {method!r}", "target")
        if method == "tolerance" and not data.get("bands"):
            raise ValidationError("a tolerance aspect needs at least one band", "bands")
        if method == "per_unit" and not data.get("deduct"):
            raise ValidationError("a per-unit aspect needs a deduction greater than 0", "deduct")
        if method == "levels" and len(data.get("levels") or ()) < 2:
            raise ValidationError("a levels aspect needs at least two levels", "levels")


class JudgementSchema(_AspectBase):
    scale_max = fields.Integer(load_default=3, validate=validate.Range(1, 10))
    descriptors = fields.List(fields.String(validate=validate.Length(min=1)), required=True)
    panel_size = fields.Integer(load_default=3, validate=validate.Range(1, 15))
    aggregation = fields.String(
        load_default="mean", validate=validate.OneOf(["mean", "median", "trimmed_mean"])
    )
    trim = fields.Integer(load_default=0, validate=NON_NEGATIVE)
    max_spread = fields.Integer(load_default=None, validate=NON_NEGATIVE)

    @validates_schema
    def _panel_rules(self, data, **kwargs):
        scale_max = data.get("scale_max", 3)
        if len(data.get("descriptors") or ()) != scale_max + 1:
            raise ValidationError(
                f"needs one descriptor per level 0..{scale_max} ({scale_max + 1}), got "
                f"{len(data.get('descriptors') or ())}",
                "descriptors",
            )
        if data.get("aggregation") == "trimmed_mean":
            if data.get("trim", 0) < 1:
                raise ValidationError("trimmed_mean needs trim of 1 or more", "trim")
            if 2 * data["trim"] >= data.get("panel_size", 3):
                raise ValidationError(
                    f"dropping {data['trim']} highest and lowest leaves nothing of a panel of "
                    f"{data.get('panel_size', 3)}",
                    "trim",
                )
        elif data.get("trim"):
            raise ValidationError("trim applies only to aggregation = 'trimmed_mean'", "trim")


class ObjectiveSchema(_AspectBase):
    item = fields.String(
        required=True, validate=validate.OneOf(["single", "multiple", "true_false", "numeric"])
    )
    question = fields.String(load_default="")
    options = fields.List(fields.String(), load_default=list)
    answer = fields.Raw(required=True)
    tolerance = _decimal(load_default=0, validate=NON_NEGATIVE)
    partial = fields.String(
        load_default="all_or_nothing",
        validate=validate.OneOf(["all_or_nothing", "fixed_partial", "per_option", "net_proportional"]),
    )
    partial_marks = _decimal(load_default=0, validate=NON_NEGATIVE)

    @validates_schema
    def _answer_matches_item(self, data, **kwargs):
        item, answer = data.get("item"), data.get("answer")
        labels = {option.split(".", 1)[0].strip() for option in data.get("options") or ()}
        if item == "single":
            if not isinstance(answer, str) or not answer:
                raise ValidationError("a single-choice answer is one option label, e.g. \"B\"", "answer")
            if labels and answer not in labels:
                raise ValidationError(f"{answer!r} is not one of the options {sorted(labels)}", "answer")
        elif item == "multiple":
            if not isinstance(answer, list) or not answer or not all(isinstance(a, str) for a in answer):
                raise ValidationError("a multiple-choice answer is a list of option labels", "answer")
            if labels and not set(answer) <= labels:
                raise ValidationError(f"{sorted(set(answer) - labels)} are not options", "answer")
        elif item == "true_false" and not isinstance(answer, bool):
            raise ValidationError("a true/false answer is true or false", "answer")
        elif item == "numeric" and (isinstance(answer, bool) or not isinstance(answer, (int, Decimal))):
            raise ValidationError("a numeric answer is a number", "answer")
        if data.get("partial", "all_or_nothing") != "all_or_nothing" and item != "multiple":
            raise ValidationError("partial credit applies only to multiple-choice items", "partial")
        if data.get("partial_marks") and data.get("partial") != "fixed_partial":
            raise ValidationError("partial_marks applies only with partial = 'fixed_partial'", "partial_marks")


ASPECT_SCHEMAS: dict[str, type[Schema]] = {
    "measurement": MeasurementSchema,
    "judgement": JudgementSchema,
    "objective": ObjectiveSchema,
}


class AspectField(fields.Field):
    """Load an aspect with the schema its ``kind`` names, so each kind rejects foreign fields."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError("must be a table")
        kind = value.get("kind")
        schema = ASPECT_SCHEMAS.get(kind)
        if schema is None:
            raise ValidationError({"kind": [f"must be one of {sorted(ASPECT_SCHEMAS)}, got {kind!r}"]})
        return schema().load(value)


class SubCriterionSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    max = _decimal(load_default=None, validate=POSITIVE)
    aspects = fields.List(AspectField(), required=True, validate=validate.Length(min=1))


class CriterionSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    max = _decimal(load_default=None, validate=POSITIVE)
    stage = fields.String(load_default=None)
    sub_criteria = fields.List(fields.Nested(SubCriterionSchema), required=True, validate=validate.Length(min=1))


class DeductionSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    per_occurrence = _decimal(load_default=0, validate=NON_NEGATIVE)
    cap = _decimal(load_default=None, validate=NON_NEGATIVE)
    disqualify = fields.Boolean(load_default=False)
    stage = fields.String(load_default=None)

    @validates_schema
    def _does_something(self, data, **kwargs):
        if not data.get("disqualify") and not data.get("per_occurrence"):
            raise ValidationError("a deduction needs per_occurrence > 0 or disqualify = true", "per_occurrence")


class StageSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    time_limit_s = fields.Integer(required=True, validate=validate.Range(min=1))
    pass_mark = _decimal(required=True, validate=NON_NEGATIVE)
    overrun_step_s = fields.Integer(load_default=60, validate=validate.Range(min=1))
    overrun_deduct = _decimal(load_default=0, validate=NON_NEGATIVE)
    overrun_max_s = fields.Integer(load_default=0, validate=NON_NEGATIVE)


class RuleSetHeaderSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1))
    name_en = fields.String(load_default="")
    version = fields.String(required=True, validate=validate.Length(min=1))
    trade = fields.String(load_default="")
    total = _decimal(required=True, validate=POSITIVE)
    tie_break = fields.List(fields.String(), load_default=lambda: ["total"])


class RuleSetSchema(Schema):
    ruleset = fields.Nested(RuleSetHeaderSchema, required=True)
    rounding = fields.Nested(RoundingSchema, load_default=lambda: RoundingSchema().load({}))
    dimensions = fields.List(fields.Nested(DimensionSchema), load_default=list)
    criteria = fields.List(fields.Nested(CriterionSchema), required=True, validate=validate.Length(min=1))
    deductions = fields.List(fields.Nested(DeductionSchema), load_default=list)
    stages = fields.List(fields.Nested(StageSchema), load_default=list)
