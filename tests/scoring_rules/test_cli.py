"""The chief referee's command line: ``check`` and ``score``."""

from __future__ import annotations

import json
import subprocess
import sys

from scoring_rules.loader import bundled_ruleset_path


def run(*args):
    return subprocess.run([sys.executable, "-m", "scoring_rules", *args], capture_output=True, text=True)


def test_check_prints_a_summary_of_criteria_dimensions_and_tie_break():
    out = run("check", str(bundled_ruleset_path("electrical-assembly"))).stdout
    assert "total: 100" in out and "出光排障" in out and "tie-break: total > dimension:fault" in out
    assert len(out.splitlines()) < 25


def test_score_outputs_totals_dimensions_criteria_aspects_flags_and_rank_key(tmp_path):
    marks = tmp_path / "marks.json"
    marks.write_text(json.dumps({
        "aspects": {"A1.3": [0, 2, 1], "E1.1": "C", "A1.2": 61.5},
        "deductions": {"SAFETY": 1},
    }), encoding="utf-8")
    result = run("score", str(bundled_ruleset_path("electrical-assembly")), str(marks))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["total"] == "4.00"  # 3 + 3 − 2
    assert out["aspects"]["A1.3"] == {"marks": None, "status": "blocked", "spread": 2}
    assert out["flags"] == ["spread_breach:A1.3"]
    assert out["criteria"]["E"] == "3.00" and out["dimensions"]["theory"]["marks"] == "3.00"
    assert out["rank_key"][:2] == ["0", "-4.00"]


def test_score_ranks_several_contestants(tmp_path):
    marks = tmp_path / "marks.json"
    marks.write_text(json.dumps({"contestants": {
        "WZ001": {"aspects": {"E1.1": "C"}},
        "WZ002": {"aspects": {"E1.1": "C", "E1.3": False}},
        "WZ003": {"aspects": {"E1.3": False}},
    }}), encoding="utf-8")
    out = json.loads(run("score", str(bundled_ruleset_path("electrical-assembly")), str(marks)).stdout)
    assert [(k, v["rank"]) for k, v in out["contestants"].items()] == [("WZ002", 1), ("WZ001", 2), ("WZ003", 2)]


def test_score_names_the_bad_input(tmp_path):
    marks = tmp_path / "marks.json"
    marks.write_text(json.dumps({"aspects": {"B1.1": "很好"}}), encoding="utf-8")
    result = run("score", str(bundled_ruleset_path("electrical-assembly")), str(marks))
    assert result.returncode == 1 and "B1.1" in result.stderr and "is not a level" in result.stderr


def test_check_reports_a_missing_file_without_a_traceback(tmp_path):
    result = run("check", str(tmp_path / "nope.toml"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
