"""Fold a contestant's events into the raw inputs of their score sheet.

This is the one place that knows how each event kind changes a sheet; services use it to
check a new mark against the current state, and projections use it to keep boards current.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scoring_rules import Override, Sheet, StageRun
from scoring_rules.model import RuleSet

from .eventlog import LoggedEvent


@dataclass
class SheetState:
    """Everything the log says about one contestant, in the shape the engine scores."""

    values: dict[str, object] = field(default_factory=dict)  # measurement readings, answers
    panels: dict[str, dict[int, int]] = field(default_factory=dict)  # aspect → referee id → score
    overrides: dict[str, Override] = field(default_factory=dict)
    breached: set[str] = field(default_factory=set)
    deductions: dict[str, int] = field(default_factory=dict)
    stage_started: dict[str, datetime] = field(default_factory=dict)
    stages: dict[str, StageRun] = field(default_factory=dict)
    signed_off: set[int] = field(default_factory=set)
    # Who last marked each (aspect, referee): a correction must name a mark that exists.
    marked_by: dict[str, set[int]] = field(default_factory=dict)

    def apply(self, ruleset: RuleSet, event: LoggedEvent) -> set[str]:
        """Fold one event in; return the aspect codes whose inputs changed."""
        kind, payload, code = event.kind, event.payload, event.aspect_code
        if kind == "mark_recorded" or kind == "mark_corrected":
            # The hot path of a replay (one event per referee per aspect): keep it lean.
            referee = payload["referee_id"]
            marked = self.marked_by.get(code)
            if marked is None:
                marked = self.marked_by[code] = set()
            marked.add(referee)
            if code in ruleset.judgement_codes:
                panel = self.panels.get(code)
                if panel is None:
                    panel = self.panels[code] = {}
                panel[referee] = payload["value"]
            else:
                self.values[code] = payload["value"]
            return {code}
        if kind == "item_answered":
            self.values[code] = payload["answer"]
            return {code}
        if kind == "panel_spread_breached":
            self.breached.add(code)
            return set()
        if kind == "panel_spread_resolved":
            self.breached.discard(code)
            if payload.get("by") == "override":
                score = payload.get("score")
                self.overrides[code] = Override(payload["reason"], None if score is None else score)
                return {code}
            return set()
        if kind == "deduction_applied":
            name = payload["deduction"]
            self.deductions[name] = self.deductions.get(name, 0) + int(payload["count"])
            return set()
        if kind == "stage_started":
            self.stage_started[payload["stage"]] = datetime.fromisoformat(payload["at"])
            self.stages[payload["stage"]] = StageRun(None, False)
            return set()
        if kind in ("stage_cleared", "stage_failed"):
            self.stages[payload["stage"]] = StageRun(int(payload["elapsed_s"]), True)
            return set()
        if kind == "signed_off":
            self.signed_off.add(int(payload["referee_id"]))
            return set()
        return set()

    def sheet(self) -> Sheet:
        aspects: dict[str, object] = dict(self.values)
        aspects.update(self.panels)
        return Sheet(aspects=aspects, overrides=dict(self.overrides), deductions=dict(self.deductions),
                     stages=dict(self.stages))
