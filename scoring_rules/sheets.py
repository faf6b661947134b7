"""Read a MARKS.json document (one contestant's raw inputs, or several) into ``Sheet``s."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from .engine import MarkError, Override, Sheet, StageRun


def parse_marks_json(text: str) -> dict[str, Sheet]:
    """Parse MARKS.json; a single sheet comes back under the id ``""``.

    Numbers are read as ``Decimal`` so a measurement of 12.35 stays 12.35.
    Raise ``MarkError`` naming the JSON path of the first malformed part.
    """
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise MarkError("(file)", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MarkError("(file)", "must be a JSON object")
    if "contestants" in data:
        contestants = data["contestants"]
        if not isinstance(contestants, dict):
            raise MarkError("contestants", "must be an object of contestant id → sheet")
        return {str(ident): sheet_from_dict(sheet, f"contestants.{ident}") for ident, sheet in contestants.items()}
    return {"": sheet_from_dict(data, "")}


def sheet_from_dict(data: Any, path: str = "") -> Sheet:
    prefix = f"{path}." if path else ""
    if not isinstance(data, dict):
        raise MarkError(path or "(file)", "a sheet must be an object")
    unknown = set(data) - {"aspects", "overrides", "deductions", "stages"}
    if unknown:
        raise MarkError(prefix + sorted(unknown)[0], "unknown field; a sheet has aspects, overrides, deductions, stages")
    aspects = _object(data.get("aspects", {}), prefix + "aspects")
    overrides = {}
    for code, value in _object(data.get("overrides", {}), prefix + "overrides").items():
        value = _object(value, f"{prefix}overrides.{code}")
        reason = value.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise MarkError(f"{prefix}overrides.{code}.reason", "an override needs a written reason")
        overrides[code] = Override(reason=reason, score=value.get("score"))
    deductions = {}
    for code, count in _object(data.get("deductions", {}), prefix + "deductions").items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise MarkError(f"{prefix}deductions.{code}", f"a count of occurrences (0 or more), got {count!r}")
        deductions[code] = count
    stages = {}
    for code, value in _object(data.get("stages", {}), prefix + "stages").items():
        value = _object(value, f"{prefix}stages.{code}")
        elapsed = value.get("elapsed_s")
        if elapsed is not None and (isinstance(elapsed, bool) or not isinstance(elapsed, int) or elapsed < 0):
            raise MarkError(f"{prefix}stages.{code}.elapsed_s", f"whole seconds (0 or more), got {elapsed!r}")
        finished = value.get("finished", elapsed is not None)
        if not isinstance(finished, bool):
            raise MarkError(f"{prefix}stages.{code}.finished", f"true or false, got {finished!r}")
        if finished and elapsed is None:
            raise MarkError(f"{prefix}stages.{code}.elapsed_s", "a finished stage needs its elapsed seconds")
        stages[code] = StageRun(elapsed_s=elapsed, finished=finished)
    return Sheet(aspects=aspects, overrides=overrides, deductions=deductions, stages=stages)


def _object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise MarkError(path, "must be an object")
    return value
