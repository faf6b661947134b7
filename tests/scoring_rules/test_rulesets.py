"""The shipped rule sets are valid; broken copies fail with errors that name the field."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from scoring_rules import RuleSetError, load_ruleset
from scoring_rules.loader import BUNDLED_DIR

BUNDLED = sorted(BUNDLED_DIR.glob("*.toml"))


def test_three_rule_sets_ship():
    assert {p.stem for p in BUNDLED} >= {"electrical-assembly", "electrician-stages", "claims-adjuster"}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_shipped_rule_set_passes_check(path):
    run = subprocess.run([sys.executable, "-m", "scoring_rules", "check", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("OK")


def test_electrical_assembly_has_the_five_portrait_dimensions():
    ruleset = load_ruleset((BUNDLED_DIR / "electrical-assembly.toml").read_text(encoding="utf-8"))
    assert [d.name for d in ruleset.dimensions] == ["出光排障", "通电及装软件", "气路风门装调", "识图焊接接线", "电气基础知识"]


def test_electrician_contest_has_ordered_stages():
    ruleset = load_ruleset((BUNDLED_DIR / "electrician-stages.toml").read_text(encoding="utf-8"))
    assert len(ruleset.stages) >= 3
    assert all(c.stage for c in ruleset.criteria)


def test_claims_adjuster_contest_has_a_theory_quiz():
    ruleset = load_ruleset((BUNDLED_DIR / "claims-adjuster.toml").read_text(encoding="utf-8"))
    items = [a for a in ruleset.aspects.values() if a.kind == "objective"]
    assert len(items) >= 20
    assert {a.item for a in items} == {"single", "multiple", "true_false", "numeric"}


def _errors(text: str) -> list[str]:
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(text)
    return [str(e) for e in caught.value.errors]


def _first_aspect_max(text: str, new: str) -> str:
    """Replace the first aspect's ``max`` (the first ``max =`` after the first aspect header)."""
    head, sep, tail = text.partition("[[criteria.sub_criteria.aspects]]")
    return head + sep + re.sub(r"(?m)^(\s*)max = [0-9.]+", rf"\g<1>max = {new}", tail, count=1)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_broken_marks_total_names_the_sub_criterion(path):
    broken = _first_aspect_max(path.read_text(encoding="utf-8"), "99")
    errors = _errors(broken)
    assert any(e.startswith("criteria[0].sub_criteria[0].max:") and "add up to" in e for e in errors), errors


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_misspelt_field_is_named_with_its_path(path):
    broken = path.read_text(encoding="utf-8").replace("\nmax_spread = 1", "\nmax_sprad = 1", 1)
    broken = re.sub(r"(?m)^(\s*)max_spread = 1$", r"\g<1>max_sprad = 1", broken, count=1)
    errors = _errors(broken)
    assert any(re.match(r"criteria\[\d+\]\.sub_criteria\[\d+\]\.aspects\[\d+\]\.max_sprad: unknown field", e)
               for e in errors), errors


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_wrong_declared_total_is_named(path):
    broken = re.sub(r"(?m)^total = \d+", "total = 120", path.read_text(encoding="utf-8"), count=1)
    assert any(e.startswith("ruleset.total:") for e in _errors(broken))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_broken_copy_fails_check_on_the_command_line(path, tmp_path):
    broken = tmp_path / path.name
    broken.write_text(re.sub(r"(?m)^weight = ([0-9.]+)", "weight = 0.9", path.read_text(encoding="utf-8"), count=1),
                      encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "scoring_rules", "check", str(broken)], capture_output=True, text=True)
    assert run.returncode == 1
    assert "dimensions: weights add up to" in run.stdout


MINIMAL = """
[ruleset]
code = "x"
name = "测试"
version = "1"
total = 3
tie_break = ["total"]

[[criteria]]
code = "A"
name = "A"
  [[criteria.sub_criteria]]
  code = "A1"
  name = "A1"
    [[criteria.sub_criteria.aspects]]
    code = "a"
    name = "a"
{aspect}
"""


def _aspect_errors(aspect: str) -> list[str]:
    return _errors(MINIMAL.format(aspect=aspect))


def test_minimal_rule_set_loads():
    ruleset = load_ruleset(MINIMAL.format(aspect='kind = "measurement"\nmethod = "pass_fail"\nmax = 3'))
    assert ruleset.total == 3


@pytest.mark.parametrize("aspect, expected", [
    ('kind = "measurement"\nmethod = "tolerance"\ntarget = 1\nmax = 3\n'
     'bands = [{ within = 1, marks = 3 }, { within = 0.5, marks = 1 }]',
     "aspects[0].bands[1].within: bands must widen"),
    ('kind = "measurement"\nmethod = "tolerance"\ntarget = 1\nmax = 3\n'
     'bands = [{ within = 1, marks = 2 }]',
     "aspects[0].bands[0].marks: the tightest band gives 2"),
    ('kind = "measurement"\nmethod = "tolerance"\nmax = 3\nbands = [{ within = 1, marks = 3 }]',
     "aspects[0].target: required for method 'tolerance'"),
    ('kind = "judgement"\nmax = 3\ndescriptors = ["a", "b", "c"]',
     "aspects[0].descriptors: needs one descriptor per level 0..3"),
    ('kind = "judgement"\nmax = 3\naggregation = "trimmed_mean"\ntrim = 2\ndescriptors = ["a","b","c","d"]',
     "aspects[0].trim: dropping 2 highest and lowest leaves nothing"),
    ('kind = "objective"\nitem = "single"\noptions = ["A. x", "B. y"]\nanswer = "C"\nmax = 3',
     "aspects[0].answer: 'C' is not one of the options"),
    ('kind = "objective"\nitem = "true_false"\nanswer = "yes"\nmax = 3',
     "aspects[0].answer: a true/false answer is true or false"),
    ('kind = "objective"\nitem = "single"\nanswer = "A"\npartial = "per_option"\nmax = 3',
     "aspects[0].partial: partial credit applies only to multiple-choice items"),
    ('kind = "measurment"\nmax = 3', "aspects[0].kind: must be one of"),
    ('kind = "measurement"\nmethod = "levels"\nmax = 3\nlevels = [{ label = "好", marks = 2 }, { label = "差", marks = 0 }]',
     "aspects[0].levels: the best level gives 2"),
    ('kind = "measurement"\nmethod = "pass_fail"\nmax = -3', "aspects[0].max: must be greater than 0"),
])
def test_aspect_error_names_field_and_reason(aspect, expected):
    errors = _aspect_errors(aspect)
    assert any(expected in e for e in errors), errors


def test_every_error_is_reported_not_just_the_first():
    text = MINIMAL.format(aspect='kind = "measurement"\nmethod = "pass_fail"\nmax = 2\ndimension = "nope"')
    text = text.replace('tie_break = ["total"]', 'tie_break = ["total", "dimension:nope"]')
    errors = _errors(text)
    assert any(e.startswith("ruleset.total:") for e in errors)
    assert any(e.startswith("ruleset.tie_break[1]:") for e in errors)
    assert any("aspects[0].dimension:" in e for e in errors)


def test_not_toml_is_reported_as_such():
    assert any("not valid TOML" in e for e in _errors("[ruleset\ncode = 1"))


def test_decimals_in_rule_files_are_exact():
    text = MINIMAL.format(aspect='kind = "measurement"\nmethod = "tolerance"\ntarget = 0.1\nmax = 3\n'
                                 'bands = [{ within = 0.2, marks = 3 }]')
    aspect = load_ruleset(text).aspects["a"]
    assert str(aspect.target) == "0.1" and str(aspect.bands[0].within) == "0.2"

