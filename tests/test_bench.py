"""The benchmark scripts run (at a tiny size) and print their figures and baselines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, script, *args], cwd=BENCH, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_replay_benchmark_prints_rebuild_times_against_the_plain_sum():
    out = run("replay.py", "--contestants", "50", "--aspects", "10", "--repeat", "1")
    assert "plain-Python sum of the marks (baseline)" in out and "ratio to baseline" in out
    assert "rebuild from the SQLite log" in out
    assert "rebuild from the PostgreSQL log" in out or "PostgreSQL at" in out


def test_board_update_benchmark_prints_median_and_baseline():
    out = run("board_update.py", "--contestants", "200", "--aspects", "10", "--updates", "50")
    assert "incremental update" in out and "re-sort the whole board" in out


def test_live_benchmark_prints_latency_loss_and_cpu_against_a_bare_server():
    out = run("live.py", "--tablets", "6", "--screens", "2", "--rate", "5", "--duration", "2", "--pairs", "1")
    assert "匠星 (coalesced deltas)" in out and "bare python-socketio (baseline)" in out
    ours = next(line for line in out.splitlines() if "匠星" in line)
    assert "lost 0 gaps 0" in ours  # even at this size, nothing goes missing
    assert "server CPU per mark delivered: median" in out and "over 1 pair(s)" in out


def test_profiles_benchmark_prints_rating_batch_and_ranking_figures_with_baselines():
    out = run("profiles.py", "--results", "5000", "--workers", "3000", "--repeat", "1", "--stored", "2",
              "--queries", "3")
    assert "contests/s" in out and "sort + prefix sum (baseline)" in out
    assert "MM batch fit" in out and "lexsort of the results (baseline)" in out and "Spearman online vs batch" in out
    assert "star_ranking top 100" in out and "bare indexed scan (baseline)" in out
    assert "SQLite:" in out and ("PostgreSQL:" in out or "PostgreSQL at" in out)


def test_matching_benchmark_prints_rounds_against_the_plain_scipy_and_networkx_calls():
    out = run("matching.py", "--dense-needs", "200", "--dense-teams", "50", "--needs", "3000", "--teams", "600",
              "--cities", "12", "--repeat", "1")
    assert "bare linear_sum_assignment, same slot matrix (baseline)" in out and "of bare" in out
    assert "whole-graph min_weight_full_bipartite_matching (anchor)" in out and "of anchor" in out
    assert "proven optimal" in out and "blocking pairs 0" in out
    assert "networkx.min_cost_flow_cost" in out and "same optimum" in out
    same = next(line for line in out.splitlines() if "same optimum" in line)
    ours, theirs = same.split("same optimum: ")[1].split(";")[0].split(" vs ")
    assert float(ours) == float(theirs)


def test_severity_benchmark_prints_the_fit_against_a_bincount_baseline_and_the_recovery():
    out = run("severity.py", "--sites", "3", "--per-site", "12", "--aspects", "4", "--repeat", "1")
    assert "MFRM fit (marginal ML" in out and "baseline: each referee's mean score (bincount)" in out
    assert "severity recovered: correlation with the truth" in out


def test_mark_cpu_benchmark_prints_a_mark_against_the_cheapest_authenticated_request():
    out = run("mark_cpu.py", "--marks", "20", "--tablets", "20")
    assert "POST /marks" in out and "baseline: GET /api/v1/time with the same token" in out
    assert "the framework's floor" in out
