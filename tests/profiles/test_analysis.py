"""Enterprise talent analysis: standards, structure by post/team/workshop, the 一企一档 report."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from profiles import analysis, demo, queries
from profiles.models import Enterprise, Post, PostStandard, Worker
from tests.factories import demo_population


@pytest.fixture(scope="module")
def population(engine):
    with demo_population(engine, workers=240, contests_per_trade=8, seed=11) as session:
        # The population's first enterprise (other tests' enterprises may share this database).
        firm = session.scalar(select(Enterprise).where(Enterprise.name == f"{demo.CITIES[0]}{demo.FIRMS[0]}有限公司"))
        yield session, firm


def test_groups_cover_the_workforce_and_count_what_the_portraits_say(population):
    session, firm = population
    staff = session.scalars(select(Worker).where(Worker.enterprise_id == firm.id)).all()
    for by in analysis.GROUPINGS:
        groups = analysis.workforce(session, firm.id, by=by)
        assert sum(g.headcount for g in groups) == len(staff)
    posts = analysis.workforce(session, firm.id, by="post")
    for group in posts:
        members = [w for w in staff if w.post_id and session.get(Post, w.post_id).name == group.name
                   and w.trade == group.trade]
        for summary in group.dimensions:
            verdicts = [next(g.verdict for g in queries.portrait_of(session, w.id).gaps if g.dimension == summary.dimension)
                        for w in members]
            assert summary.below == verdicts.count("gap")
            assert summary.above == verdicts.count("strength")
            assert summary.meets == verdicts.count("meets")


def test_raising_a_standard_turns_a_post_s_dimension_into_a_gap_and_the_report_says_so(population):
    session, firm = population
    post = session.scalars(select(Post).where(Post.enterprise_id == firm.id).order_by(Post.id)).first()
    required = dict(session.execute(select(PostStandard.dimension, PostStandard.required)
                                    .where(PostStandard.post_id == post.id)).all())
    dimension = next(iter(required))
    savepoint = session.begin_nested()
    analysis.set_post_standard(session, post.id, {**required, dimension: 99.0}, enterprise_id=firm.id)
    report = analysis.enterprise_report(session, firm.id)
    gap = next(f for f in report.gaps if f.post == post.name and f.dimension == dimension)
    assert gap.count == gap.judged > 0 and gap.required == 99.0
    assert any(f"「{post.name}」的「{dimension}」" in s for s in report.suggestions)
    assert report.headcount == sum(n for _, n in report.levels)
    savepoint.rollback()


@pytest.mark.parametrize("change, field", [
    ({"不存在的维度": 50}, "required.不存在的维度"),
    ("too-high", "required."),
])
def test_a_bad_standard_names_the_field_and_changes_nothing(population, change, field):
    session, firm = population
    post = session.scalars(select(Post).where(Post.enterprise_id == firm.id).order_by(Post.id)).first()
    before = dict(session.execute(select(PostStandard.dimension, PostStandard.required)
                                  .where(PostStandard.post_id == post.id)).all())
    if change == "too-high":
        change = {next(iter(before)): 120}
    with pytest.raises(analysis.AnalysisError) as caught:
        analysis.set_post_standard(session, post.id, change, enterprise_id=firm.id)
    assert caught.value.field.startswith(field)
    after = dict(session.execute(select(PostStandard.dimension, PostStandard.required)
                                 .where(PostStandard.post_id == post.id)).all())
    assert after == before


def test_hr_of_another_enterprise_cannot_touch_a_post(population):
    session, firm = population
    post = session.scalars(select(Post).where(Post.enterprise_id == firm.id)).first()
    with pytest.raises(analysis.AnalysisError) as caught:
        analysis.set_post_standard(session, post.id, {}, enterprise_id=firm.id + 1)
    assert caught.value.status == 404


def test_the_demo_population_gives_every_trade_its_contest_history(population):
    """Each trade's past contests are recorded under keys of their own (two rule-set codes share
    a prefix, which once made one trade's history overwrite-skip the other's)."""
    from sqlalchemy import func
    from profiles.models import ContestOutcome
    session, _ = population
    contests = dict(session.execute(select(ContestOutcome.trade, func.count(ContestOutcome.contest_key.distinct()))
                                    .group_by(ContestOutcome.trade)).all())
    assert len(contests) == 3 and set(contests.values()) == {8}
