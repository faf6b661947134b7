"""Command line for the chief referee: ``python -m scoring_rules check|score``."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from .engine import MarkError, score_sheet
from .loader import RuleSetError, load_ruleset_file
from .model import JudgementAspect, MeasurementAspect, ObjectiveAspect, RuleSet
from .ranking import competition_ranks
from .sheets import parse_marks_json


def summary(ruleset: RuleSet) -> str:
    """Return a one-screen description of a valid rule set."""
    kinds = Counter()
    for aspect in ruleset.aspects.values():
        if isinstance(aspect, MeasurementAspect):
            kinds[f"measurement/{aspect.method}"] += 1
        elif isinstance(aspect, JudgementAspect):
            kinds["judgement"] += 1
        elif isinstance(aspect, ObjectiveAspect):
            kinds[f"objective/{aspect.item}"] += 1
    lines = [
        f"OK  {ruleset.name} ({ruleset.name_en})  code={ruleset.code} version={ruleset.version}",
        f"    trade: {ruleset.trade or '-'}   total: {ruleset.total}   rounding: {ruleset.rounding.mode}, "
        f"aspects {ruleset.rounding.aspect_places} places, total {ruleset.rounding.total_places} places",
        f"    {len(ruleset.criteria)} criteria, "
        f"{sum(len(c.sub_criteria) for c in ruleset.criteria)} sub-criteria, {len(ruleset.aspects)} aspects: "
        + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
    ]
    if ruleset.dimensions:
        lines.append("    dimensions: " + ", ".join(f"{d.code} {d.name} ×{d.weight}" for d in ruleset.dimensions))
    for criterion in ruleset.criteria:
        stage = f" [stage {criterion.stage}]" if criterion.stage else ""
        lines.append(f"      {criterion.code:<6} {criterion.max:>6}  {criterion.name}{stage}")
    for stage in ruleset.stages:
        lines.append(f"    stage {stage.code}: {stage.name}, {stage.time_limit_s}s, pass {stage.pass_mark}"
                     + (f", overrun -{stage.overrun_deduct}/{stage.overrun_step_s}s up to {stage.overrun_max_s}s"
                        if stage.overrun_deduct else ""))
    if ruleset.deductions:
        lines.append("    deductions: " + ", ".join(
            f"{d.code} {'DQ' if d.disqualify else f'-{d.per_occurrence}'}" + (f" cap {d.cap}" if d.cap is not None else "")
            for d in ruleset.deductions))
    lines.append("    tie-break: " + " > ".join(ruleset.tie_break))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scoring_rules", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate rule-set files")
    check.add_argument("files", nargs="+", type=Path)
    score = commands.add_parser("score", help="score MARKS.json against a rule set; JSON on stdout")
    score.add_argument("file", type=Path)
    score.add_argument("marks", type=Path)
    args = parser.parse_args(argv)

    if args.command == "check":
        status = 0
        for path in args.files:
            try:
                print(summary(load_ruleset_file(path)))
            except RuleSetError as exc:
                status = 1
                print(f"FAIL {path}: {len(exc.errors)} error(s)")
                for error in exc.errors:
                    print(f"    {error.path}: {error.reason}")
            except OSError as exc:
                status = 1
                print(f"FAIL {path}: {exc.strerror}")
        return status

    try:
        ruleset = load_ruleset_file(args.file)
    except RuleSetError as exc:
        for error in exc.errors:
            print(f"{args.file}: {error.path}: {error.reason}", file=sys.stderr)
        return 1
    try:
        sheets = parse_marks_json(args.marks.read_text(encoding="utf-8"))
        results = {ident: score_sheet(ruleset, sheet) for ident, sheet in sheets.items()}
    except MarkError as exc:
        print(f"{args.marks}: {exc}", file=sys.stderr)
        return 1
    if list(results) == [""]:
        output = results[""].as_json()
    else:
        ranks = dict(competition_ranks((ident, r.rank_key) for ident, r in results.items()))
        output = {"contestants": {ident: {"rank": ranks[ident], **r.as_json()}
                                  for ident, r in sorted(results.items(), key=lambda kv: ranks[kv[0]])}}
    json.dump(output, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
